import type { DeadLetter, DeadLetterSink } from '../../../functions/core/producer/dead-letter';
import type { ProducerMessage } from '../../../functions/core/producer/message-contract';
import { Producer, type ProducerSettings } from '../../../functions/core/producer/producer';
import { FakeClock, seededRandom } from '../../../functions/core/time/clock';
import { readLikeKcl } from '../../support/kcl-reader';
import { KinesisShardModel } from '../../support/kinesis-shard-model';

class MemoryDeadLetters implements DeadLetterSink {
  readonly letters: DeadLetter[] = [];
  failFor = new Set<string>();

  async send(letters: readonly DeadLetter[]): Promise<ReadonlyMap<string, string>> {
    const errors = new Map<string, string>();
    for (const letter of letters) {
      if (this.failFor.has(letter.message.messageId)) errors.set(letter.message.messageId, 'AccessDenied');
      else this.letters.push(letter);
    }
    return errors;
  }
}

interface Setup {
  clock: FakeClock;
  model: KinesisShardModel;
  deadLetters: MemoryDeadLetters;
  producer: Producer;
}

function setup(settings: ProducerSettings = {}, shards = 4, latencyMillis = 20): Setup {
  const clock = new FakeClock(1_000_000, { autoAdvance: true });
  const model = new KinesisShardModel({ clock, latencyMillis });
  model.createStream('events', shards);
  const deadLetters = new MemoryDeadLetters();
  const producer = new Producer(
    { defaultStream: 'events', ...settings },
    { kinesis: model, deadLetters, clock, random: seededRandom(42) },
  );
  return { clock, model, deadLetters, producer };
}

let sequence = 0;
function message(body: unknown, extra: Partial<ProducerMessage> & { clock: FakeClock }): ProducerMessage {
  const { clock, ...rest } = extra;
  return {
    messageId: `msg-${++sequence}`,
    body: typeof body === 'string' ? body : JSON.stringify(body),
    sentTimestamp: clock.now(),
    ...rest,
  };
}

function readAll(model: KinesisShardModel, stream = 'events') {
  return readLikeKcl(
    model.shardIds(stream).map((shardId) => ({
      shardId,
      ...model.range(stream, shardId),
      records: model.records(stream, shardId),
    })),
  );
}

function perKeyOrder(records: { partitionKey: string; data: Buffer }[]): Map<string, number[]> {
  const byKey = new Map<string, number[]>();
  for (const r of records) {
    const list = byKey.get(r.partitionKey) ?? [];
    list.push(Number(JSON.parse(r.data.toString()).n));
    byKey.set(r.partitionKey, list);
  }
  return byKey;
}

function expectAscending(byKey: Map<string, number[]>): void {
  for (const [key, ns] of byKey) expect({ key, ns }).toEqual({ key, ns: [...ns].sort((a, b) => a - b) });
}

