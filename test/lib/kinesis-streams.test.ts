import { CfnParameter, Duration, RemovalPolicy, Stack, Token } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import type * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kinesis from 'aws-cdk-lib/aws-kinesis';
import * as kms from 'aws-cdk-lib/aws-kms';
import { ConfigurationError } from '../../functions/core/errors';
import { KinesisStreams } from '../../lib';
import { knownRetention } from '../../lib/kinesis-streams';
import { acknowledgedRuleIds, strictStack } from './helpers';

describe('KinesisStreams with defaults', () => {
  const stack = strictStack();
  const group = new KinesisStreams(stack, 'Streams', { streams: [{ id: 'Orders' }] });
  const template = Template.fromStack(stack);

  it('creates a provisioned one-shard stream kept for 24 hours', () => {
    template.resourceCountIs('AWS::Kinesis::Stream', 1);
    template.hasResourceProperties('AWS::Kinesis::Stream', {
      ShardCount: 1,
      RetentionPeriodHours: 24,
      StreamModeDetails: { StreamMode: 'PROVISIONED' },
    });
  });

  it('encrypts with the AWS managed key and needs no region condition', () => {
    template.hasResourceProperties('AWS::Kinesis::Stream', {
      StreamEncryption: { EncryptionType: 'KMS', KeyId: 'alias/aws/kinesis' },
    });
    expect(template.toJSON().Conditions).toBeUndefined();
    template.resourceCountIs('AWS::KMS::Key', 0);
  });

  it('retains the stream when it leaves the stack', () => {
    template.hasResource('AWS::Kinesis::Stream', { DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
  });

  it('remembers the retention so consumers can alarm at half of it', () => {
    expect(knownRetention(group.stream('Orders'))?.toHours()).toBe(24);
    const foreign = kinesis.Stream.fromStreamArn(
      stack,
      'Foreign',
      'arn:aws:kinesis:eu-west-1:111122223333:stream/x',
    );
    expect(knownRetention(foreign)).toBeUndefined();
  });
});

describe('KinesisStreams with per-stream settings and a customer key', () => {
  const stack = strictStack();
  const key = new kms.Key(stack, 'Key', { enableKeyRotation: true });
  const role = new iam.Role(stack, 'Reader', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
  const group = new KinesisStreams(stack, 'Streams', {
    streams: [
      { id: 'Orders', streamName: 'orders', shardCount: 4 },
      { id: 'Clicks', streamMode: kinesis.StreamMode.ON_DEMAND, retentionPeriod: Duration.days(7) },
    ],
    retentionPeriod: Duration.hours(48),
    encryptionKey: key,
    removalPolicy: RemovalPolicy.DESTROY,
  });
  group.grantRead(role);
  const template = Template.fromStack(stack);

  it('creates each stream with its own mode, shards and retention over the group defaults', () => {
    template.hasResourceProperties('AWS::Kinesis::Stream', {
      Name: 'orders',
      ShardCount: 4,
      RetentionPeriodHours: 48,
      StreamModeDetails: { StreamMode: 'PROVISIONED' },
    });
    template.hasResourceProperties('AWS::Kinesis::Stream', {
      ShardCount: Match.absent(),
      RetentionPeriodHours: 168,
      StreamModeDetails: { StreamMode: 'ON_DEMAND' },
    });
    template.hasResource('AWS::Kinesis::Stream', { DeletionPolicy: 'Delete' });
  });

  it('encrypts every stream with the customer key', () => {
    const keyArn = { 'Fn::GetAtt': [stack.getLogicalId(key.node.defaultChild as kms.CfnKey), 'Arn'] };
    const streams = template.findResources('AWS::Kinesis::Stream');
    expect(Object.values(streams)).toHaveLength(2);
    for (const stream of Object.values(streams)) {
      expect(stream.Properties.StreamEncryption).toEqual({ EncryptionType: 'KMS', KeyId: keyArn });
    }
  });

  it('acknowledges the customer-key finding only because the user chose the key', () => {
    expect(acknowledgedRuleIds(group)).toEqual(['AwsSolutions-KDS3']);
  });

  it('grants read on both streams and decrypt on the key from one call', () => {
    const policy = Object.values(template.findResources('AWS::IAM::Policy'))[0];
    const statements = policy?.Properties.PolicyDocument.Statement as {
      Action: string[];
      Resource: unknown;
    }[];
    const streamResources = statements
      .filter((s) => [s.Action].flat().includes('kinesis:GetRecords'))
      .map((s) => JSON.stringify(s.Resource));
    expect(streamResources).toHaveLength(2);
    expect(statements.some((s) => [s.Action].flat().includes('kms:Decrypt'))).toBe(true);
  });

  it('sums throughput metrics over every stream', () => {
    const incoming = group.metricIncomingRecords() as cloudwatch.MathExpression;
    expect(incoming.expression).toBe('s0+s1');
    expect(Object.values(incoming.usingMetrics).map((m) => (m as cloudwatch.Metric).statistic)).toEqual([
      'Sum',
      'Sum',
    ]);
    expect((group.metricMaxIteratorAge() as cloudwatch.MathExpression).expression).toBe('MAX([s0,s1])');
  });

  it('finds streams by id and names the known ids otherwise', () => {
    expect(group.stream('Clicks')).toBe(group.streams[1]);
    expect(() => group.stream('Nope')).toThrow('no stream has id "Nope"; the ids are: Orders, Clicks.');
  });
});

describe('KinesisStreams validation', () => {
  const build = (props: Partial<ConstructorParameters<typeof KinesisStreams>[2]>) =>
    new KinesisStreams(new Stack(), 'Streams', { streams: [{ id: 'A' }], ...props });

  it.each<[string, Partial<ConstructorParameters<typeof KinesisStreams>[2]>, string]>([
    ['no streams', { streams: [] }, 'streams is empty; define at least one stream.'],
    [
      'a duplicate id',
      { streams: [{ id: 'A' }, { id: 'A' }] },
      'stream id "A" appears twice; ids must be unique.',
    ],
    ['zero shards', { shardCount: 0 }, 'shardCount is 0; it must be a whole number from 1 to 10000.'],
    [
      'a fractional shard count',
      { shardCount: 1.5 },
      'shardCount is 1.5; it must be a whole number from 1 to 10000.',
    ],
    [
      'a retention below 24 hours',
      { retentionPeriod: Duration.hours(12) },
      'retentionPeriod is 12 hours; it must be at least 1 day and at most 365 days in whole hours.',
    ],
    [
      'a retention that is not whole hours',
      { retentionPeriod: Duration.minutes(1530) },
      'retentionPeriod is 1 day 1 hour 30 minutes; it must be at least 1 day and at most 365 days in whole hours.',
    ],
    [
      'a shard count on an on-demand stream',
      { streams: [{ id: 'A', streamMode: kinesis.StreamMode.ON_DEMAND, shardCount: 2 }] },
      'streams["A"].shardCount is 2 but the stream is on-demand; leave shardCount unset or make the stream provisioned.',
    ],
    [
      'an invalid stream name',
      { streams: [{ id: 'A', streamName: 'bad name' }] },
      'streams["A"].streamName is "bad name"; a stream name is 1 to 128 characters',
    ],
  ])('rejects %s with a message naming the prop, the value and the range', (_name, props, message) => {
    expect(() => build(props)).toThrow(ConfigurationError);
    expect(() => build(props)).toThrow(`KinesisStreams: ${message}`);
  });

  it('accepts Tokens for the shard count and the retention', () => {
    const stack = new Stack();
    const shards = new CfnParameter(stack, 'Shards', { type: 'Number' });
    const hours = new CfnParameter(stack, 'Hours', { type: 'Number' });
    new KinesisStreams(stack, 'Streams', {
      streams: [{ id: 'A', shardCount: shards.valueAsNumber }],
      retentionPeriod: Duration.hours(hours.valueAsNumber),
    });
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::Kinesis::Stream', {
      ShardCount: { Ref: 'Shards' },
      RetentionPeriodHours: { Ref: 'Hours' },
    });
    expect(Token.isUnresolved(shards.valueAsNumber)).toBe(true);
  });
});
