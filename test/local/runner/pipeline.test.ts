import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { DescribeStreamSummaryCommand, KinesisClient } from '@aws-sdk/client-kinesis';
import { GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { EXAMPLE_PIPELINE } from '../../../bin/example-pipeline';
import { ExamplePipelineStack } from '../../../bin/example-stack';
import { consumerConfigFromEnv, producerConfigFromEnv } from '../../../functions/core/config';
import {
  consumerFunctionEnvironment,
  createPipelineResources,
  producerFunctionEnvironment,
  resolveLocalPipeline,
  type PipelineResources,
} from '../../../local/runner/pipeline';
import { CONTINUOUS_TIME_BUDGET_SECONDS } from '../../../lib/construct-defaults';
import { useLocalAws } from '../../support/local-aws';

// The example stack as `cdk synth` builds it, without bundling the functions (nothing here reads the code).
const app = new App({ autoSynth: false, context: { 'aws:cdk:bundling-stacks': [] } });
const stack = new ExamplePipelineStack(app, 'Example');
const template = Template.fromStack(stack);

function only(type: string): Record<string, unknown> {
  const resources = Object.values(template.findResources(type));
  expect(resources).toHaveLength(1);
  return (resources[0] as { Properties: Record<string, unknown> }).Properties;
}

function functionProps(idPrefix: string): {
  Timeout: number;
  Environment: { Variables: Record<string, unknown> };
} {
  const [, fn] = Object.entries(template.findResources('AWS::Lambda::Function')).find(([id]) =>
    id.startsWith(idPrefix),
  ) as [string, { Properties: { Timeout: number; Environment: { Variables: Record<string, unknown> } } }];
  return fn.Properties;
}

const resources: PipelineResources = {
  streamNames: ['orders'],
  queueUrl: 'http://127.0.0.1:1/000000000000/orders-producer-queue',
  deadLetterQueueUrl: 'http://127.0.0.1:1/000000000000/orders-producer-dlq',
  onFailureQueueUrl: 'http://127.0.0.1:1/000000000000/orders-consumer-on-failure',
};
const local = {
  region: 'us-east-1',
  endpoints: { kinesis: 'http://127.0.0.1:2', sqs: 'http://127.0.0.1:3' },
};

/**
 * The deployed environment against the local one: the same variables, the same literal values, and a
 * value wherever the deployment has a CloudFormation reference (a stream name, a queue URL). Locally
 * the functions also get the endpoints and credentials of the local servers (SKC_AWS_*).
 */
function expectSameEnvironment(deployed: Record<string, unknown>, localEnv: Record<string, string>): void {
  const own = Object.fromEntries(Object.entries(localEnv).filter(([name]) => !name.startsWith('SKC_AWS_')));
  expect(Object.keys(own).sort()).toEqual(Object.keys(deployed).sort());
  for (const [name, value] of Object.entries(deployed)) {
    if (typeof value === 'string') expect([name, own[name]]).toEqual([name, value]);
    else expect([name, own[name]]).toEqual([name, expect.stringMatching(/.+/)]);
  }
}

describe('the local pipeline, from the definition the example stack deploys', () => {
  // A real-time run at the deployed invocation length is the deployment's consumer (continuous).
  const pipeline = resolveLocalPipeline(EXAMPLE_PIPELINE, {
    continuousBudgetMillis: CONTINUOUS_TIME_BUDGET_SECONDS * 1000,
  });

  it('runs the consumer continuous in real time, and the scheduled design when time is compressed', () => {
    expect(pipeline.consumer.continuous).toBe(true);
    const compressed = resolveLocalPipeline(EXAMPLE_PIPELINE, { timeScale: 10 });
    expect(compressed.consumer.continuous).toBe(false);
    expect(consumerConfigFromEnv(consumerFunctionEnvironment(compressed, resources, local)).continuous).toBe(
      false,
    );
    expect(() =>
      resolveLocalPipeline(EXAMPLE_PIPELINE, { timeScale: 10, continuousBudgetMillis: 30_000 }),
    ).toThrow(/real time only/);
  });

  it('has the stack’s streams and shard counts', () => {
    expect(only('AWS::Kinesis::Stream').ShardCount).toBe(pipeline.streams[0]?.shardCount);
    expect(pipeline.streams.map((s) => s.name)).toEqual(EXAMPLE_PIPELINE.streams.map((s) => s.localName));
  });

  it('has the producer queue’s visibility timeout, retention and redrive, and the mapping’s batching', () => {
    const queues = template.findResources('AWS::SQS::Queue');
    const queue = queues[Object.keys(queues).find((id) => id.startsWith('ProducerQueue')) as string]
      ?.Properties as Record<string, unknown>;
    const dlq = queues[Object.keys(queues).find((id) => id.startsWith('ProducerDeadLetterQueue')) as string]
      ?.Properties as Record<string, unknown>;
    const p = pipeline.producer;
    expect(queue).toMatchObject({
      VisibilityTimeout: p.visibilityTimeoutSeconds,
      MessageRetentionPeriod: p.queueRetentionSeconds,
      RedrivePolicy: { maxReceiveCount: p.maxReceiveCount },
    });
    expect(queue.FifoQueue ?? false).toBe(p.fifo);
    expect(dlq.MessageRetentionPeriod).toBe(p.deadLetterQueueRetentionSeconds);
    expect(only('AWS::Lambda::EventSourceMapping')).toMatchObject({
      BatchSize: p.batchSize,
      MaximumBatchingWindowInSeconds: p.maxBatchingWindowMillis / 1000,
      ScalingConfig: { MaximumConcurrency: p.maxConcurrency },
      FunctionResponseTypes: ['ReportBatchItemFailures'],
    });
    expect(functionProps('ProducerFunction').Timeout * 1000).toBe(p.functionTimeoutMillis);
  });

  it('has the consumer’s timeout, schedule period, subtasks and on-failure queue retention', () => {
    const c = pipeline.consumer;
    expect(functionProps('ConsumerFunction').Timeout * 1000).toBe(c.functionTimeoutMillis);
    // The example stack also deploys an exactly-once consumer of its own; these are the pipeline consumer's.
    const schedules = Object.values(template.findResources('AWS::Scheduler::Schedule')).filter((s) =>
      String(s.Properties.Description).startsWith(`Consumer ${c.consumerName}:`),
    );
    expect(schedules).toHaveLength(c.parallelism);
    expect(c.schedulePeriodMillis).toBe(60_000);
    for (const s of schedules) expect(s.Properties.ScheduleExpression).toBe('rate(1 minute)');
    const queues = template.findResources('AWS::SQS::Queue');
    const onFailure =
      queues[Object.keys(queues).find((id) => id.startsWith('ConsumerOnFailureQueue')) as string];
    expect(onFailure?.Properties.MessageRetentionPeriod).toBe(c.onFailureQueueRetentionSeconds);
  });

  it('gives both functions the environment the stack gives them, read back by their loaders', () => {
    const producerEnv = producerFunctionEnvironment(pipeline, resources, local);
    const consumerEnv = consumerFunctionEnvironment(pipeline, resources, local);
    expectSameEnvironment(functionProps('ProducerFunction').Environment.Variables, producerEnv);
    expectSameEnvironment(functionProps('ConsumerFunction').Environment.Variables, consumerEnv);
    expect(producerConfigFromEnv(producerEnv)).toMatchObject({
      defaultStream: 'orders',
      aws: { endpoints: local.endpoints, credentials: { provider: 'BASIC' } },
    });
    expect(consumerConfigFromEnv(consumerEnv)).toMatchObject({
      streams: ['orders'],
      deserializer: 'json',
      checkpoint: { ssmPrefix: stack.consumer.checkpointParameterPath },
    });
    // npm start -- --efo: the same consumer, reading with enhanced fan-out as a consumer of its own name.
    const efoEnv = consumerFunctionEnvironment(pipeline, resources, local, { efo: true });
    expect(consumerConfigFromEnv(efoEnv)).toMatchObject({
      recordPublisher: 'EFO',
      efo: { consumerName: consumerConfigFromEnv(consumerEnv).consumerName, registration: 'LAZY' },
    });
    expect(consumerConfigFromEnv(consumerEnv).recordPublisher).toBe('POLLING');
  });

  it('divides every deployment duration by the time scale, and nothing else', () => {
    const fast = resolveLocalPipeline(EXAMPLE_PIPELINE, {
      timeScale: 10,
      shards: 4,
      parallelism: 3,
      streams: 2,
    });
    expect(fast.consumer).toMatchObject({
      schedulePeriodMillis: 6000,
      functionTimeoutMillis: 5500,
      timeBudgetMillis: 5000,
      checkpointIntervalMillis: 1000,
      discoveryIntervalMillis: 1000,
      leaseSettleMillis: 200,
      shutdownReserveMillis: 500,
      parallelism: 3,
    });
    expect(fast.producer).toMatchObject({
      functionTimeoutMillis: 6000,
      visibilityTimeoutSeconds: 36,
      maxBatchingWindowMillis: 100,
      batchSize: pipeline.producer.batchSize,
      maxReceiveCount: pipeline.producer.maxReceiveCount,
    });
    expect(fast.streams).toEqual([
      { id: 'Orders', name: 'orders', shardCount: 4 },
      { id: 'Orders2', name: 'orders-2', shardCount: 4 },
    ]);
    const env = consumerFunctionEnvironment(
      fast,
      { ...resources, streamNames: ['orders', 'orders-2'] },
      local,
    );
    expect(consumerConfigFromEnv(env)).toMatchObject({
      timeBudgetMillis: 5000,
      checkpointIntervalMillis: 1000,
      discoveryIntervalMillis: 1000,
      parallelism: 3,
      streams: ['orders', 'orders-2'],
    });
  });
});

describe('creating the pipeline on the local servers', () => {
  const aws = useLocalAws({ kinesis: true, sqs: true });

  it('creates the streams with their shards and the queues with the deployed attributes', async () => {
    const pipeline = resolveLocalPipeline(EXAMPLE_PIPELINE, { timeScale: 10, shards: 3 });
    const created = await createPipelineResources(aws(), pipeline);
    const kinesis = aws().clients.client('kinesis', KinesisClient);
    const summary = await kinesis.send(new DescribeStreamSummaryCommand({ StreamName: 'orders' }));
    expect(summary.StreamDescriptionSummary?.OpenShardCount).toBe(3);
    const sqs = aws().clients.client('sqs', SQSClient);
    const attributes = async (url: string) =>
      (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['All'] })))
        .Attributes ?? {};
    const queue = await attributes(created.queueUrl);
    const dlq = await attributes(created.deadLetterQueueUrl);
    expect(queue).toMatchObject({
      VisibilityTimeout: '36',
      MessageRetentionPeriod: '345600',
      SqsManagedSseEnabled: 'true',
    });
    expect(JSON.parse(queue.RedrivePolicy ?? '{}')).toEqual({
      deadLetterTargetArn: dlq.QueueArn,
      maxReceiveCount: 5,
    });
    expect(dlq.MessageRetentionPeriod).toBe('1209600');
    expect((await attributes(created.onFailureQueueUrl)).MessageRetentionPeriod).toBe('1209600');
  });
});
