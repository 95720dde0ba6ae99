import { DEFAULT_ENGINE_SETTINGS, type ConsumerEngineOptions } from '../../../functions/core/consumer/engine';
import { FakeClock, seededRandom } from '../../../functions/core/time/clock';
import { FakeKinesis, stringEngine } from './helpers';

const START = Date.UTC(2026, 0, 1);
const FAST = 'shardId-000000000000';
const SLOW = 'shardId-000000000001';

interface Delivery {
  readonly shardId: string;
  readonly watermark: number | undefined;
  readonly eventTimes: number[];
}

/**
 * Two shards whose records arrive in event-time order (event time = arrival time): FAST gets 5 records a
 * second and fills its batches at once, SLOW one a second. Every batch is logged in delivery order.
 */
async function run(options: Partial<ConsumerEngineOptions<string>>, failSlowCalls: readonly number[] = []) {
  const clock = new FakeClock(START, { autoAdvance: true });
  const kinesis = new FakeKinesis(clock);
  kinesis.declareShard(FAST);
  kinesis.declareShard(SLOW);
  void (async () => {
    for (let i = 0; i < 30; i++) {
      kinesis.addRecords(FAST, 5);
      kinesis.addRecords(SLOW, 1);
      await clock.sleep(1000);
    }
  })();
  const deliveries: Delivery[] = [];
  let slowCalls = 0;
  const engine = stringEngine(
    { kinesis, clock, random: seededRandom(11) },
    {
      streams: ['orders'],
      handler: (records, context) => {
        const shardId = records[0]?.shardId ?? '';
        if (shardId === SLOW && failSlowCalls.includes(slowCalls++)) {
          throw new Error('the sink is down for a moment');
        }
        deliveries.push({
          shardId,
          watermark: context.watermark,
          eventTimes: records.map((r) => r.eventTime.getTime()),
        });
      },
      ...options,
    },
  );
  const summary = await engine.run({ subtaskIndex: 0, parallelism: 1, deadline: START + 40_000 });
  return { deliveries, summary };
}

/** Every record delivered after a batch that carried watermark w has an event time of at least w. */
function overtaken(deliveries: readonly Delivery[]): { watermark: number; later: number }[] {
  const found: { watermark: number; later: number }[] = [];
  let highest: number | undefined;
  for (const delivery of deliveries) {
    for (const t of delivery.eventTimes)
      if (highest !== undefined && t < highest) found.push({ watermark: highest, later: t });
    if (delivery.watermark !== undefined) highest = Math.max(highest ?? -Infinity, delivery.watermark);
  }
  return found;
}

describe('the watermark counts records when they are delivered, not when they are read', () => {
  it('with a batching window, a full batch of one shard never carries a watermark past records another shard still holds', async () => {
    const { deliveries } = await run({
      delivery: { ...DEFAULT_ENGINE_SETTINGS.delivery, batchSize: 5, maxBatchingMillis: 10_000 },
    });
    const slow = deliveries.filter((d) => d.shardId === SLOW);
    // SLOW's batches wait out the window while FAST's fill: the case the watermark must not run ahead in.
    expect(slow.length).toBeGreaterThanOrEqual(2);
    expect(slow.every((d) => d.eventTimes.length > 1)).toBe(true);
    expect(deliveries.filter((d) => d.watermark !== undefined).length).toBeGreaterThan(5);
    expect(overtaken(deliveries)).toEqual([]);
  });

  it('while a shard retries a failing batch with backoff, the other shard’s batches do not move the watermark past it', async () => {
    const { deliveries, summary } = await run(
      {
        delivery: {
          ...DEFAULT_ENGINE_SETTINGS.delivery,
          batchSize: 5,
          maxBatchingMillis: 2000,
          backoff: { maxRetries: 3, baseMillis: 3000, maxMillis: 6000, expConst: 2 },
        },
      },
      // SLOW's second batch fails three times and goes through on its last retry, about 20 s later.
      [1, 2, 3],
    );
    expect(summary.recordsFailed).toBe(0);
    expect(summary.shards.find((s) => s.shardId === SLOW)?.handlerCalls).toBeGreaterThanOrEqual(5);
    expect(deliveries.filter((d) => d.watermark !== undefined).length).toBeGreaterThan(5);
    expect(overtaken(deliveries)).toEqual([]);
  });

  it('the check above finds a watermark that overtook a later record (it can fail)', () => {
    expect(
      overtaken([
        { shardId: FAST, watermark: 5, eventTimes: [9] },
        { shardId: SLOW, watermark: undefined, eventTimes: [3] },
      ]),
    ).toEqual([{ watermark: 5, later: 3 }]);
  });
});
