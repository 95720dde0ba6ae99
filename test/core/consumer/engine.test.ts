import type { CheckpointValue, SubtaskLease } from '../../../functions/core/checkpoints/checkpoint-store';
import { DEFAULT_ENGINE_SETTINGS, type ConsumerEngineOptions } from '../../../functions/core/consumer/engine';
import type { ConsumerRecord } from '../../../functions/core/consumer/types';
import { ConfigurationError, DeliveryFailedError, LeaseLostError } from '../../../functions/core/errors';
import { FakeClock, seededRandom } from '../../../functions/core/time/clock';
import { FakeKinesis, MemoryCheckpointStore, stringEngine, uncontendedLease } from './helpers';

const START = Date.UTC(2026, 0, 1);
const P0 = 'shardId-000000000000';
const P1 = 'shardId-000000000001';
const CHILD = 'shardId-000000000002';

interface World {
  readonly clock: FakeClock;
  readonly kinesis: FakeKinesis;
  readonly store: MemoryCheckpointStore;
  readonly received: ConsumerRecord<string>[];
  /** Operations in the order they happened: Kinesis calls and checkpoint saves. */
  readonly events: string[];
}

function world(): World {
  const clock = new FakeClock(START, { autoAdvance: true });
  const kinesis = new FakeKinesis(clock);
  const events: string[] = [];
  const store = new (class extends MemoryCheckpointStore {
    override async save(subtaskIndex: number, value: CheckpointValue) {
      events.push(
        `save ${subtaskIndex} ${[...value.shards].map(([k, c]) => `${k.split('/')[1]}=${c.kind}`).join(' ')}`,
      );
      return super.save(subtaskIndex, value);
    }
  })();
  const getShardIterator = kinesis.getShardIterator.bind(kinesis);
  kinesis.getShardIterator = async (input) => {
    events.push(`iterator ${input.ShardId}`);
    return getShardIterator(input);
  };
  return { clock, kinesis, store, received: [], events };
}

function engine(
  w: World,
  options: Partial<ConsumerEngineOptions<string>> = {},
  lease: (i: number) => SubtaskLease = uncontendedLease,
) {
  return stringEngine(
    { kinesis: w.kinesis, checkpoints: w.store, lease, clock: w.clock, random: seededRandom(3) },
    { streams: ['orders'], handler: (records) => void w.received.push(...records), ...options },
  );
}

