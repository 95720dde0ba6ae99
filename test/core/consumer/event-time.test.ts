import type { ConsumerEngineOptions } from '../../../functions/core/consumer/engine';
import type { BatchContext, ConsumerRecord } from '../../../functions/core/consumer/types';
import { WatermarkTracker } from '../../../functions/core/consumer/watermarks';
import { FakeClock, seededRandom } from '../../../functions/core/time/clock';
import { FakeKinesis, stringEngine } from './helpers';

const START = Date.UTC(2026, 0, 1);
const BUSY = 'shardId-000000000000';
const QUIET = 'shardId-000000000001';

describe('WatermarkTracker', () => {
  it('is the least of the active shards’ greatest event times, and never goes back', () => {
    let now = 0;
    const tracker = new WatermarkTracker(() => now, -1);
    const a = tracker.track('a');
    const b = tracker.track('b');
    a.observe(500);
    expect(tracker.current()).toBeUndefined();
    b.observe(300);
    expect(tracker.current()).toBe(300);
    b.observe(200);
    expect(tracker.current()).toBe(300);
    b.observe(900);
    a.observe(400);
    expect(tracker.current()).toBe(500);
    b.ended = true;
    a.observe(700);
    expect(tracker.current()).toBe(700);
    now = 10_000_000;
    expect(tracker.current()).toBe(700);
  });

  it('leaves out a shard without records for the idle interval', () => {
    let now = 0;
    const tracker = new WatermarkTracker(() => now, 1000);
    const a = tracker.track('a');
    tracker.track('b');
    a.observe(42);
    now = 999;
    expect(tracker.current()).toBeUndefined();
    now = 1000;
    a.lastActiveAt = 1000;
    expect(tracker.current()).toBe(42);
  });
});

/** A busy shard with a record every 500 ms and a shard that never gets one, read for 20 s. */
async function runWithQuietShard(options: Partial<ConsumerEngineOptions<string>>) {
  const clock = new FakeClock(START, { autoAdvance: true });
  const kinesis = new FakeKinesis(clock);
  kinesis.declareShard(BUSY);
  kinesis.declareShard(QUIET);
  void (async () => {
    for (let i = 0; i < 40; i++) {
      kinesis.addRecords(BUSY, 1);
      await clock.sleep(500);
    }
  })();
  const seen: { at: number; watermark: number | undefined; records: ConsumerRecord<string>[] }[] = [];
  const engine = stringEngine(
    { kinesis, clock, random: seededRandom(5) },
    {
      streams: ['clicks'],
      handler: (records, context: BatchContext) =>
        void seen.push({ at: clock.now(), watermark: context.watermark, records }),
      ...options,
    },
  );
  const summary = await engine.run({ subtaskIndex: 0, parallelism: 1, deadline: START + 20_000 });
  return { seen, summary };
}

describe('watermarks in the engine', () => {
  it('without the idle timeout, a shard that never gets a record holds the watermark back', async () => {
    const { seen, summary } = await runWithQuietShard({});
    expect(seen.length).toBeGreaterThanOrEqual(30);
    expect(seen.map((s) => s.watermark)).toEqual(seen.map(() => undefined));
    expect(summary.watermark).toBeUndefined();
  });

  it('with the idle timeout, the quiet shard stops counting and the watermark follows the busy one', async () => {
    const { seen, summary } = await runWithQuietShard({ shardIdleIntervalMillis: 3000 });
    const before = seen.filter((s) => s.at < START + 3000);
    const after = seen.filter((s) => s.at >= START + 3000);
    expect(before.length).toBeGreaterThan(0);
    expect(before.every((s) => s.watermark === undefined)).toBe(true);
    expect(after.length).toBeGreaterThanOrEqual(25);
    for (const batch of after) {
      // The busy shard's greatest arrival time delivered before this batch: its own records count once delivered.
      const earlier = seen.slice(0, seen.indexOf(batch)).flatMap((s) => s.records);
      const newest = Math.max(...earlier.map((r) => r.approximateArrivalTimestamp.getTime()));
      expect(batch.watermark).toBe(newest);
    }
    expect(summary.watermark).toBe(START + 39 * 500);
  });

  it('takes event times from a timestamp assigner and the least over shards', async () => {
    const clock = new FakeClock(START, { autoAdvance: true });
    const kinesis = new FakeKinesis(clock);
    kinesis.declareShard(BUSY);
    kinesis.declareShard(QUIET);
    kinesis.addRecords(BUSY, 5);
    kinesis.addRecords(QUIET, 3);
    const contexts: { shardId: string; watermark?: number; eventTimes: number[] }[] = [];
    const engine = stringEngine(
      { kinesis, clock, random: seededRandom(5) },
      {
        streams: ['clicks'],
        // Data is `${shardId}#n`: event time n seconds after 2020, shard 1's records 100 s later.
        timestampAssigner: (r) =>
          Date.UTC(2020, 0, 1) + (Number(r.data.split('#')[1]) + (r.shardId === QUIET ? 100 : 0)) * 1000,
        handler: (records, context) =>
          void contexts.push({
            shardId: records[0]?.shardId ?? '',
            ...(context.watermark !== undefined ? { watermark: context.watermark } : {}),
            eventTimes: records.map((r) => r.eventTime.getTime()),
          }),
      },
    );
    const summary = await engine.run({ subtaskIndex: 0, parallelism: 1, deadline: START + 5000 });
    const base = Date.UTC(2020, 0, 1);
    const busy = contexts.find((c) => c.shardId === BUSY);
    const quiet = contexts.find((c) => c.shardId === QUIET);
    expect(busy?.eventTimes).toEqual([0, 1, 2, 3, 4].map((n) => base + n * 1000));
    expect(quiet?.eventTimes).toEqual([100, 101, 102].map((n) => base + n * 1000));
    expect(summary.watermark).toBe(base + 4000);
    expect(summary.shards.find((s) => s.shardId === QUIET)?.watermark).toBe(base + 102_000);
  });
});
