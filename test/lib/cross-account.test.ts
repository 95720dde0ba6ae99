import * as path from 'node:path';
import { Stack, Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kinesis from 'aws-cdk-lib/aws-kinesis';
import * as kms from 'aws-cdk-lib/aws-kms';
import type { IConstruct } from 'constructs';
import { consumerConfigFromEnv, producerConfigFromEnv } from '../../functions/core/config';
import { ConfigurationError } from '../../functions/core/errors';
import { KinesisConsumer, KinesisProducer, type KinesisConsumerProps } from '../../lib';
import { functionEnvironment, logicalId, roleStatements, strictApp, type TemplateStatement } from './helpers';

const HANDLER = path.join(__dirname, 'fixtures', 'processor.ts');
const OWNER_ACCOUNT = '111122223333';
const CALLER_ACCOUNT = '123456789012';
const SHARED_ARN = `arn:aws:kinesis:us-east-1:${OWNER_ACCOUNT}:stream/orders`;
const SHARED_CONSUMER_ARN = `${SHARED_ARN}/consumer/analytics:1700000000`;

/** The function's environment as deployed, with the region Lambda sets. */
function deployed(template: Template, fn: IConstruct): Record<string, string> {
  return { ...functionEnvironment(template, logicalId(fn)), AWS_REGION: 'us-east-1' };
}

function callerStack(): Stack {
  return new Stack(strictApp(), 'Caller', { env: { account: CALLER_ACCOUNT, region: 'us-east-1' } });
}

function consumerIn(
  stack: Stack,
  props: Partial<KinesisConsumerProps> & Pick<KinesisConsumerProps, 'streams'>,
) {
  return new KinesisConsumer(stack, 'Consumer', {
    consumerName: 'analytics',
    handlerEntry: HANDLER,
    ...props,
  });
}

/** The kinesis statements of the consumer's role, as (actions, resources) pairs. */
function kinesisGrants(template: Template, consumer: KinesisConsumer) {
  return roleStatements(template, logicalId(consumer.function.role as iam.Role))
    .filter((s: TemplateStatement) => [s.Action].flat().some((a) => a.startsWith('kinesis:')))
    .map((s) => ({ actions: [s.Action].flat().sort(), resources: [s.Resource].flat() }));
}

describe('a stream in another account, by ARN', () => {
  it('the consumer reads it by ARN, with the read actions granted on that exact ARN', () => {
    const stack = callerStack();
    const shared = kinesis.Stream.fromStreamArn(stack, 'Shared', SHARED_ARN);
    const own = new kinesis.Stream(stack, 'Own', { encryption: kinesis.StreamEncryption.MANAGED });
    const consumer = consumerIn(stack, { streams: [shared, own] });
    const template = Template.fromStack(stack);

    expect(kinesisGrants(template, consumer)).toEqual([
      {
        actions: [
          'kinesis:DescribeStreamSummary',
          'kinesis:GetRecords',
          'kinesis:GetShardIterator',
          'kinesis:ListShards',
        ],
        resources: [SHARED_ARN, { 'Fn::GetAtt': [logicalId(own), 'Arn'] }],
      },
    ]);
    const env = deployed(template, consumer.function);
    // The stream of this account keeps its name, so its existing checkpoints stay where they are.
    expect(consumerConfigFromEnv(env).streams).toEqual([SHARED_ARN, logicalId(own)]);
    // Its metrics and its lag alarm follow the runtime's StreamName dimension: the ARN.
    expect(
      stack.resolve((consumer.metricRecordsRead(shared) as unknown as { dimensions: unknown }).dimensions),
    ).toEqual(expect.objectContaining({ StreamName: SHARED_ARN }));
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'MillisBehindLatest',
      Dimensions: Match.arrayWith([{ Name: 'StreamName', Value: SHARED_ARN }]),
    });
  });

  it('the producer writes it by ARN, allowed by ARN, with PutRecords and ListShards on that exact ARN', () => {
    const stack = callerStack();
    const shared = kinesis.Stream.fromStreamArn(stack, 'Shared', SHARED_ARN);
    const producer = new KinesisProducer(stack, 'Producer', { streams: [shared] });
    const template = Template.fromStack(stack);

    const grants = roleStatements(template, logicalId(producer.function.role as iam.Role)).filter((s) =>
      [s.Action].flat().some((a) => a.startsWith('kinesis:')),
    );
    expect(
      grants.map((s) => ({ actions: [s.Action].flat().sort(), resources: [s.Resource].flat() })),
    ).toEqual([{ actions: ['kinesis:ListShards', 'kinesis:PutRecords'], resources: [SHARED_ARN] }]);
    const config = producerConfigFromEnv(deployed(template, producer.function));
    expect(config.defaultStream).toBe(SHARED_ARN);
    expect(config.allowedStreams).toEqual([SHARED_ARN]);
  });

  it('refuses a stream in another region at synth', () => {
    const stack = callerStack();
    const elsewhere = kinesis.Stream.fromStreamArn(
      stack,
      'Elsewhere',
      `arn:aws:kinesis:eu-west-1:${OWNER_ACCOUNT}:stream/orders`,
    );
    expect(() => consumerIn(stack, { streams: [elsewhere] })).toThrow(ConfigurationError);
    const again = callerStack();
    const there = kinesis.Stream.fromStreamArn(
      again,
      'Elsewhere',
      `arn:aws:kinesis:eu-west-1:${OWNER_ACCOUNT}:stream/orders`,
    );
    expect(() => consumerIn(again, { streams: [there] })).toThrow(
      /KinesisConsumer: streams has stream arn:aws:kinesis:eu-west-1:111122223333:stream\/orders in eu-west-1, but this stack deploys to us-east-1/,
    );
    const other = callerStack();
    const remote = kinesis.Stream.fromStreamArn(
      other,
      'Elsewhere',
      `arn:aws:kinesis:eu-west-1:${OWNER_ACCOUNT}:stream/orders`,
    );
    expect(() => new KinesisProducer(other, 'Producer', { streams: [remote] })).toThrow(
      /in eu-west-1, but this stack deploys to us-east-1/,
    );
  });

  it("the owner's stack attaches the resource policy the docs show, and cdk-nag passes it", () => {
    const owner = new Stack(strictApp(), 'Owner', { env: { account: OWNER_ACCOUNT, region: 'us-east-1' } });
    const key = new kms.Key(owner, 'OrdersKey', { enableKeyRotation: true });
    const stream = new kinesis.Stream(owner, 'Orders', { streamName: 'orders', encryptionKey: key });
    key.grantDecrypt(new iam.AccountPrincipal(CALLER_ACCOUNT));
    Validations.of(stream).acknowledge({
      id: 'AwsSolutions-KDS3',
      reason: 'A stream shared with another account cannot use the AWS managed key.',
    });
    const consumer = new kinesis.StreamConsumer(owner, 'Analytics', {
      stream,
      streamConsumerName: 'analytics',
    });
    // docs/cross-account.md: read access (polling), write access, and enhanced fan-out through the consumer.
    stream.addToResourcePolicy(
      new iam.PolicyStatement({
        principals: [new iam.AccountPrincipal(CALLER_ACCOUNT)],
        actions: [
          'kinesis:DescribeStreamSummary',
          'kinesis:ListShards',
          'kinesis:GetShardIterator',
          'kinesis:GetRecords',
          'kinesis:PutRecords',
        ],
        resources: [stream.streamArn],
      }),
    );
    consumer.addToResourcePolicy(
      new iam.PolicyStatement({
        principals: [new iam.AccountPrincipal(CALLER_ACCOUNT)],
        actions: ['kinesis:DescribeStreamConsumer', 'kinesis:SubscribeToShard'],
        resources: [consumer.streamConsumerArn],
      }),
    );
    const template = Template.fromStack(owner);
    template.resourceCountIs('AWS::Kinesis::ResourcePolicy', 2);
    template.hasResourceProperties('AWS::Kinesis::ResourcePolicy', {
      ResourcePolicy: {
        Statement: [Match.objectLike({ Action: Match.arrayWith(['kinesis:SubscribeToShard']) })],
      },
    });
  });
});

