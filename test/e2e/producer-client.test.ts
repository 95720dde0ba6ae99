import { CreateQueueCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { parseMessage } from '../../functions/core/producer/message-contract';
import { ProducerClient } from '../../functions/core/producer/producer-client';
import { FakeClock, seededRandom } from '../../functions/core/time/clock';
import { useLocalAws } from '../support/local-aws';

// One SDK attempt: the retries under test are the ProducerClient's own.
const aws = useLocalAws({ sqs: true, clock: new FakeClock(Date.now()), maxAttempts: { sqs: 1 } });
let sqs: SQSClient;
let counter = 0;

beforeAll(() => {
  sqs = aws().clients.client('sqs', SQSClient);
});

afterEach(() => aws().resetFaults());

async function queue(options: { fifo?: boolean; maximumMessageSize?: number } = {}): Promise<string> {
  const name = `client-${++counter}${options.fifo ? '.fifo' : ''}`;
  const { QueueUrl } = await sqs.send(
    new CreateQueueCommand({
      QueueName: name,
      Attributes: {
        ...(options.fifo ? { FifoQueue: 'true' } : {}),
        ...(options.maximumMessageSize ? { MaximumMessageSize: String(options.maximumMessageSize) } : {}),
      },
    }),
  );
  return QueueUrl ?? '';
}

async function receiveAll(queueUrl: string) {
  const all = [];
  for (;;) {
    const { Messages = [] } = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: queueUrl,
        MaxNumberOfMessages: 10,
        MessageSystemAttributeNames: ['All'],
        MessageAttributeNames: ['All'],
      }),
    );
    if (Messages.length === 0) return all;
    all.push(...Messages);
  }
}

const retryFast = { maxRetries: 3, baseMillis: 1, maxMillis: 5, expConst: 2 };

describe('ProducerClient against the local SQS server', () => {
  it('sends records the producer reads back as sent, 10 a call', async () => {
    const queueUrl = await queue();
    const client = new ProducerClient({ sqs, queueUrl });
    const records = [
      { data: 'text', partitionKey: 'k1' },
      { data: new Uint8Array([0, 1, 255]), stream: 'other' },
      { data: { nested: [1, 'two'] }, explicitHashKey: '12345' },
      ...Array.from({ length: 20 }, (_, n) => ({ data: `r${n}` })),
    ];
    const result = await client.send(records);
    expect(result).toMatchObject({ accepted: 23, failed: 0 });
    expect(new Set(result.outcomes.map((o) => o.accepted && o.messageId)).size).toBe(23);
    const parsed = (await receiveAll(queueUrl)).map((m) => {
      const p = parseMessage({ messageId: m.MessageId ?? '', body: m.Body ?? '' });
      if (!p.ok) throw new Error(p.reason);
      return p.record;
    });
    expect(parsed).toHaveLength(23);
    const byData = new Map(parsed.map((r) => [Buffer.from(r.data).toString('hex'), r]));
    expect(byData.get(Buffer.from('text').toString('hex'))).toMatchObject({ partitionKey: 'k1' });
    expect(byData.get('0001ff')).toMatchObject({ stream: 'other' });
    expect(byData.get(Buffer.from('{"nested":[1,"two"]}').toString('hex'))).toMatchObject({
      explicitHashKey: '12345',
    });
  });

  it('refuses what the queue would refuse before sending, and reports what SQS refused anyway', async () => {
    const queueUrl = await queue({ maximumMessageSize: 1024 });
    const aware = new ProducerClient({ sqs, queueUrl, maxMessageBytes: 1024 });
    const refused = await aware.send([{ data: 'x'.repeat(2000) }, { data: 'fits' }]);
    expect(refused.outcomes[0]).toMatchObject({
      accepted: false,
      code: 'ValidationError',
      retryable: false,
      error: expect.stringMatching(/makes a 2011-byte message; the queue takes at most 1024 bytes/),
    });
    expect(refused.outcomes[1]).toMatchObject({ accepted: true });

    // A client that does not know the queue's limit learns it from SQS, per record, without retrying.
    const unaware = new ProducerClient({ sqs, queueUrl, backoff: retryFast });
    const result = await unaware.send([{ data: 'y'.repeat(2000) }]);
    expect(result.outcomes[0]).toMatchObject({ accepted: false, retryable: false });
    expect((await receiveAll(queueUrl)).map((m) => m.Body)).toEqual(['{"data":"fits"}']);
  });

  it('retries a throttled or failed call and stores each record once', async () => {
    const queueUrl = await queue({ fifo: true });
    const clock = new FakeClock(0, { autoAdvance: true });
    const client = new ProducerClient({ sqs, queueUrl, clock, random: seededRandom(2), backoff: retryFast });
    aws().sqs.faults.set({ operations: ['SendMessageBatch'], throttleNext: 2 });
    const records = Array.from({ length: 15 }, (_, n) => ({ data: { n }, partitionKey: `k${n % 3}` }));
    const result = await client.send(records);
    expect(result).toMatchObject({ accepted: 15, failed: 0 });
    const stored = await receiveAll(queueUrl);
    expect(stored).toHaveLength(15);
    // The partition key became the message group.
    expect(new Set(stored.map((m) => m.Attributes?.MessageGroupId))).toEqual(new Set(['k0', 'k1', 'k2']));
  });

  it('reports every record of a call that keeps failing, as retryable', async () => {
    const queueUrl = await queue();
    const clock = new FakeClock(0, { autoAdvance: true });
    const client = new ProducerClient({ sqs, queueUrl, clock, backoff: retryFast });
    aws().sqs.faults.set({ operations: ['SendMessageBatch'], throttleNext: 100 });
    const result = await client.send([{ data: 'a' }, { data: 'b' }]);
    expect(result).toMatchObject({ accepted: 0, failed: 2 });
    expect(result.outcomes[0]).toMatchObject({ accepted: false, code: 'RequestThrottled', retryable: true });
  });
});
