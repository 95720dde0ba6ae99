import { KinesisClient } from '@aws-sdk/client-kinesis';
import { CreateQueueCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { DEFAULT_ENGINE_SETTINGS } from '../../functions/core/consumer/engine';
import { SqsOnFailureQueue, type OnFailureMessage } from '../../functions/core/consumer/on-failure';
import { useLocalAws } from '../support/local-aws';
import {
  Collector,
  createStream,
  putRecords,
  READER_KINDS,
  runSubtasksUntil,
  testConsumer,
} from './consumer-support';

// Kinesalite behind the EFO server (which serves the polling reader too), the local SSM server for
// checkpoints and the local SQS server as the on-failure queue.
const aws = useLocalAws({ kinesis: { enhancedFanOut: true }, ssm: true, sqs: true });
const RETRIES = 3;

describe.each(READER_KINDS)('a poison record on the local servers (%s)', (readerKind) => {
  it('is isolated in a logarithmic number of handler calls and lands in the on-failure queue with its metadata, every other record delivered', async () => {
    const kinesis = aws().clients.client('kinesis', KinesisClient);
    const sqs = aws().clients.client('sqs', SQSClient);
    const stream = `poison-${readerKind}`;
    await createStream(kinesis, stream, 1);
    const sent = await putRecords(kinesis, stream, 3000, { keys: 40 });
    const poison = 'r-1777';
    const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: `${stream}-failures` }));
    const collector = new Collector();
    let calls = 0;
    const engine = testConsumer({
      aws: aws(),
      streams: [stream],
      collector,
      readerKind,
      reader: { ...DEFAULT_ENGINE_SETTINGS.reader, intervalMillis: 20, maxRecordsPerCall: 10_000 },
      delivery: {
        batchSize: 10_000,
        maxBatchingMillis: 0,
        backoff: { maxRetries: RETRIES, baseMillis: 1, maxMillis: 5, expConst: 2 },
      },
      onFailure: new SqsOnFailureQueue({ sqs, queueUrl: QueueUrl as string, consumerName: 'poison-app' }),
      handler: (records) => {
        calls++;
        if (records.some((r) => r.data === poison)) throw new Error(`refusing ${poison}`);
        collector.add(records);
      },
    });
    const [summary] = await runSubtasksUntil(engine, collector, sent.length - 1, 1);

    expect(summary?.error).toBeUndefined();
    expect(collector.missing(sent)).toEqual([poison]);
    expect(collector.duplicates).toEqual([]);
    expect(collector.orderViolations).toEqual([]);
    expect(summary?.shards[0]?.handlerCalls).toBe(calls);
    expect(calls).toBeLessThanOrEqual(2 * (RETRIES + 1) + 2 * Math.ceil(Math.log2(3000)));
    expect(summary?.recordsSentToOnFailure).toBe(1);

    const { Messages } = await sqs.send(new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 10 }));
    expect(Messages).toHaveLength(1);
    const message = JSON.parse(Messages?.[0]?.Body as string) as OnFailureMessage;
    expect(message).toMatchObject({
      source: 'serverless-kinesis-connector',
      consumerName: 'poison-app',
      stream,
      shardId: 'shardId-000000000000',
      partitionKey: `key-${1777 % 40}`,
      stage: 'deliver',
      attempts: RETRIES + 1,
      error: { name: 'Error', message: `refusing ${poison}` },
      data: Buffer.from(poison).toString('base64'),
      dataTruncated: false,
    });
    expect(message.sequenceNumber).toMatch(/^\d{56}$/);
    expect(Date.parse(message.approximateArrivalTimestamp)).toBeGreaterThan(Date.now() - 60_000);
  });
});
