import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { CfnResource, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { NagRuleCompliance, rules, type NagRuleResult } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { ConnectorDashboard, KinesisConsumer, KinesisProducer, KinesisStreams } from '../../lib';
import { ACKNOWLEDGEMENTS, RESOURCE_ACKNOWLEDGEMENT_REASONS } from '../../lib/acknowledgements';
import { CONSTRUCTS_DOC, renderDoc } from '../support/construct-docs';
import { acknowledgedRuleIds, importedStream, logicalId, standIn, strictStack } from './helpers';

// The cdk-nag rule behind each acknowledged id, to show that every acknowledgement answers a real finding.
const RULES: Record<string, (node: CfnResource) => NagRuleResult> = {
  'AwsSolutions-KDS3': rules.kinesis.KinesisDataStreamDefaultKeyWhenSSE,
  'AwsSolutions-SQS3': rules.sqs.SQSQueueDLQ,
  'AwsSolutions-IAM5': rules.iam.IAMNoWildcardPermissions,
};

/** Whether the rule of an acknowledged id (`Rule` or `Rule[finding]`) fires on a resource under `scope`. */
function fires(scope: IConstruct, acknowledgedId: string): boolean {
  const match = /^([^[]+)(?:\[(.*)\])?$/.exec(acknowledgedId);
  const rule = match?.[1] ? RULES[match[1]] : undefined;
  if (!rule) throw new Error(`no rule mapped for ${acknowledgedId}; add it to RULES`);
  const finding = match?.[2];
  return scope.node
    .findAll()
    .filter(CfnResource.isCfnResource)
    .some((resource) => {
      const result = rule(resource);
      return finding === undefined
        ? result === NagRuleCompliance.NON_COMPLIANT
        : Array.isArray(result) && result.includes(finding);
    });
}

interface Widget {
  readonly type: string;
  readonly properties: { readonly title: string; readonly metrics?: unknown[][]; readonly alarms?: string[] };
}

// One pipeline of every construct: its synth runs cdk-nag and the strict CloudFormation validation,
// and the dashboard and the acknowledgements are checked on it.
describe('a whole pipeline', () => {
  const stack = strictStack('Pipeline');
  const key = new kms.Key(stack, 'StreamKey', { enableKeyRotation: true });
  const streams = new KinesisStreams(stack, 'Streams', {
    streams: [{ id: 'Orders' }, { id: 'Audit' }],
    encryptionKey: key,
  });
  const producer = new KinesisProducer(stack, 'Producer', { streams: streams.streams });
  const consumer = new KinesisConsumer(stack, 'Consumer', {
    consumerName: 'orders',
    streams: [streams.stream('Orders')],
    handlerEntry: path.join(__dirname, 'fixtures', 'processor.ts'),
  });
  new ConnectorDashboard(stack, 'Dashboard', {
    dashboardName: 'orders-pipeline',
    producers: [producer],
    consumers: [consumer],
  });
  const template = Template.fromStack(stack);
  const dashboard = Object.values(template.findResources('AWS::CloudWatch::Dashboard'))[0];
  const widgets = (JSON.parse(standIn(dashboard?.Properties.DashboardBody)) as { widgets: Widget[] }).widgets;
  const byTitle = (title: string) => {
    const widget = widgets.find((w) => w.properties.title === title);
    if (!widget)
      throw new Error(
        `no widget titled ${title}; titles: ${widgets.map((w) => w.properties.title).join(', ')}`,
      );
    return widget;
  };
  // A metric row is [namespace, name, dimension, value, ..., { options }].
  const rows = (title: string) =>
    (byTitle(title).properties.metrics ?? []).map((row) => row.filter((c) => typeof c === 'string'));
  const orders = logicalId(streams.stream('Orders'));
  const audit = logicalId(streams.stream('Audit'));

  it('is named as asked', () => {
    expect(dashboard?.Properties.DashboardName).toBe('orders-pipeline');
  });

  it('shows the consumer’s lag on the stream it reads and the iterator age of every stream', () => {
    expect(rows('Consumer lag per stream (ms)')).toEqual([
      [
        'ServerlessKinesisConnector',
        'MillisBehindLatest',
        'ConsumerName',
        'orders',
        'StreamName',
        orders,
        'service',
        'kinesis-consumer',
      ],
      ['AWS/Kinesis', 'GetRecords.IteratorAgeMilliseconds', 'StreamName', orders],
      ['AWS/Kinesis', 'GetRecords.IteratorAgeMilliseconds', 'StreamName', audit],
    ]);
  });

  it('shows records in per stream and records out per consumer and stream', () => {
    expect(rows('Records in: written per stream')).toEqual([
      ['AWS/Kinesis', 'IncomingRecords', 'StreamName', orders],
      ['AWS/Kinesis', 'IncomingRecords', 'StreamName', audit],
      [
        'ServerlessKinesisConnector',
        'UserRecordsPut',
        'ProducerName',
        'Producer',
        'service',
        'kinesis-producer',
      ],
    ]);
    expect(rows('Records out: delivered per consumer and stream')).toContainEqual([
      'ServerlessKinesisConnector',
      'RecordsDelivered',
      'ConsumerName',
      'orders',
      'StreamName',
      orders,
      'service',
      'kinesis-consumer',
    ]);
  });

  it('shows errors of both functions, failed and dead-lettered records, and throttles per stream', () => {
    const errors = rows('Errors and throttles');
    expect(errors).toContainEqual(['AWS/Lambda', 'Errors', 'FunctionName', logicalId(producer.function)]);
    expect(errors).toContainEqual(['AWS/Lambda', 'Errors', 'FunctionName', logicalId(consumer.function)]);
    expect(errors).toContainEqual([
      'ServerlessKinesisConnector',
      'DeliveryFailures',
      'ConsumerName',
      'orders',
      'StreamName',
      orders,
      'service',
      'kinesis-consumer',
    ]);
    expect(errors).toContainEqual(['AWS/Kinesis', 'WriteProvisionedThroughputExceeded', 'StreamName', audit]);
    // The producer's throttled entries per stream it writes, beside each stream's own throttled writes.
    for (const stream of [orders, audit]) {
      expect(errors).toContainEqual([
        'ServerlessKinesisConnector',
        'ThrottledEntries',
        'ProducerName',
        'Producer',
        'StreamName',
        stream,
        'service',
        'kinesis-producer',
      ]);
    }
    for (const name of ['ExpiredRecords', 'DeadLettered']) {
      expect(errors).toContainEqual([
        'ServerlessKinesisConnector',
        name,
        'ProducerName',
        'Producer',
        'service',
        'kinesis-producer',
      ]);
    }
  });

  it('shows the depth of all three queues and the age of the oldest produced message', () => {
    const queueName = (queue: { node: unknown }) => `${logicalId(queue as never)}.QueueName`;
    expect(rows('Queue depth')).toEqual([
      ['AWS/SQS', 'ApproximateNumberOfMessagesVisible', 'QueueName', queueName(producer.queue)],
      ['AWS/SQS', 'ApproximateNumberOfMessagesVisible', 'QueueName', queueName(producer.deadLetterQueue)],
      ['AWS/SQS', 'ApproximateNumberOfMessagesVisible', 'QueueName', queueName(consumer.onFailureQueue)],
    ]);
    expect(rows('Oldest queued message (s)')).toEqual([
      ['AWS/SQS', 'ApproximateAgeOfOldestMessage', 'QueueName', queueName(producer.queue)],
    ]);
  });

  it('graphs every metric per minute by default', () => {
    const periods = widgets.flatMap((w) =>
      (w.properties.metrics ?? []).map((row) => (row.at(-1) as { period?: number }).period),
    );
    expect(new Set(periods)).toEqual(new Set([60]));
  });

  it('shows the state of every alarm the producer and consumer created', () => {
    const alarms = byTitle('Alarms').properties.alarms ?? [];
    expect(alarms).toHaveLength(producer.alarms.length + consumer.alarms.length);
    // Producer: dead letters, oldest message age, throttled writes per stream (two); consumer: lag,
    // errors, heartbeat (one subtask), throttles, on-failure queue.
    expect(alarms).toHaveLength(9);
  });

  const constructs = [streams, producer, consumer];
  const docs = readFileSync(path.join(__dirname, '..', '..', 'docs', 'constructs.md'), 'utf8');

  it.each(constructs.flatMap((c) => acknowledgedRuleIds(c).map((id) => [id, c.node.id, c] as const)))(
    '%s, acknowledged on %s, answers a finding its resources really have',
    (id, _where, construct) => {
      expect(fires(construct, id)).toBe(true);
    },
  );

  it('acknowledges what this pipeline needs: the customer stream key, the SSM path wildcard, the on-failure queue', () => {
    expect(constructs.flatMap((c) => acknowledgedRuleIds(c)).sort()).toEqual([
      'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:ssm:<AWS::Region>:<AWS::AccountId>:parameter/serverless-kinesis-connector/orders/*]',
      'AwsSolutions-KDS3',
      'AwsSolutions-SQS3',
    ]);
  });

  it.each([
    ...Object.values(ACKNOWLEDGEMENTS).map((a) => [a.id, a.reason]),
    ...Object.values(RESOURCE_ACKNOWLEDGEMENT_REASONS).map((a) => [a.rule, a.reason]),
  ])('documents %s with the reason the code records', (id, reason) => {
    const rows = docs.split('\n').filter((line) => line.includes(id));
    expect(rows.some((row) => row.includes(reason))).toBe(true);
  });
});

describe('ConnectorDashboard validation', () => {
  it('refuses a dashboard with nothing to show', () => {
    expect(() => new ConnectorDashboard(new Stack(), 'D', {})).toThrow(
      'ConnectorDashboard: the dashboard has no stream to show; give producers, consumers or streams.',
    );
  });

  it('leaves out the graphs of parts the pipeline does not have', () => {
    const stack = new Stack();
    const stream = importedStream(stack);
    new ConnectorDashboard(stack, 'D', { streams: [stream] });
    const body = standIn(
      Object.values(Template.fromStack(stack).findResources('AWS::CloudWatch::Dashboard'))[0]?.Properties
        .DashboardBody,
    );
    const titles = (JSON.parse(body) as { widgets: Widget[] }).widgets.map((w) => w.properties.title);
    expect(titles).toEqual([
      'Consumer lag per stream (ms)',
      'Records in: written per stream',
      'Records out: delivered per consumer and stream',
      'Errors and throttles',
    ]);
  });
});

// The other construct tests rely on these checks running on every synth; prove both are live.
describe('the strict test app', () => {
  it('fails synth when the CloudFormation validation bundled with aws-cdk-lib rejects a template', () => {
    const stack = strictStack();
    new sqs.CfnQueue(stack, 'Queue', { visibilityTimeout: 99_999 });
    expect(() => Template.fromStack(stack)).toThrow(
      /VisibilityTimeout: 99999 is greater than the maximum of 43200 \(CloudFormation Validate\)/,
    );
  });

  it('fails synth on an unacknowledged cdk-nag AwsSolutions finding', () => {
    const stack: Stack = strictStack();
    new sqs.Queue(stack, 'Queue', { encryption: sqs.QueueEncryption.UNENCRYPTED });
    expect(() => Template.fromStack(stack)).toThrow(/AwsSolutions-SQS/);
  });
});

describe('docs/constructs.md', () => {
  it('holds every props table exactly as the props interfaces document them (regenerate: npx tsx test/support/construct-docs.ts --write)', () => {
    const doc = readFileSync(CONSTRUCTS_DOC, 'utf8');
    expect(doc).toBe(renderDoc(doc));
  });
});
