import { Logger } from '@aws-lambda-powertools/logger';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { KinesisClient } from '@aws-sdk/client-kinesis';
import { CreateQueueCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { consumerConfigFromEnv } from '../../functions/core/config';
import { createLambdaTargetHandler } from '../../functions/consumer/handler-factory';
import type { LambdaTargetEvent } from '../../functions/core/consumer/lambda-target';
import type { ConsumerMetricName } from '../../functions/core/consumer/metrics';
import type { ConsumerMetricsSink } from '../../functions/consumer/metrics';
import type { OnFailureMessage } from '../../functions/core/consumer/on-failure';
import { LocalLambdaServer } from '../../local/lambda/invoke-server';
import { localAwsEnv, useLocalAws } from '../support/local-aws';
import { createStream, putRecords } from './consumer-support';
import { createKeyedTable } from '../../local/dynamodb/tables';

// The deployed shape: a handler configured from its environment only, delivering to a target function
// (local Invoke server), checkpointing in DynamoDB (dynalite), failed records to SQS (local server).
const aws = useLocalAws({ kinesis: true, dynamodb: true, sqs: true });
const lambda = new LocalLambdaServer();
let lambdaEndpoint: string;
beforeAll(async () => {
  lambdaEndpoint = await lambda.listen();
});
afterAll(() => lambda.close());

let requests = 0;
function context(remainingMillis: number) {
  const end = Date.now() + remainingMillis;
  return { awsRequestId: `target-${++requests}`, getRemainingTimeInMillis: () => end - Date.now() };
}

class ListSink implements ConsumerMetricsSink {
  readonly figures: { name: ConsumerMetricName; value: number; stream?: string }[] = [];
  put(name: ConsumerMetricName, value: number, _unit: string, stream?: string): void {
    this.figures.push({ name, value, ...(stream ? { stream } : {}) });
  }
  total(name: ConsumerMetricName): number {
    return this.figures.filter((f) => f.name === name).reduce((n, f) => n + f.value, 0);
  }
}

describe('the consumer handler with a Lambda target, DynamoDB checkpoints and an on-failure queue', () => {
  it('delivers every record to the function, sends the poison one to the queue, and resumes from DynamoDB', async () => {
    const local = aws();
    const kinesis = local.clients.client('kinesis', KinesisClient);
    const sqs = local.clients.client('sqs', SQSClient);
    await createStream(kinesis, 'to-target', 2);
    const sent = await putRecords(kinesis, 'to-target', 400);
    await createKeyedTable(local.clients.client('dynamodb', DynamoDBClient), 'consumer-checkpoints');
    const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: 'target-failures' }));
    const received: string[] = [];
    lambda.register('process-orders', (event) => {
      const e = event as LambdaTargetEvent;
      const texts = e.records.map((r) => Buffer.from(r.data, 'base64').toString());
      if (texts.includes('r-123')) throw new Error('r-123 is malformed');
      received.push(...texts);
    });
    const env = {
      SKC_STREAMS: 'to-target',
      ...localAwsEnv(local, ['kinesis', 'dynamodb', 'sqs']),
      SKC_AWS_ENDPOINT_LAMBDA: lambdaEndpoint,
      SKC_FLINK_STREAM_INITPOS: 'TRIM_HORIZON',
      SKC_FLINK_SHARD_GETRECORDS_INTERVALMILLIS: '20',
      SKC_CONSUMER_NAME: 'orders-app',
      SKC_CONSUMER_CHECKPOINT_STORE: 'dynamodb',
      SKC_CONSUMER_CHECKPOINT_DYNAMODB_TABLE: 'consumer-checkpoints',
      SKC_CONSUMER_CHECKPOINT_INTERVALMILLIS: '1000',
      SKC_CONSUMER_TARGET_FUNCTION: 'process-orders',
      SKC_CONSUMER_ONFAILURE_QUEUEURL: QueueUrl as string,
      SKC_CONSUMER_DELIVERY_MAXRETRIES: '1',
      SKC_CONSUMER_DELIVERY_BACKOFF_BASE: '1',
      SKC_CONSUMER_DELIVERY_BACKOFF_MAX: '2',
      SKC_CONSUMER_COSTMODE: 'true',
      SKC_CONSUMER_IDLERETURNMILLIS: '300',
      SKC_CONSUMER_TIMEBUDGETMILLIS: '8000',
    };
    const metrics = new ListSink();
    const options = {
      config: consumerConfigFromEnv(env),
      logger: new Logger({ logLevel: 'SILENT' }),
      shutdownReserveMillis: 200,
      metrics,
    };
    const first = await createLambdaTargetHandler(options)({}, context(20_000));
    expect(first.summary?.stoppedBy).toBe('caught-up');
    expect(received.sort()).toEqual(sent.filter((d) => d !== 'r-123').sort());
    const { Messages } = await sqs.send(new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 10 }));
    expect(Messages?.map((m) => JSON.parse(m.Body as string) as OnFailureMessage)).toMatchObject([
      {
        consumerName: 'orders-app',
        stream: 'to-target',
        partitionKey: 'key-23',
        error: { message: expect.stringMatching(/r-123 is malformed/) as unknown },
        data: Buffer.from('r-123').toString('base64'),
      },
    ]);
    expect(metrics.total('RecordsDelivered')).toBe(399);
    expect(metrics.total('RecordsRead')).toBe(400);
    expect(metrics.total('RecordsSentToOnFailureQueue')).toBe(1);
    expect(metrics.total('CheckpointWrites')).toBeGreaterThanOrEqual(1);

    // A new container: positions come back from DynamoDB, so only new records are delivered.
    const more = await putRecords(kinesis, 'to-target', 50, { prefix: 'more' });
    received.length = 0;
    const second = await createLambdaTargetHandler({ ...options, metrics: new ListSink() })(
      {},
      context(20_000),
    );
    expect(second.status).toBe('completed');
    expect(received.sort()).toEqual([...more].sort());
  });
});
