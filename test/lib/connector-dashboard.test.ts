import { Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as kinesis from 'aws-cdk-lib/aws-kinesis';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { ConnectorDashboard, KinesisConsumer, KinesisProducer, KinesisStreams } from '../../lib';
import { logicalId, standIn, strictStack } from './helpers';

interface Widget {
  readonly type: string;
  readonly properties: { readonly title: string; readonly metrics?: unknown[][]; readonly alarms?: string[] };
}

describe('ConnectorDashboard of a pipeline', () => {
  const stack = strictStack();
  const streams = new KinesisStreams(stack, 'Streams', { streams: [{ id: 'Orders' }, { id: 'Audit' }] });
  const producer = new KinesisProducer(stack, 'Producer', { streams: streams.streams });
  const consumer = new KinesisConsumer(stack, 'Consumer', {
    consumerName: 'orders',
    streams: [streams.stream('Orders')],
    target: lambda.Function.fromFunctionArn(
      stack,
      'Target',
      'arn:aws:lambda:eu-west-1:111122223333:function:t',
    ),
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
      ['ServerlessKinesisConnector', 'MillisBehindLatest', 'ConsumerName', 'orders', 'StreamName', orders],
      ['AWS/Kinesis', 'GetRecords.IteratorAgeMilliseconds', 'StreamName', orders],
      ['AWS/Kinesis', 'GetRecords.IteratorAgeMilliseconds', 'StreamName', audit],
    ]);
  });

  it('shows records in per stream and records out per consumer and stream', () => {
    expect(rows('Records in: written per stream')).toEqual([
      ['AWS/Kinesis', 'IncomingRecords', 'StreamName', orders],
      ['AWS/Kinesis', 'IncomingRecords', 'StreamName', audit],
      ['ServerlessKinesisConnector', 'UserRecordsPut', 'service', 'kinesis-producer'],
    ]);
    expect(rows('Records out: delivered per consumer and stream')).toContainEqual([
      'ServerlessKinesisConnector',
      'RecordsDelivered',
      'ConsumerName',
      'orders',
      'StreamName',
      orders,
    ]);
  });

  it('shows errors of both functions, failed and dead-lettered records, and throttles', () => {
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
    ]);
    expect(errors).toContainEqual(['AWS/Kinesis', 'WriteProvisionedThroughputExceeded', 'StreamName', audit]);
    for (const name of ['ThrottledEntries', 'ExpiredRecords', 'DeadLettered']) {
      expect(errors).toContainEqual(['ServerlessKinesisConnector', name, 'service', 'kinesis-producer']);
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
    expect(alarms).toHaveLength(7);
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
    const stream = kinesis.Stream.fromStreamArn(
      stack,
      'S',
      'arn:aws:kinesis:eu-west-1:111122223333:stream/s',
    );
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