describe('Producer', () => {
  it('writes every record of a batch once, aggregated per shard, each key in order', async () => {
    const { clock, model, producer } = setup();
    const batch = Array.from({ length: 2000 }, (_, n) =>
      message({ data: { n }, partitionKey: `user-${n % 37}` }, { clock }),
    );
    const result = await producer.process(batch);
    expect(result.failures).toEqual([]);
    expect(result.written).toBe(2000);
    const read = readAll(model);
    expect(read.dropped).toBe(0);
    expect(read.records).toHaveLength(2000);
    expect(new Set(read.records.map((r) => r.data.toString())).size).toBe(2000);
    expectAscending(perKeyOrder(read.records));
    expect(result.stats.userRecordsPut).toBe(2000);
    expect(result.stats.aggregatedRecordsPut).toBe(result.stats.kinesisRecordsPut);
    expect(result.stats.kinesisRecordsPut).toBeLessThan(40);
    expect(result.stats.throttledEntries).toBe(0);
  });

  it('writes one Kinesis record per user record when aggregation is off', async () => {
    const { clock, model, producer } = setup({ aggregationEnabled: false });
    const batch = Array.from({ length: 1200 }, (_, n) =>
      message({ data: { n }, partitionKey: `k${n % 5}` }, { clock }),
    );
    const result = await producer.process(batch);
    expect(result.written).toBe(1200);
    expect(result.stats.kinesisRecordsPut).toBe(1200);
    expect(model.calls.every((c) => (c.records?.length ?? 0) <= 500)).toBe(true);
    expectAscending(perKeyOrder(readAll(model).records));
  });

  it('routes records to several streams', async () => {
    const { clock, model, producer } = setup({
      targetStream: (r) => ((r.value as { type?: string }).type === 'audit' ? 'audit' : undefined),
    });
    model.createStream('audit', 2);
    model.createStream('orders', 1);
    const batch = [
      message({ data: { type: 'audit', n: 1 } }, { clock }),
      message({ data: { type: 'click', n: 2 } }, { clock }),
      message({ data: { n: 3 }, stream: 'orders' }, { clock }),
    ];
    const result = await producer.process(batch);
    expect(result.written).toBe(3);
    const ns = (stream: string) => readAll(model, stream).records.map((r) => JSON.parse(r.data.toString()).n);
    expect(ns('audit')).toEqual([1]);
    expect(ns('events')).toEqual([2]);
    expect(ns('orders')).toEqual([3]);
  });

  it('retries only the failed entries of a partly failed PutRecords', async () => {
    const { clock, model, producer } = setup({ aggregationEnabled: false }, 1);
    model.setFault((call) =>
      call.index === 0
        ? {
            kind: 'entries',
            errors: new Map([
              [1, 'ProvisionedThroughputExceededException'],
              [3, 'InternalFailure'],
            ]),
          }
        : undefined,
    );
    const batch = Array.from({ length: 5 }, (_, n) =>
      message({ data: { n }, partitionKey: `k${n}` }, { clock }),
    );
    const result = await producer.process(batch);
    expect(result.failures).toEqual([]);
    expect(model.calls.map((c) => c.records?.map((r) => r.PartitionKey))).toEqual([
      ['k0', 'k1', 'k2', 'k3', 'k4'],
      ['k1', 'k3'],
    ]);
    expect(
      readAll(model)
        .records.map((r) => r.partitionKey)
        .sort(),
    ).toEqual(['k0', 'k1', 'k2', 'k3', 'k4']);
    expect(result.stats).toMatchObject({ failedEntries: 2, throttledEntries: 1, retries: 2 });
    // The retry waited a full-jitter backoff after the failed call.
    const [first, second] = model.calls;
    expect((second?.at ?? 0) - (first?.at ?? 0)).toBeGreaterThanOrEqual(20);
  });

  it('retries a whole call after a transient error or a timeout, and fails its records on a fatal one', async () => {
    const transient = setup({ requestTimeoutMillis: 500 });
    transient.model.setFault((call) =>
      call.index === 0
        ? { kind: 'call-error', name: 'ServiceUnavailable', status: 503 }
        : call.index === 1
          ? { kind: 'hang' }
          : undefined,
    );
    const start = transient.clock.now();
    const ok = await transient.producer.process([message({ data: 'x' }, { clock: transient.clock })]);
    expect(ok.failures).toEqual([]);
    expect(transient.model.calls).toHaveLength(3);
    expect((transient.model.calls[2]?.at ?? 0) - start).toBeGreaterThanOrEqual(500);

    const fatal = setup();
    fatal.model.setFault(() => ({ kind: 'call-error', name: 'AccessDeniedException' }));
    const batch = [
      message({ data: 'a' }, { clock: fatal.clock }),
      message({ data: 'b' }, { clock: fatal.clock }),
    ];
    const result = await fatal.producer.process(batch);
    expect([...result.failures].sort()).toEqual(batch.map((m) => m.messageId).sort());
    expect(result.failed[0]).toMatchObject({
      kind: 'rejected',
      reason: expect.stringMatching(/AccessDeniedException/),
    });
    expect(fatal.model.calls.length).toBeLessThanOrEqual(2);
  });

  it('reports a message in an aggregate that kept failing as a batch item failure, all messages of it', async () => {
    const { clock, model, producer } = setup({ recordTtlMillis: 2000 }, 1);
    model.setFault(() => ({ kind: 'entries', errors: new Map([[0, 'InternalFailure']]) }));
    const batch = Array.from({ length: 10 }, (_, n) => message({ data: { n } }, { clock }));
    const sent = clock.now();
    const result = await producer.process(batch);
    expect(result.failures).toEqual(batch.map((m) => m.messageId));
    expect(result.failed.every((f) => f.kind === 'expired')).toBe(true);
    expect(result.failed[0]?.reason).toMatch(
      /RecordTtl \(2000 ms\) ran out in this invocation .*goes back to the queue.*InternalFailure/,
    );
    expect(clock.now() - sent).toBeGreaterThanOrEqual(2000);
    expect(clock.now() - sent).toBeLessThan(2000 + 100);
    expect(result.stats.expiredRecords).toBe(10);
    expect(readAll(model).records).toHaveLength(0);
  });

  it('counts the TTL from the invocation, not the send: a message that waited in the queue past it is written', async () => {
    const { clock, model, producer } = setup({ recordTtlMillis: 30000 });
    const old = message({ data: 'old' }, { clock, sentTimestamp: clock.now() - 3_600_000 });
    const fresh = message({ data: 'fresh' }, { clock, sentTimestamp: clock.now() - 29000 });
    const result = await producer.process([old, fresh]);
    expect(result.failures).toEqual([]);
    expect(result.stats.expiredRecords).toBe(0);
    expect(
      readAll(model)
        .records.map((r) => r.data.toString())
        .sort(),
    ).toEqual(['fresh', 'old']);
    // The buffered time still counts from the send, so the metric shows the queue's wait.
    expect(result.stats.bufferedMillisMax).toBeGreaterThanOrEqual(3_600_000);
  });

  it('fails a throttled record at once with FailIfThrottled', async () => {
    const { clock, model, producer } = setup({ failIfThrottled: true });
    model.setFault(() => ({
      kind: 'entries',
      errors: new Map([[0, 'ProvisionedThroughputExceededException']]),
    }));
    const result = await producer.process([message({ data: 'x' }, { clock })]);
    expect(result.failed).toMatchObject([{ kind: 'throttled' }]);
    expect(model.calls).toHaveLength(1);
  });

  it('reports what is not written by the deadline, starting no call after it', async () => {
    const { clock, model, producer } = setup({ aggregationEnabled: false, rateLimitPercent: 10 }, 1);
    const batch = Array.from({ length: 300 }, (_, n) => message({ data: { n } }, { clock }));
    const deadline = clock.now() + 1000;
    const result = await producer.process(batch, { deadline });
    // 10% of 1,000 records/s: about 100 now and 100 per second after.
    expect(result.written).toBeGreaterThan(0);
    expect(result.written).toBeLessThan(300);
    expect(result.failures).toHaveLength(300 - result.written);
    expect(result.failed.every((f) => f.kind === 'deadline')).toBe(true);
    expect(model.calls.every((c) => c.at < deadline - 200)).toBe(true);
    expect(clock.now()).toBeLessThanOrEqual(deadline);
    expect(readAll(model).records).toHaveLength(result.written);
  });

  it('abandons a call still running at the deadline and reports its records', async () => {
    const { clock, model, producer } = setup({ requestTimeoutMillis: 6000 });
    model.setFault(() => ({ kind: 'hang' }));
    const deadline = clock.now() + 1000;
    const result = await producer.process([message({ data: 'x' }, { clock })], { deadline });
    expect(result.failed).toMatchObject([{ kind: 'deadline' }]);
    expect(model.calls).toHaveLength(1);
    expect(clock.now()).toBe(deadline);
  });

  it('dead-letters malformed and oversize messages at once with the reason, and writes the rest', async () => {
    // A 256-character default partition key: data that fits on its own no longer fits with it.
    const { clock, model, deadLetters, producer } = setup({ defaultPartitionKey: 'p'.repeat(256) });
    const big = 'x'.repeat(1024 * 1024 - 255);
    const batch = [
      message('not json', { clock }),
      message({ data: 'ok-1' }, { clock }),
      message({ nodata: true }, { clock }),
      message({ data: big }, { clock }),
      message({ data: 'ok-2', stream: 'no such/stream' }, { clock }),
      message({ data: 'ok-3', partitionKey: 'p' }, { clock }),
      message({ data: big, partitionKey: 'k' }, { clock }),
    ];
    const result = await producer.process(batch);
    expect(result.failures).toEqual([]);
    expect(result.deadLettered.map((d) => [d.messageId, d.field])).toEqual([
      [batch[0]?.messageId, 'body'],
      [batch[2]?.messageId, 'nodata'],
      [batch[3]?.messageId, 'data'],
      [batch[4]?.messageId, 'stream'],
    ]);
    expect(result.deadLettered[2]?.reason).toBe(
      'The record is 1048577 bytes (1048321 of data and 256 of partition key); ' +
        'a record of stream events may be at most 1048576 bytes.',
    );
    expect(deadLetters.letters.map((l) => l.message.body)).toEqual([0, 2, 3, 4].map((i) => batch[i]?.body));
    expect(
      readAll(model)
        .records.map((r) => r.data.toString())
        .sort(),
    ).toEqual(['ok-1', 'ok-3', big]);
    expect(result.stats).toMatchObject({ invalidMessages: 4, deadLettered: 4 });
  });

  it('reports a malformed message as a batch item failure when the dead-letter send fails', async () => {
    const { clock, deadLetters, producer } = setup();
    const bad = message('{', { clock });
    deadLetters.failFor.add(bad.messageId);
    const result = await producer.process([bad, message({ data: 'fine' }, { clock })]);
    expect(result.failures).toEqual([bad.messageId]);
    expect(result.failed[0]).toMatchObject({
      kind: 'invalid',
      reason: expect.stringMatching(/not valid JSON.*AccessDenied/),
    });
  });

  it('keeps a FIFO group in order: after a failure no later record of the group is written', async () => {
    // One record per put, so exactly one record is the failing one.
    const { clock, model, producer } = setup({ recordTtlMillis: 1000, aggregationEnabled: false }, 2);
    // Every put of group A's record n=2 fails until its TTL passes.
    model.setFault((call) => {
      const errors = new Map<number, string>();
      call.records?.forEach((r, i) => {
        if (
          Buffer.from(r.Data ?? [])
            .toString()
            .includes('"g":"A","n":2')
        )
          errors.set(i, 'InternalFailure');
      });
      return errors.size > 0 ? { kind: 'entries', errors } : undefined;
    });
    const batch: ProducerMessage[] = [];
    for (let n = 0; n < 6; n++) {
      batch.push(
        message({ data: { g: 'A', n }, partitionKey: `a-${n % 3}` }, { clock, messageGroupId: 'A' }),
      );
      batch.push(
        message({ data: { g: 'B', n }, partitionKey: `b-${n % 3}` }, { clock, messageGroupId: 'B' }),
      );
    }
    const result = await producer.process(batch);
    const groupA = batch.filter((m) => m.messageGroupId === 'A');
    expect(result.failures).toEqual(groupA.slice(2).map((m) => m.messageId));
    expect(result.failed.map((f) => f.kind)).toEqual(['expired', 'group', 'group', 'group']);
    expect(result.failed[1]?.reason).toMatch(/An earlier record of message group "A"/);
    const read = readAll(model).records.map((r) => ({
      key: r.partitionKey[0],
      n: JSON.parse(r.data.toString()).n,
    }));
    expect(
      read
        .filter((r) => r.key === 'a')
        .map((r) => r.n)
        .sort(),
    ).toEqual([0, 1]);
    expect(
      read
        .filter((r) => r.key === 'b')
        .map((r) => r.n)
        .sort(),
    ).toEqual([0, 1, 2, 3, 4, 5]);
  });

  it('writes a FIFO group in order across shards: one put of the group at a time', async () => {
    const { clock, model, producer } = setup({}, 4);
    const batch = Array.from({ length: 8 }, (_, n) =>
      message({ data: { n }, partitionKey: `spread-${n}` }, { clock, messageGroupId: 'G' }),
    );
    const result = await producer.process(batch);
    expect(result.written).toBe(8);
    const order = model
      .shardIds('events')
      .flatMap((id) => model.records('events', id))
      .sort((a, b) => (a.sequenceNumber < b.sequenceNumber ? -1 : 1))
      .flatMap(
        (r) => readLikeKcl([{ shardId: 'x', start: 0n, end: (1n << 128n) - 1n, records: [r] }]).records,
      )
      .map((r) => JSON.parse(r.data.toString()).n);
    expect(order).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
  });

  it('breaks a FIFO group at a message that could not be dead-lettered', async () => {
    const { clock, deadLetters, producer } = setup();
    const first = message({ data: 1 }, { clock, messageGroupId: 'G' });
    const bad = message('{', { clock, messageGroupId: 'G' });
    const after = message({ data: 3 }, { clock, messageGroupId: 'G' });
    const other = message({ data: 4 }, { clock, messageGroupId: 'H' });
    deadLetters.failFor.add(bad.messageId);
    const result = await producer.process([first, bad, after, other]);
    expect(result.failures).toEqual([bad.messageId, after.messageId]);
    expect(result.written).toBe(2);
  });

  it('refreshes the shard map when a put lands on another shard, and a KCL reader loses nothing', async () => {
    const { clock, model, producer } = setup({}, 2);
    const batch = (from: number) =>
      Array.from({ length: 400 }, (_, i) =>
        message({ data: { n: from + i }, partitionKey: `key-${i % 50}` }, { clock }),
      );
    expect((await producer.process(batch(0))).written).toBe(400);
    const listings = model.listShardsCalls;
    // Reshard between batches: split each shard in the middle of its range.
    for (const shardId of model.shardIds('events')) {
      const { start, end } = model.range('events', shardId);
      model.splitShard('events', shardId, (start + end + 1n) / 2n);
    }
    const result = await producer.process(batch(400));
    expect(result.failures).toEqual([]);
    expect(result.written).toBe(400);
    expect(result.stats.wrongShardPuts).toBeGreaterThan(0);
    expect(result.stats.reputRecords).toBeGreaterThan(0);
    expect(model.listShardsCalls).toBe(listings + 1);
    // The KCL reader drops the misplaced aggregates, and still finds every record.
    const read = readAll(model);
    expect(read.dropped).toBeGreaterThan(0);
    const ns = new Set(read.records.map((r) => JSON.parse(r.data.toString()).n));
    expect(ns.size).toBe(800);

    // The next batch goes straight to the children.
    const before = model.calls.length;
    const third = await producer.process(batch(800));
    expect(third.stats.wrongShardPuts).toBe(0);
    expect(model.calls.length - before).toBe(1);
  });

  it('holds each shard under its write limits: no throttling at RateLimit 100', async () => {
    const { clock, model, producer } = setup({ aggregationEnabled: false }, 1, 5);
    const batch = Array.from({ length: 3000 }, (_, n) =>
      message({ data: { n, pad: 'x'.repeat(80) } }, { clock }),
    );
    const start = clock.now();
    const result = await producer.process(batch);
    expect(result.written).toBe(3000);
    expect(model.throttledEntries).toBe(0);
    // A full bucket's 1,000 at once, then 1,000 a second: about 2 s for 3,000.
    expect(clock.now() - start).toBeGreaterThanOrEqual(1990);
    expect(clock.now() - start).toBeLessThan(2200);
  });
  it("follows the deployment's share while a batch is written: a share that grows is spent at once", async () => {
    const clock = new FakeClock(1_000_000, { autoAdvance: true });
    const model = new KinesisShardModel({ clock, latencyMillis: 5 });
    model.createStream('events', 1);
    // Three other containers hold the queue's messages at first, then finish: a quarter, then all.
    const asked: number[] = [];
    const budgetShare = {
      shareFor: async () => {
        asked.push(clock.now());
        return asked.length === 1 ? 0.25 : 1;
      },
    };
    const producer = new Producer(
      { defaultStream: 'events', aggregationEnabled: false },
      { kinesis: model, clock, random: seededRandom(42), budgetShare },
    );
    const batch = Array.from({ length: 3000 }, (_, n) =>
      message({ data: { n, pad: 'x'.repeat(80) } }, { clock }),
    );
    const start = clock.now();
    const result = await producer.process(batch);
    expect(result.written).toBe(3000);
    expect(model.throttledEntries).toBe(0);
    expect(result.stats.budgetShare).toBe(1);
    // Asked at the start and a second later, then each second until the write ended.
    expect(asked[0]).toBe(start);
    expect(asked[1]).toBe(start + 1000);
    // 250 records in the first second at a quarter (the buckets start empty: the shard's tokens are the
    // other containers'), the other 2,750 at 1,000 a second: about 3.75 s, where a share fixed at the
    // start would have taken 12 s.
    expect(clock.now() - start).toBeGreaterThanOrEqual(3650);
    expect(clock.now() - start).toBeLessThan(3950);
  });
  it('earns tokens for half the time between batches when its messages do not say when they were received', async () => {
    const clock = new FakeClock(1_000_000, { autoAdvance: true });
    const model = new KinesisShardModel({ clock, latencyMillis: 5 });
    model.createStream('events', 1);
    const producer = new Producer(
      { defaultStream: 'events', aggregationEnabled: false },
      { kinesis: model, clock, random: seededRandom(3), budgetShare: { shareFor: async () => 0.5 } },
    );
    const batch = () =>
      Array.from({ length: 500 }, (_, n) => message({ data: { n, pad: 'x'.repeat(80) } }, { clock }));
    const durationOf = async () => {
      const start = clock.now();
      expect((await producer.process(batch())).written).toBe(500);
      return clock.now() - start;
    };
    // 500 records at 500 a second from empty buckets: about a second.
    expect(await durationOf()).toBeGreaterThanOrEqual(950);
    await clock.advance(600);
    // 600 ms between batches earn 300 ms of tokens (150 records), so the other 350 take 700 ms; all of
    // the 600 ms would have made it 400 ms, none of it a second.
    const second = await durationOf();
    expect(second).toBeGreaterThanOrEqual(650);
    expect(second).toBeLessThan(800);
  });
  it('asks for the share of all the batches it holds at once, not of each alone', async () => {
    const clock = new FakeClock(1_000_000, { autoAdvance: true });
    const model = new KinesisShardModel({ clock, latencyMillis: 5 });
    model.createStream('events', 1);
    // The queue holds these two batches' 200 messages in flight, both in this one producer.
    const asked: number[] = [];
    const budgetShare = {
      shareFor: async (held: number) => {
        asked.push(held);
        return Math.min(1, held / 200);
      },
    };
    const producer = new Producer(
      { defaultStream: 'events', aggregationEnabled: false },
      { kinesis: model, clock, random: seededRandom(7), budgetShare },
    );
    const batch = () =>
      Array.from({ length: 100 }, (_, n) => message({ data: { n, pad: 'x'.repeat(80) } }, { clock }));
    const [a, b] = await Promise.all([producer.process(batch()), producer.process(batch())]);
    expect(a.written + b.written).toBe(200);
    expect(asked).toContain(200);
    expect(a.stats.budgetShare).toBe(1);
    expect(b.stats.budgetShare).toBe(1);
  });
});
