import { CreateQueueCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import {
  onFailureMessage,
  SqsOnFailureQueue,
  type FailedRecord,
  type OnFailureMessage,
} from '../../../functions/core/consumer/on-failure';
import { OnFailureSendError } from '../../../functions/core/errors';
import { FakeClock } from '../../../functions/core/time/clock';
import { useLocalAws } from '../../support/local-aws';

const aws = useLocalAws({ sqs: true, maxAttempts: { sqs: 1 } });
const sqs = () => aws().clients.client('sqs', SQSClient);
const NOW = Date.UTC(2026, 2, 3, 4, 5, 6);

function failed(overrides: Partial<FailedRecord> = {}): FailedRecord {
  return {
    stream: 'orders',
    shardId: 'shardId-000000000007',
    sequenceNumber: '49590338271490256608559692538361571095921575989136588898',
    subSequenceNumber: 4,
    partitionKey: 'customer-17',
    explicitHashKey: '12345',
    approximateArrivalTimestamp: new Date(Date.UTC(2026, 2, 3, 4, 0, 0)),
    data: new TextEncoder().encode('{"order":17}'),
    error: new RangeError('amount out of range'),
    stage: 'deliver',
    attempts: 4,
    subtaskIndex: 1,
    ...overrides,
  };
}

/** The real client, counting its calls. */
function countingSqs(): { sqs: Pick<SQSClient, 'send'>; calls: () => number } {
  let calls = 0;
  return {
    sqs: {
      send: ((command: Parameters<SQSClient['send']>[0]) => (
        calls++,
        sqs().send(command)
      )) as SQSClient['send'],
    },
    calls: () => calls,
  };
}

async function queue(name: string): Promise<string> {
  const attributes: Record<string, string> = name.endsWith('.fifo') ? { FifoQueue: 'true' } : {};
  const { QueueUrl } = await sqs().send(new CreateQueueCommand({ QueueName: name, Attributes: attributes }));
  return QueueUrl as string;
}

async function receiveAll(queueUrl: string): Promise<OnFailureMessage[]> {
  const out: OnFailureMessage[] = [];
  for (;;) {
    const { Messages } = await sqs().send(
      new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, VisibilityTimeout: 300 }),
    );
    if (!Messages?.length) return out;
    out.push(...Messages.map((m) => JSON.parse(m.Body as string) as OnFailureMessage));
  }
}

describe('onFailureMessage', () => {
  it('carries the record’s metadata, the error and its data in base64', () => {
    const message = JSON.parse(
      onFailureMessage(failed(), { maxBytes: 262144, now: NOW, consumerName: 'orders-app' }),
    ) as OnFailureMessage;
    expect(message).toEqual({
      source: 'serverless-kinesis-connector',
      consumerName: 'orders-app',
      stream: 'orders',
      shardId: 'shardId-000000000007',
      sequenceNumber: '49590338271490256608559692538361571095921575989136588898',
      subSequenceNumber: 4,
      partitionKey: 'customer-17',
      explicitHashKey: '12345',
      approximateArrivalTimestamp: '2026-03-03T04:00:00.000Z',
      subtaskIndex: 1,
      stage: 'deliver',
      attempts: 4,
      failedAt: '2026-03-03T04:05:06.000Z',
      error: { name: 'RangeError', message: 'amount out of range' },
      data: Buffer.from('{"order":17}').toString('base64'),
      dataBytes: 12,
      dataTruncated: false,
    });
  });

  it.each([2048, 4000, 65536])('cuts the data of a large record to fit %i bytes and says so', (maxBytes) => {
    const data = new Uint8Array(300_000).map((_, i) => i % 251);
    const text = onFailureMessage(failed({ data }), { maxBytes, now: NOW });
    expect(Buffer.byteLength(text)).toBeLessThanOrEqual(maxBytes);
    expect(Buffer.byteLength(text)).toBeGreaterThan(maxBytes - 8);
    const message = JSON.parse(text) as OnFailureMessage;
    expect(message.dataTruncated).toBe(true);
    expect(message.dataBytes).toBe(300_000);
    const kept = Buffer.from(message.data, 'base64');
    expect([...kept]).toEqual([...data.subarray(0, kept.length)]);
  });

  it('keeps a long error message to 2048 characters', () => {
    const message = JSON.parse(
      onFailureMessage(failed({ error: new Error('x'.repeat(10_000)) }), { maxBytes: 262144, now: NOW }),
    ) as OnFailureMessage;
    expect(message.error.message).toHaveLength(2048 + 3);
  });
});

describe('SqsOnFailureQueue on the local SQS server', () => {
  it('stores one message per record, in batches of at most 10', async () => {
    const url = await queue('failed-records');
    const records = Array.from({ length: 23 }, (_, i) => failed({ sequenceNumber: String(1000 + i) }));
    const counting = countingSqs();
    await new SqsOnFailureQueue({ sqs: counting.sqs, queueUrl: url }).send(records);
    const messages = await receiveAll(url);
    expect(messages.map((m) => m.sequenceNumber).sort()).toEqual(records.map((r) => r.sequenceNumber));
    expect(counting.calls()).toBe(3);
  });

  it('stores a resent record once on a FIFO queue', async () => {
    const url = await queue('failed-records.fifo');
    const destination = new SqsOnFailureQueue({ sqs: sqs(), queueUrl: url });
    await destination.send([failed()]);
    await destination.send([failed()]);
    expect(await receiveAll(url)).toHaveLength(1);
  });

  it('retries through throttling', async () => {
    const url = await queue('throttled-failures');
    aws().sqs.faults.set({ operations: ['SendMessageBatch'], throttleNext: 2 });
    const clock = new FakeClock(NOW, { autoAdvance: true });
    const counting = countingSqs();
    await new SqsOnFailureQueue({ sqs: counting.sqs, queueUrl: url, clock, random: () => 0.5 }).send([
      failed(),
    ]);
    aws().sqs.faults.clear();
    expect(counting.calls()).toBe(3);
    expect(await receiveAll(url)).toHaveLength(1);
  });

  it('throws OnFailureSendError when the queue does not exist', async () => {
    const url = (await queue('exists')).replace('/exists', '/does-not-exist');
    await expect(new SqsOnFailureQueue({ sqs: sqs(), queueUrl: url }).send([failed()])).rejects.toThrow(
      OnFailureSendError,
    );
  });
});