describe('ConsumerEngine on a fake clock', () => {
  it('in steady state writes at most one checkpoint per interval, plus the last one', async () => {
    const w = world();
    w.kinesis.declareShard(P0);
    // Records keep arriving for the whole minute.
    void (async () => {
      for (let i = 0; i < 60; i++) {
        w.kinesis.addRecords(P0, 5);
        await w.clock.sleep(1000);
      }
    })();
    const summary = await engine(w).run({ subtaskIndex: 0, parallelism: 1, deadline: START + 60_000 });
    expect(summary.stoppedBy).toBe('deadline');
    expect(summary.recordsDelivered).toBeGreaterThanOrEqual(295);
    expect(w.store.saves.length).toBeLessThanOrEqual(60_000 / 10_000 + 1);
    expect(w.store.saves.length).toBeGreaterThanOrEqual(5);
    const last = w.store.saves[w.store.saves.length - 1]?.value.shards.get(`orders/${P0}`);
    expect(last).toEqual({ kind: 'sequence', sequenceNumber: String(1000 + summary.recordsDelivered - 1) });
  });

  it('starts a child only after the parent’s end is written, in the same subtask', async () => {
    const w = world();
    w.kinesis.declareShard(P0, { closed: true });
    w.kinesis.declareShard(CHILD, { parents: [P0] });
    w.kinesis.addRecords(P0, 20);
    w.kinesis.addRecords(CHILD, 20);
    await engine(w).run({ subtaskIndex: 0, parallelism: 1, deadline: START + 30_000 });
    const parentEnd = w.events.findIndex((e) => e.startsWith('save') && e.includes(`${P0}=shard-end`));
    const childStart = w.events.indexOf(`iterator ${CHILD}`);
    expect(parentEnd).toBeGreaterThanOrEqual(0);
    expect(childStart).toBeGreaterThan(parentEnd);
    expect(w.received.map((r) => r.data)).toEqual([
      ...Array.from({ length: 20 }, (_, i) => `${P0}#${i}`),
      ...Array.from({ length: 20 }, (_, i) => `${CHILD}#${i}`),
    ]);
  });

  it('waits for both parents of a merge, even when they belong to another subtask', async () => {
    const w = world();
    w.kinesis.declareShard(P0, { closed: true });
    w.kinesis.declareShard(P1, { closed: true });
    w.kinesis.declareShard(CHILD, { parents: [P0, P1] });
    w.kinesis.addRecords(P0, 10);
    w.kinesis.addRecords(P1, 3000);
    w.kinesis.addRecords(CHILD, 10);
    const e = engine(w, {
      assigner: (shard) => (shard.shardId === CHILD ? 1 : 0),
      reader: { ...DEFAULT_ENGINE_SETTINGS.reader, maxRecordsPerCall: 100 },
    });
    const deadline = START + 60_000;
    await Promise.all([
      e.run({ subtaskIndex: 0, parallelism: 2, deadline }),
      e.run({ subtaskIndex: 1, parallelism: 2, deadline }),
    ]);
    const bothEnded = w.events.findIndex(
      (ev) => ev.startsWith('save 0') && ev.includes(`${P0}=shard-end`) && ev.includes(`${P1}=shard-end`),
    );
    expect(bothEnded).toBeGreaterThanOrEqual(0);
    expect(w.events.indexOf(`iterator ${CHILD}`)).toBeGreaterThan(bothEnded);
    expect(w.received.filter((r) => r.shardId === CHILD)).toHaveLength(10);
  });

  it('without an on-failure queue stops at a failing record, delivering and checkpointing the records before it; the next run delivers it again', async () => {
    const w = world();
    w.kinesis.declareShard(P0);
    w.kinesis.addRecords(P0, 10);
    const failing = engine(w, {
      delivery: {
        batchSize: 4,
        maxBatchingMillis: 0,
        backoff: { maxRetries: 2, baseMillis: 10, maxMillis: 10, expConst: 1 },
      },
      handler: (records) => {
        if (records.some((r) => r.sequenceNumber === '1005')) throw new Error('cannot store');
        w.received.push(...records);
      },
    });
    const summary = await failing.run({ subtaskIndex: 0, parallelism: 1, deadline: START + 60_000 });
    expect(summary.stoppedBy).toBe('failure');
    expect(summary.error).toBeInstanceOf(DeliveryFailedError);
    expect(summary.endedAt).toBeLessThan(START + 60_000);
    expect(w.store.values.get(0)?.shards.get(`orders/${P0}`)).toEqual({
      kind: 'sequence',
      sequenceNumber: '1004',
    });

    const again: string[] = [];
    await engine(w, { handler: (records) => void again.push(...records.map((r) => r.sequenceNumber)) }).run({
      subtaskIndex: 0,
      parallelism: 1,
      deadline: START + 120_000,
    });
    expect(again).toEqual(['1005', '1006', '1007', '1008', '1009']);
  });

  it('stops without writing when the lease is taken over mid-run', async () => {
    const w = world();
    w.kinesis.declareShard(P0);
    w.kinesis.addRecords(P0, 10);
    let held = true;
    const lease: SubtaskLease = {
      acquire: async () => undefined,
      isHeld: async () => held,
      release: async () => undefined,
    };
    const run = engine(w, {}, () => lease).run({ subtaskIndex: 0, parallelism: 1, deadline: START + 60_000 });
    void w.clock.sleep(5_000).then(() => (held = false));
    const summary = await run;
    expect(summary.stoppedBy).toBe('lease-lost');
    expect(summary.error).toBeInstanceOf(LeaseLostError);
    expect(w.store.saves).toEqual([]);
    expect(summary.endedAt).toBeLessThanOrEqual(START + 10_000 + 1000);
  });

  it('discovers a shard created during the run at the discovery interval', async () => {
    const w = world();
    w.kinesis.declareShard(P0);
    const run = engine(w).run({ subtaskIndex: 0, parallelism: 1, deadline: START + 40_000 });
    void w.clock.sleep(15_000).then(() => {
      w.kinesis.declareShard(P1);
      w.kinesis.addRecords(P1, 5);
    });
    await run;
    expect(w.received.map((r) => r.data)).toEqual(Array.from({ length: 5 }, (_, i) => `${P1}#${i}`));
    const incremental = w.kinesis.calls.filter(
      (c) =>
        c.operation === 'ListShards' &&
        (c.input as { ExclusiveStartShardId?: string }).ExclusiveStartShardId === P0,
    );
    expect(incremental.length).toBeGreaterThanOrEqual(2);
    expect(w.kinesis.calls.filter((c) => c.operation === 'ListShards').length).toBeLessThanOrEqual(5);
  });

  it('rejects bad configuration naming the setting, the value and what is allowed', () => {
    const w = world();
    const bad: [Partial<ConsumerEngineOptions<string>>, RegExp][] = [
      [{ streams: [] }, /streams is \[\]; name at least one stream/],
      [{ streams: ['bad name'] }, /streams is "bad name"; give a stream name \(1 to 128/],
      [
        { streams: ['arn:aws:kinesis:us-east-1:123:stream/orders'] },
        /streams is "arn:aws:kinesis:us-east-1:123:stream\/orders"; give .* or a stream ARN \(arn:<partition>/,
      ],
      [{ streams: ['a', 'a'] }, /name each stream once/],
      [
        { reader: { ...DEFAULT_ENGINE_SETTINGS.reader, intervalMillis: 300_000 } },
        /reader.intervalMillis is 300000; it must be an integer from 0 to 299999/,
      ],
      [{ delivery: { ...DEFAULT_ENGINE_SETTINGS.delivery, batchSize: 0 } }, /delivery.batchSize is 0/],
      [
        { initialPosition: { type: 'AT_TIMESTAMP', timestampMillis: Number.NaN } },
        /initialPosition.timestampMillis/,
      ],
    ];
    for (const [options, message] of bad) {
      expect(() => engine(w, options)).toThrow(ConfigurationError);
      expect(() => engine(w, options)).toThrow(message);
    }
  });

  it('rejects a run request outside the parallelism', async () => {
    const e = engine(world());
    await expect(e.run({ subtaskIndex: 3, parallelism: 3, deadline: START + 1000 })).rejects.toThrow(
      /subtaskIndex is 3; it must be an integer from 0 to 2/,
    );
    await expect(e.run({ subtaskIndex: 0, parallelism: 0, deadline: START + 1000 })).rejects.toThrow(
      /parallelism is 0/,
    );
    await expect(e.run({ subtaskIndex: 0, parallelism: 1, deadline: START - 1 })).rejects.toThrow(/deadline/);
  });
});