describe("the consumer's enhanced fan-out", () => {
  it('EAGER (the default) registers a stream consumer per stream and grants only on its ARN', () => {
    const stack = callerStack();
    const own = new kinesis.Stream(stack, 'Own', { encryption: kinesis.StreamEncryption.MANAGED });
    const consumer = consumerIn(stack, { streams: [own], recordPublisher: 'EFO' });
    const template = Template.fromStack(stack);

    template.resourceCountIs('AWS::Kinesis::StreamConsumer', 1);
    template.hasResourceProperties('AWS::Kinesis::StreamConsumer', {
      ConsumerName: 'analytics',
      StreamARN: { 'Fn::GetAtt': [logicalId(own), 'Arn'] },
    });
    const [registered] = consumer.streamConsumers;
    const consumerArn = stack.resolve(registered?.streamConsumerArn);
    expect(kinesisGrants(template, consumer)).toEqual([
      {
        actions: ['kinesis:DescribeStreamSummary', 'kinesis:ListShards'],
        resources: [{ 'Fn::GetAtt': [logicalId(own), 'Arn'] }],
      },
      { actions: ['kinesis:DescribeStreamConsumer', 'kinesis:SubscribeToShard'], resources: [consumerArn] },
    ]);
    const env = deployed(template, consumer.function);
    expect(env.SKC_FLINK_STREAM_RECORDPUBLISHER).toBe('EFO');
    expect(env.SKC_FLINK_STREAM_EFO_REGISTRATION).toBe('NONE');
    expect(env.SKC_CONSUMER_EFO_CONSUMERARNS).toBeDefined();
  });

  it('LAZY grants RegisterStreamConsumer on the stream and the consumer actions on its name only', () => {
    const stack = callerStack();
    const own = new kinesis.Stream(stack, 'Own', { encryption: kinesis.StreamEncryption.MANAGED });
    const consumer = consumerIn(stack, {
      streams: [own],
      recordPublisher: 'EFO',
      efoRegistration: 'LAZY',
      efoConsumerName: 'lazy-reader',
    });
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::Kinesis::StreamConsumer', 0);
    const streamArn = { 'Fn::GetAtt': [logicalId(own), 'Arn'] };
    expect(kinesisGrants(template, consumer)).toEqual([
      { actions: ['kinesis:DescribeStreamSummary', 'kinesis:ListShards'], resources: [streamArn] },
      {
        actions: ['kinesis:DescribeStreamConsumer', 'kinesis:SubscribeToShard'],
        resources: [{ 'Fn::Join': ['', [streamArn, '/consumer/lazy-reader:*']] }],
      },
      { actions: ['kinesis:RegisterStreamConsumer'], resources: [streamArn] },
    ]);
    const config = consumerConfigFromEnv(deployed(template, consumer.function));
    expect(config.efo).toMatchObject({ registration: 'LAZY', consumerName: 'lazy-reader', consumerArns: {} });
  });

  it("reads another account's stream through the consumer its owner registered, granted on that consumer's ARN", () => {
    const stack = callerStack();
    const shared = kinesis.Stream.fromStreamArn(stack, 'Shared', SHARED_ARN);
    const streamConsumer = kinesis.StreamConsumer.fromStreamConsumerArn(
      stack,
      'SharedConsumer',
      SHARED_CONSUMER_ARN,
    );
    const consumer = consumerIn(stack, {
      streams: [shared],
      recordPublisher: 'EFO',
      efoRegistration: 'NONE',
      efoConsumers: [streamConsumer],
    });
    const template = Template.fromStack(stack);
    expect(kinesisGrants(template, consumer)).toEqual([
      { actions: ['kinesis:DescribeStreamSummary', 'kinesis:ListShards'], resources: [SHARED_ARN] },
      {
        actions: ['kinesis:DescribeStreamConsumer', 'kinesis:SubscribeToShard'],
        resources: [SHARED_CONSUMER_ARN],
      },
    ]);
    const config = consumerConfigFromEnv(deployed(template, consumer.function));
    expect(config.streams).toEqual([SHARED_ARN]);
    expect(config.efo.consumerArns).toEqual({ [SHARED_ARN]: SHARED_CONSUMER_ARN });
  });

  it("refuses to register a consumer on another account's stream, and EFO props without EFO", () => {
    const stack = callerStack();
    const shared = kinesis.Stream.fromStreamArn(stack, 'Shared', SHARED_ARN);
    expect(() => consumerIn(stack, { streams: [shared], recordPublisher: 'EFO' })).toThrow(
      /is in another account, where this deployment cannot register a stream consumer \(efoRegistration EAGER\)/,
    );
    expect(() => consumerIn(callerStack(), { streams: [shared], efoRegistration: 'LAZY' })).toThrow(
      /efoRegistration is only used when recordPublisher is 'EFO'/,
    );
  });
});
