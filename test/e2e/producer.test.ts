import {
  CreateStreamCommand,
  DescribeStreamSummaryCommand,
  KinesisClient,
  ListShardsCommand,
  SplitShardCommand,
} from '@aws-sdk/client-kinesis';
import {
  CreateQueueCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SendMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import {
  FAILURE_ATTEMPTS_ATTRIBUTE,
  FAILURE_KIND_ATTRIBUTE,
  FAILURE_SHARD_ATTRIBUTE,
  FAILURE_STREAM_ATTRIBUTE,
  REJECTION_ATTRIBUTE,
  SqsDeadLetterQueue,
} from '../../functions/core/producer/dead-letter';
import { kinesisApi } from '../../functions/core/producer/kinesis-api';
import { Producer, type ProducerSettings } from '../../functions/core/producer/producer';
import { ProducerClient } from '../../functions/core/producer/producer-client';
import { FakeClock, seededRandom, systemClock, type Clock } from '../../functions/core/time/clock';
import { createProducerHandler } from '../../functions/producer/sqs-adapter';
import { expectDeadLettersWithReasons } from '../support/dead-letters';
import { readLikeKcl } from '../support/kcl-reader';
import { useLocalAws } from '../support/local-aws';
import { EventSourceMappingEmulator, readStream } from '../support/producer-e2e';

const silent = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };

// The servers keep this time so tests can move visibility timeouts on; it starts at the real now because
// the producer reads SentTimestamp against a clock that runs on from it (linkedClock).
const sqsClock = new FakeClock(Date.now());
const aws = useLocalAws({ kinesis: true, sqs: true, clock: sqsClock });
let kinesis: KinesisClient;
let sqs: SQSClient;
let counter = 0;

beforeAll(() => {
  kinesis = aws().clients.client('kinesis', KinesisClient);
  sqs = aws().clients.client('sqs', SQSClient);
});

afterEach(() => aws().resetFaults());

function name(prefix: string): string {
  return `${prefix}-${++counter}`;
}

async function createStream(stream: string, shards: number): Promise<void> {
  await kinesis.send(new CreateStreamCommand({ StreamName: stream, ShardCount: shards }));
  await whenActive(stream);
}

/** Polls the stream's status: kinesalite finishes CREATING and UPDATING on a timer of its own. */
async function whenActive(stream: string): Promise<void> {
  for (;;) {
    const summary = await kinesis.send(new DescribeStreamSummaryCommand({ StreamName: stream }));
    if (summary.StreamDescriptionSummary?.StreamStatus === 'ACTIVE') return;
    await new Promise((resolve) => setImmediate(resolve));
  }
}

async function createQueue(queue: string, options: { dlqArn?: string; maxReceiveCount?: number } = {}) {
  const fifo = queue.endsWith('.fifo');
  const { QueueUrl } = await sqs.send(
    new CreateQueueCommand({
      QueueName: queue,
      Attributes: {
        VisibilityTimeout: '30',
        ...(fifo ? { FifoQueue: 'true' } : {}),
        ...(options.dlqArn
          ? {
              RedrivePolicy: JSON.stringify({
                deadLetterTargetArn: options.dlqArn,
                maxReceiveCount: options.maxReceiveCount ?? 5,
              }),
            }
          : {}),
      },
    }),
  );
  return { url: QueueUrl ?? '', arn: `arn:aws:sqs:us-east-1:000000000000:${queue}` };
}

/**
 * The producer's time: the SQS server's (fake) time, which stamps SentTimestamp, moving on in real time
 * so real waits still pass; `aheadMillis` makes messages look that much older.
 */
function linkedClock(aheadMillis = 0): Clock {
  const realStart = Date.now();
  return { now: () => sqsClock.now() + (Date.now() - realStart) + aheadMillis, sleep: systemClock.sleep };
}

function producerFor(settings: ProducerSettings, deadLetterQueueUrl?: string, clock: Clock = linkedClock()) {
  return new Producer(
    { retryBaseMillis: 5, retryMaxMillis: 20, ...settings },
    {
      kinesis: kinesisApi(kinesis),
      ...(deadLetterQueueUrl
        ? { deadLetters: new SqsDeadLetterQueue({ sqs, queueUrl: deadLetterQueueUrl }) }
        : {}),
      clock,
      random: seededRandom(9),
      logger: silent,
    },
  );
}

