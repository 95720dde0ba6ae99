import type { SQSEvent, SQSRecord } from 'aws-lambda';
import { Producer } from '../../../functions/core/producer/producer';
import { FakeClock, seededRandom } from '../../../functions/core/time/clock';
import {
  createProducerHandler,
  ProducerBatchError,
  toProducerMessage,
  type MetricsSink,
} from '../../../functions/producer/sqs-adapter';
import { KinesisShardModel } from '../../support/kinesis-shard-model';

const silent = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };

function sqsRecord(messageId: string, body: string, extra: Partial<SQSRecord['attributes']> = {}): SQSRecord {
  return {
    messageId,
    receiptHandle: `rh-${messageId}`,
    body,
    attributes: {
      ApproximateReceiveCount: '1',
      SentTimestamp: String(Date.UTC(2026, 0, 1)),
      SenderId: 'sender',
      ApproximateFirstReceiveTimestamp: String(Date.UTC(2026, 0, 1)),
      ...extra,
    },
    messageAttributes: {},
    md5OfBody: '',
    eventSource: 'aws:sqs',
    eventSourceARN: 'arn:aws:sqs:us-east-1:000000000000:q',
    awsRegion: 'us-east-1',
  };
}

class RecordingMetrics implements MetricsSink {
  readonly values = new Map<string, number>();
  published = 0;
  addMetric(name: string, _unit: string, value: number) {
    this.values.set(name, value);
  }
  publishStoredMetrics() {
    this.published++;
  }
}

function setup(failOnError = false) {
  const clock = new FakeClock(Date.UTC(2026, 0, 1), { autoAdvance: true });
  const model = new KinesisShardModel({ clock });
  model.createStream('events', 2);
  const producer = new Producer(
    { defaultStream: 'events' },
    { kinesis: model, clock, random: seededRandom(1) },
  );
  const metrics = new RecordingMetrics();
  const handler = createProducerHandler({ producer, logger: silent, metrics, failOnError });
  return { model, metrics, handler };
}

const context = { getRemainingTimeInMillis: () => 30000 };

describe('the producer Lambda adapter', () => {
  it('maps an SQS record, decoding binary attributes and reading the sent and first-receive times and group', () => {
    const record = sqsRecord('m1', 'body', { SentTimestamp: '1767225600123', MessageGroupId: 'g' });
    record.messageAttributes = {
      partitionKey: { dataType: 'String', stringValue: 'k' },
      blob: { dataType: 'Binary', binaryValue: Buffer.from([1, 2]).toString('base64') },
    };
    expect(toProducerMessage(record)).toEqual({
      messageId: 'm1',
      body: 'body',
      attributes: {
        partitionKey: { dataType: 'String', stringValue: 'k' },
        blob: { dataType: 'Binary', binaryValue: Buffer.from([1, 2]) },
      },
      sentTimestamp: 1767225600123,
      messageGroupId: 'g',
      receiveCount: 1,
      firstReceivedAt: Date.UTC(2026, 0, 1),
    });
  });

  it('reports unwritten messages as batch item failures and publishes the batch metrics', async () => {
    const { model, metrics, handler } = setup();
    model.setFault(() => ({ kind: 'call-error', name: 'AccessDeniedException' }));
    const event: SQSEvent = { Records: [sqsRecord('a', '{"data":"x"}'), sqsRecord('b', '{"data":"y"}')] };
    const response = await handler(event, context);
    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: 'a' }, { itemIdentifier: 'b' }] });
    expect(metrics.published).toBe(1);
    expect(metrics.values.get('UserRecordsReceived')).toBe(2);
    expect(metrics.values.get('BatchItemFailures')).toBe(2);
    expect(metrics.values.get('PutRecordsCalls')).toBe(1);
  });

  it('returns no failures for a written batch', async () => {
    const { metrics, handler } = setup();
    const response = await handler({ Records: [sqsRecord('a', '{"data":"x"}')] }, context);
    expect(response).toEqual({ batchItemFailures: [] });
    expect(metrics.values.get('UserRecordsPut')).toBe(1);
    expect(metrics.values.get('BytesPut')).toBeGreaterThan(0);
  });

  it('fails the whole batch with failOnError when any record was not written', async () => {
    const { model, handler } = setup(true);
    model.setFault(() => ({ kind: 'call-error', name: 'AccessDeniedException' }));
    await expect(handler({ Records: [sqsRecord('a', '{"data":"x"}')] }, context)).rejects.toThrow(
      ProducerBatchError,
    );
    await expect(handler({ Records: [sqsRecord('a', '{"data":"x"}')] }, context)).rejects.toThrow(
      /1 of 1 messages were not written to Kinesis, and failOnError is set/,
    );
  });
});