function mapping(queueUrl: string, producer: Producer, batchSize = 10, remainingMillis = 60000) {
  const handler = createProducerHandler({ producer, logger: silent });
  return new EventSourceMappingEmulator({
    sqs,
    queueUrl,
    batchSize,
    handler: (event) => handler(event, { getRemainingTimeInMillis: () => remainingMillis }),
  });
}

async function userRecords(stream: string) {
  return readLikeKcl(await readStream(kinesis, stream));
}

function ordersByKey(records: { partitionKey: string; data: Buffer }[]) {
  const byKey = new Map<string, number[]>();
  for (const r of records) {
    const list = byKey.get(r.partitionKey) ?? [];
    list.push((JSON.parse(r.data.toString()) as { n: number }).n);
    byKey.set(r.partitionKey, list);
  }
  return byKey;
}

async function visibleCount(queueUrl: string): Promise<number> {
  const { Messages = [] } = await sqs.send(
    new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, VisibilityTimeout: 0 }),
  );
  return Messages.length;
}

describe('the producer behind an SQS queue, on kinesalite', () => {
  it('writes every record sent through a FIFO queue, each key in order, and a KCL reader keeps them all', async () => {
    const stream = name('fifo-stream');
    await createStream(stream, 3);
    const queue = await createQueue(`${name('producer')}.fifo`);
    const client = new ProducerClient({ sqs, queueUrl: queue.url, random: seededRandom(1) });
    const records = Array.from({ length: 240 }, (_, n) => ({ data: { n }, partitionKey: `key-${n % 12}` }));
    const sent = await client.send(records);
    expect(sent).toMatchObject({ accepted: 240, failed: 0 });

    await mapping(queue.url, producerFor({ defaultStream: stream })).drain();

    const read = await userRecords(stream);
    expect(read.dropped).toBe(0);
    expect(read.records).toHaveLength(240);
    const byKey = ordersByKey(read.records);
    expect(byKey.size).toBe(12);
    for (const [key, ns] of byKey) {
      const k = Number(key.slice(4));
      expect({ key, ns }).toEqual({ key, ns: Array.from({ length: 20 }, (_, i) => k + 12 * i) });
    }
  });

  it('routes a large standard-queue batch to several streams, aggregating per shard', async () => {
    const events = name('events');
    const audit = name('audit');
    const orders = name('orders');
    await Promise.all([createStream(events, 4), createStream(audit, 2), createStream(orders, 1)]);
    const queue = await createQueue(name('producer'));
    const client = new ProducerClient({ sqs, queueUrl: queue.url });
    const records = Array.from({ length: 1000 }, (_, n) => ({
      data: { n, kind: n % 5 === 0 ? 'audit' : 'event' },
      partitionKey: `user-${n % 97}`,
      ...(n % 7 === 0 ? { stream: orders } : {}),
    }));
    expect((await client.send(records)).accepted).toBe(1000);
    const producer = producerFor({
      defaultStream: events,
      targetStream: (r) => ((r.value as { kind: string }).kind === 'audit' ? audit : undefined),
    });
    const esm = mapping(queue.url, producer, 1000);
    await esm.drain();
    expect(esm.invocations).toBe(1);
    expect(esm.responses[0]).toEqual({ batchItemFailures: [] });

    const ns = async (stream: string) =>
      (await userRecords(stream)).records
        .map((r) => (JSON.parse(r.data.toString()) as { n: number }).n)
        .sort((a, b) => a - b);
    const expected = (keep: (n: number) => boolean) => records.map((_, n) => n).filter(keep);
    expect(await ns(orders)).toEqual(expected((n) => n % 7 === 0));
    expect(await ns(audit)).toEqual(expected((n) => n % 7 !== 0 && n % 5 === 0));
    expect(await ns(events)).toEqual(expected((n) => n % 7 !== 0 && n % 5 !== 0));
    // Aggregation: far fewer Kinesis records than user records.
    const kinesisRecords = (await readStream(kinesis, events)).reduce((sum, s) => sum + s.records.length, 0);
    expect(kinesisRecords).toBeLessThanOrEqual(8);
  });

  it('refreshes its shard map after a resharding between batches, and a KCL reader loses nothing', async () => {
    const stream = name('resharded');
    await createStream(stream, 2);
    const queue = await createQueue(name('producer'));
    const client = new ProducerClient({ sqs, queueUrl: queue.url });
    const producer = producerFor({ defaultStream: stream, shardMapTtlMillis: 3600000 });
    const batch = (from: number) =>
      Array.from({ length: 300 }, (_, i) => ({ data: { n: from + i }, partitionKey: `key-${i % 40}` }));

    await client.send(batch(0));
    await mapping(queue.url, producer, 300).drain();

    const { Shards = [] } = await kinesis.send(new ListShardsCommand({ StreamName: stream }));
    for (const shard of Shards) {
      const start = BigInt(shard.HashKeyRange?.StartingHashKey ?? '0');
      const end = BigInt(shard.HashKeyRange?.EndingHashKey ?? '0');
      await kinesis.send(
        new SplitShardCommand({
          StreamName: stream,
          ShardToSplit: shard.ShardId,
          NewStartingHashKey: ((start + end + 1n) / 2n).toString(),
        }),
      );
      await whenActive(stream);
    }

    await client.send(batch(300));
    const esm = mapping(queue.url, producer, 300);
    await esm.drain();
    expect(esm.responses).toEqual([{ batchItemFailures: [] }]);

    const read = await userRecords(stream);
    const ns = new Set(read.records.map((r) => (JSON.parse(r.data.toString()) as { n: number }).n));
    expect(ns.size).toBe(600);
    // Aggregates that landed on a child holding only some of their sub-records were written again.
    expect(read.dropped).toBeGreaterThan(0);
  });

  it('sends malformed and oversize messages to the DLQ at once with the reason, and writes the rest', async () => {
    const stream = name('validated');
    await createStream(stream, 1);
    const dlq = await createQueue(name('producer-dlq'));
    const queue = await createQueue(name('producer'), { dlqArn: dlq.arn, maxReceiveCount: 5 });
    const bodies = [
      '{"data":"fine-1"}',
      'not json',
      '{"data":"x","partitionKey":""}',
      '{"data":"x","explicitHashKey":"-1"}',
      '{"data":"x","stream":"bad stream"}',
      '{"data":"x","encoding":"base64"}',
      '{"data":"x","extra":1}',
      // Fits the queue, but not the stream once the 256-character default partition key is added.
      `{"data":"${'y'.repeat(1024 * 1024 - 255)}"}`,
      '{"data":"fine-2"}',
    ];
    await sqs.send(
      new SendMessageBatchCommand({
        QueueUrl: queue.url,
        Entries: bodies.map((MessageBody, i) => ({
          Id: `m${i}`,
          MessageBody,
          ...(i === 1 ? { MessageAttributes: { origin: { DataType: 'String', StringValue: 'test' } } } : {}),
        })),
      }),
    );
    const esm = mapping(
      queue.url,
      producerFor({ defaultStream: stream, defaultPartitionKey: 'p'.repeat(256) }, dlq.url),
    );
    await esm.drain();
    expect(esm.responses).toEqual([{ batchItemFailures: [] }]);
    expect((await userRecords(stream)).records.map((r) => r.data.toString()).sort()).toEqual([
      'fine-1',
      'fine-2',
    ]);

    const Messages = await expectDeadLettersWithReasons(sqs, dlq.url);
    expect(Messages.map((m) => m.Body).sort()).toEqual(bodies.slice(1, 8).sort());
    const reasons = Object.fromEntries(
      Messages.map((m) => [m.Body, m.MessageAttributes?.[REJECTION_ATTRIBUTE]?.StringValue]),
    );
    expect(reasons['not json']).toMatch(/not valid JSON/);
    expect(reasons[bodies[7] as string]).toBe(
      'The record is 1048577 bytes (1048321 of data and 256 of partition key); a record of stream ' +
        `${stream} may be at most 1048576 bytes.`,
    );
    const original = Messages.find((m) => m.Body === 'not json');
    expect(original?.MessageAttributes?.origin?.StringValue).toBe('test');
    // Nothing comes back to the source queue.
    await sqsClock.advance(31000);
    expect(await visibleCount(queue.url)).toBe(0);
  });

  it('fits the reason into a dead-lettered message near the size limit, and sends it without when there is no room', async () => {
    const { QueueUrl: dlqUrl = '' } = await sqs.send(
      new CreateQueueCommand({ QueueName: name('small-dlq'), Attributes: { MaximumMessageSize: '1024' } }),
    );
    const letters = new SqsDeadLetterQueue({ sqs, queueUrl: dlqUrl, maxMessageBytes: 1024 });
    const reason = `The record is too big: ${'details '.repeat(40)}`;
    const letter = (body: string) => ({
      message: { messageId: `m-${body.length}`, body },
      rejection: { field: 'data', reason },
    });
    const errors = await letters.send([letter('a'.repeat(900)), letter('b'.repeat(1020))]);
    expect(errors).toEqual(new Map());
    const { Messages = [] } = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: dlqUrl,
        MaxNumberOfMessages: 10,
        MessageAttributeNames: ['All'],
      }),
    );
    const byBody = new Map(
      Messages.map((m) => [m.Body?.[0], m.MessageAttributes?.[REJECTION_ATTRIBUTE]?.StringValue]),
    );
    // The reason comes first: 1,024 - 900 body bytes - 23 for its name and type leaves 101 bytes of it,
    // and no room for the field attribute after.
    expect(byBody.get('a')).toBe(reason.slice(0, 101));
    // The one message a reason cannot ride on: its body alone is within 23 bytes of the queue's limit.
    expect(byBody.has('b')).toBe(true);
    expect(byBody.get('b')).toBeUndefined();
  });

  it('dead-letters a malformed FIFO message into a FIFO DLQ in its group, once even if delivered twice', async () => {
    const stream = name('fifo-validated');
    await createStream(stream, 1);
    const dlq = await createQueue(`${name('producer-dlq')}.fifo`);
    const queue = await createQueue(`${name('producer')}.fifo`, { dlqArn: dlq.arn });
    await sqs.send(
      new SendMessageCommand({
        QueueUrl: queue.url,
        MessageBody: '{"oops"',
        MessageGroupId: 'g1',
        MessageDeduplicationId: 'd1',
      }),
    );
    const received = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: queue.url,
        MessageSystemAttributeNames: ['All'],
        VisibilityTimeout: 0,
      }),
    );
    const message = received.Messages?.[0];
    const letters = new SqsDeadLetterQueue({ sqs, queueUrl: dlq.url });
    const letter = {
      message: {
        messageId: message?.MessageId ?? '',
        body: message?.Body ?? '',
        messageGroupId: message?.Attributes?.MessageGroupId ?? '',
      },
      rejection: { field: 'body', reason: 'not JSON' },
    };
    // A retried send (or a second delivery) carries the same message id, which deduplicates it.
    expect(await letters.send([letter])).toEqual(new Map());
    expect(await letters.send([letter])).toEqual(new Map());
    const { Messages = [] } = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: dlq.url,
        MaxNumberOfMessages: 10,
        MessageSystemAttributeNames: ['All'],
      }),
    );
    expect(Messages.map((m) => [m.Body, m.Attributes?.MessageGroupId])).toEqual([['{"oops"', 'g1']]);
  });

  it('writes a backlog that waited in the queue past RecordTtl, dead-lettering nothing', async () => {
    const stream = name('backlog');
    await createStream(stream, 1);
    const dlq = await createQueue(name('producer-dlq'));
    const queue = await createQueue(name('producer'), { dlqArn: dlq.arn, maxReceiveCount: 3 });
    const bodies = Array.from({ length: 30 }, (_, n) => JSON.stringify({ data: { n } }));
    for (let i = 0; i < bodies.length; i += 10) {
      await sqs.send(
        new SendMessageBatchCommand({
          QueueUrl: queue.url,
          Entries: bodies.slice(i, i + 10).map((MessageBody, j) => ({ Id: `m${j}`, MessageBody })),
        }),
      );
    }
    // The producer sees the backlog 10 minutes after it was sent: far past the 30 s RecordTtl, which
    // counts from the invocation now, so the queue's wait does not use it up.
    const esm = mapping(
      queue.url,
      producerFor(
        { defaultStream: stream, recordTtlMillis: 30000, maxReceiveCount: 3 },
        dlq.url,
        linkedClock(600_000),
      ),
    );
    await esm.drain();
    expect(esm.responses.every((r) => !(r instanceof Error) && r.batchItemFailures.length === 0)).toBe(true);
    expect((await userRecords(stream)).records).toHaveLength(30);
    expect(await expectDeadLettersWithReasons(sqs, dlq.url)).toHaveLength(0);
  });

  it('dead-letters a message not written by its last receive itself, with the reason, stream, shard and attempts', async () => {
    const stream = name('last-receive');
    await createStream(stream, 1);
    const dlq = await createQueue(name('producer-dlq'));
    const queue = await createQueue(name('producer'), { dlqArn: dlq.arn, maxReceiveCount: 3 });
    await sqs.send(new SendMessageCommand({ QueueUrl: queue.url, MessageBody: '{"data":"stuck"}' }));
    aws().kinesis.failPutRecordsEntries({ failEntry: () => 'InternalFailure', times: Infinity });
    const esm = mapping(
      queue.url,
      producerFor({ defaultStream: stream, recordTtlMillis: 300, maxReceiveCount: 3 }, dlq.url),
    );
    for (let receive = 1; receive <= 2; receive++) {
      expect(await esm.pollOnce()).toBe(true);
      expect(esm.responses.at(-1)).toEqual({ batchItemFailures: [{ itemIdentifier: expect.any(String) }] });
      await sqsClock.advance(30000);
    }
    // The third receive is the last: the producer sends it to the DLQ and reports it done.
    expect(await esm.pollOnce()).toBe(true);
    expect(esm.responses.at(-1)).toEqual({ batchItemFailures: [] });
    await sqsClock.advance(30000);
    expect(await visibleCount(queue.url)).toBe(0);
    const letters = await expectDeadLettersWithReasons(sqs, dlq.url);
    expect(letters).toHaveLength(1);
    const attributes = letters[0]?.MessageAttributes ?? {};
    expect(letters[0]?.Body).toBe('{"data":"stuck"}');
    expect(attributes[REJECTION_ATTRIBUTE]?.StringValue).toMatch(
      /^Not written by receive 3 of 3 \(\d+ PutRecords attempt\(s\) in the last\): RecordTtl \(300 ms\) ran out .*InternalFailure/,
    );
    expect(attributes[FAILURE_KIND_ATTRIBUTE]?.StringValue).toBe('expired');
    expect(attributes[FAILURE_STREAM_ATTRIBUTE]?.StringValue).toBe(stream);
    expect(attributes[FAILURE_SHARD_ATTRIBUTE]?.StringValue).toBe('shardId-000000000000');
    expect(attributes[FAILURE_ATTEMPTS_ATTRIBUTE]).toMatchObject({ DataType: 'Number', StringValue: '3' });
    expect((await userRecords(stream)).records).toHaveLength(0);
  });

  it('retries only the failed entries of partly failed PutRecords, writing each record once', async () => {
    const stream = name('partial');
    await createStream(stream, 2);
    const queue = await createQueue(name('producer'));
    await new ProducerClient({ sqs, queueUrl: queue.url }).send(
      Array.from({ length: 200 }, (_, n) => ({ data: { n }, partitionKey: `k${n}` })),
    );
    // Without aggregation, so entries are user records; every third entry throttled, every third failed,
    // on the first four calls. Counted from here: the proxy's count runs over the whole file.
    const injectedBefore = aws().kinesis.injectedCount('PutRecords');
    aws().kinesis.failPutRecordsEntries({
      failEntry: (_entry, index) =>
        index % 3 === 0
          ? 'ProvisionedThroughputExceededException'
          : index % 3 === 1
            ? 'InternalFailure'
            : undefined,
      times: 4,
    });
    const esm = mapping(queue.url, producerFor({ defaultStream: stream, aggregationEnabled: false }), 200);
    await esm.drain();
    expect(esm.responses).toEqual([{ batchItemFailures: [] }]);
    expect(aws().kinesis.injectedCount('PutRecords') - injectedBefore).toBe(4);
    const ns = (await userRecords(stream)).records.map(
      (r) => (JSON.parse(r.data.toString()) as { n: number }).n,
    );
    expect(ns).toHaveLength(200);
    expect(new Set(ns).size).toBe(200);
  });

  it('retries throttled calls, and with FailIfThrottled hands the batch back to SQS instead', async () => {
    const stream = name('throttled');
    await createStream(stream, 1);
    const queue = await createQueue(name('producer'));
    const client = new ProducerClient({ sqs, queueUrl: queue.url });
    await client.send([{ data: 'a' }, { data: 'b' }]);
    aws().kinesis.inject({
      operation: 'PutRecords',
      code: 'ProvisionedThroughputExceededException',
      times: 3,
    });
    const patient = mapping(queue.url, producerFor({ defaultStream: stream }));
    await patient.drain();
    expect(patient.responses).toEqual([{ batchItemFailures: [] }]);
    expect(aws().kinesis.callCount('PutRecords')).toBeGreaterThanOrEqual(4);

    await client.send([{ data: 'c' }]);
    aws().kinesis.inject({
      operation: 'PutRecords',
      code: 'ProvisionedThroughputExceededException',
      times: 1,
    });
    const strict = mapping(
      queue.url,
      producerFor({ defaultStream: stream, failIfThrottled: true, recordTtlMillis: 120000 }),
    );
    expect(await strict.pollOnce()).toBe(true);
    expect(strict.responses[0]).toEqual({ batchItemFailures: [{ itemIdentifier: expect.any(String) }] });
    await sqsClock.advance(30000);
    await strict.drain();
    expect((await userRecords(stream)).records.map((r) => r.data.toString()).sort()).toEqual(['a', 'b', 'c']);
  });

  it('keeps a FIFO group in order across a failure and the redelivery that follows', async () => {
    const stream = name('ordered');
    await createStream(stream, 2);
    // Group A's record n=2 fails on every put of the first delivery. Once it has failed three times and
    // group B's last record has gone through, the producer's clock jumps past the invocation's deadline,
    // so the delivery ends with exactly A's n=2..4 unwritten however long the local puts take under load.
    let failing = true;
    let failures = 0;
    let groupBWritten = false;
    let jumpMillis = 0;
    aws().kinesis.failPutRecordsEntries({
      failEntry: (entry) => {
        const data = Buffer.from(entry.Data ?? '', 'base64').toString();
        if (data.includes('"g":"B","n":4')) groupBWritten = true;
        if (!failing || !data.includes('"g":"A","n":2')) return undefined;
        if (++failures >= 3 && groupBWritten) jumpMillis = 60_000;
        return 'InternalFailure';
      },
      times: Infinity,
    });
    const queue = await createQueue(`${name('ordered')}.fifo`);
    const client = new ProducerClient({ sqs, queueUrl: queue.url, random: seededRandom(5) });
    const records = [];
    for (let n = 0; n < 5; n++) {
      records.push({ data: { g: 'A', n }, partitionKey: 'a', messageGroupId: 'A' });
      records.push({ data: { g: 'B', n }, partitionKey: 'b', messageGroupId: 'B' });
    }
    expect((await client.send(records)).accepted).toBe(10);
    // A TTL past the jump and the 30 s visibility timeout, so the redelivered records are still fresh.
    const linked = linkedClock();
    const producer = producerFor(
      { defaultStream: stream, aggregationEnabled: false, recordTtlMillis: 600_000 },
      undefined,
      { now: () => linked.now() + jumpMillis, sleep: linked.sleep },
    );
    // 60 s left, of which the jump uses up all.
    const esm = mapping(queue.url, producer, 10, 60_000);
    expect(await esm.pollOnce()).toBe(true);
    expect((esm.responses[0] as { batchItemFailures: unknown[] }).batchItemFailures).toHaveLength(3);
    failing = false;
    await sqsClock.advance(30000);
    await esm.drain();

    // One key per group, so each group's records sit on one shard in the order they were written.
    const written = (await userRecords(stream)).records.map(
      (r) => JSON.parse(r.data.toString()) as { g: string; n: number },
    );
    expect(written.filter((r) => r.g === 'A').map((r) => r.n)).toEqual([0, 1, 2, 3, 4]);
    expect(written.filter((r) => r.g === 'B').map((r) => r.n)).toEqual([0, 1, 2, 3, 4]);
    expect(aws().kinesis.injectedCount('PutRecords')).toBeGreaterThan(0);
  });
});
