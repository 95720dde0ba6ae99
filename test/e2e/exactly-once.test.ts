import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { KinesisClient } from '@aws-sdk/client-kinesis';
import type { HandoffEvent } from '../../functions/core/consumer/handover';
import { LeaseHeldError } from '../../functions/core/errors';
import { useLocalAws } from '../support/local-aws';
import { createStream, mergeShards, openShards, putRecords, splitShard } from './consumer-support';
import {
  counterConsumer,
  counters,
  createTables,
  expectedCounts,
  runOnce,
  type Mode,
} from './exactly-once-support';

/** These run several invocations on the real clock; a loaded machine needs more than the default. */
const SLOW_TEST_MILLIS = 180_000;

const aws = useLocalAws({ kinesis: true, dynamodb: { transactions: true } });
const kinesis = () => aws().clients.client('kinesis', KinesisClient);
const dynamodb = () => aws().clients.client('dynamodb', DynamoDBClient);
const KEYS = 12;

beforeAll(async () => {
  await createTables(dynamodb());
});

/** xorshift: the crash points are random but the same on every run of the test. */
function crashPoints(seed: number): () => number {
  let x = seed;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return 20 + (Math.abs(x) % 60);
  };
}

/**
 * Counts per key while invocations crash at random points with records in flight, across a split, a merge
 * and parallelism 1 -> 2 -> 3, then runs clean invocations until every record is counted.
 */
async function countThroughCrashes(mode: Mode, stream: string, consumerName: string) {
  const settings = aws().awsSettings;
  await createStream(kinesis(), stream, 2);
  let sent = (await putRecords(kinesis(), stream, 300, { keys: KEYS })).length;
  const nextCrash = crashPoints(7);
  const crashRound = async (parallelism: number) => {
    await Promise.all(
      Array.from({ length: parallelism }, (_, i) =>
        runOnce(
          counterConsumer({ settings, consumerName, stream, mode, crashAfterCalls: nextCrash() }),
          i,
          parallelism,
          1500,
        ).catch((error: unknown) => {
          // The crash can land anywhere, the lease claim included, where the engine does not catch it:
          // that invocation simply ends there, as a crashed process would.
          if (!(error instanceof Error && error.name === 'Crashed')) throw error;
        }),
      ),
    );
  };
  await crashRound(1);
  await crashRound(1);
  await splitShard(kinesis(), stream, 'shardId-000000000000');
  sent += (await putRecords(kinesis(), stream, 200, { keys: KEYS, from: sent })).length;
  await crashRound(2);
  await mergeShards(kinesis(), stream, 'shardId-000000000003', 'shardId-000000000001');
  sent += (await putRecords(kinesis(), stream, 200, { keys: KEYS, from: sent })).length;
  await crashRound(3);
  await crashRound(2);
  expect(await openShards(kinesis(), stream)).toEqual(['shardId-000000000002', 'shardId-000000000004']);
  // Clean invocations until every key has at least its records' count (duplicates may push it past).
  const expected = expectedCounts(sent, KEYS);
  // Bounded, but generous: a loaded machine reads less per invocation.
  for (let round = 0; round < 40; round++) {
    await Promise.all(
      [0, 1].map((i) => runOnce(counterConsumer({ settings, consumerName, stream, mode }), i, 2, 1500)),
    );
    const counts = await counters(dynamodb(), mode, consumerName);
    if ([...expected].every(([key, n]) => (counts.get(key) ?? 0) >= n)) break;
  }
  return { counts: await counters(dynamodb(), mode, consumerName), expected };
}

describe('exactly-once state updates', () => {
  it(
    'every per-key counter equals its record count exactly, through crashes, a split, a merge and new parallelism',
    async () => {
      const { counts, expected } = await countThroughCrashes('exactly-once', 'eo-counters', 'eo');
      expect(Object.fromEntries(counts)).toEqual(Object.fromEntries(expected));
    },
    SLOW_TEST_MILLIS,
  );

  it(
    'the same run at least once counts some records twice: the duplicates exactly-once removes',
    async () => {
      const { counts, expected } = await countThroughCrashes('at-least-once', 'alo-counters', 'alo');
      const over = [...expected].filter(([key, n]) => (counts.get(key) ?? 0) > n);
      const under = [...expected].filter(([key, n]) => (counts.get(key) ?? 0) < n);
      expect(under).toEqual([]);
      expect(over.length).toBeGreaterThan(0);
    },
    SLOW_TEST_MILLIS,
  );
});

/** Continuous mode, short for a test: the 3 s margin before a lease's expiry is the real one. */
const HANDOVER = { expiryMillis: 6000, leadMillis: 500 } as const;
const CHAIN_BUDGET_MILLIS = 2500;
const CHAIN_INVOCATIONS = 5;
/** This invocation of the chain dies as it starts its successor: before its final commit and handoff. */
const CRASHED_INVOCATION = 2;

/**
 * One subtask's chain of continuous invocations, each handing its lease over to the successor it starts,
 * while records keep arriving; the second dies in the middle of its handover (every later call of it
 * fails), so its successor takes the lease over once it expires. Then clean invocations until every
 * record is counted.
 */
async function countThroughHandovers(mode: Mode, stream: string, consumerName: string) {
  const settings = aws().awsSettings;
  await createStream(kinesis(), stream, 2);
  let sent = 0;
  let putting = true;
  const putter = (async () => {
    while (putting) {
      sent += (await putRecords(kinesis(), stream, 10, { keys: KEYS, from: sent })).length;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  })();
  const runs: Promise<void>[] = [];
  const handedOver: number[] = [];
  const failures: string[] = [];
  let crashedDelivered = 0;
  const start = (n: number, handoff?: HandoffEvent): Promise<void> => {
    let crashed = false;
    const engine = counterConsumer({
      settings,
      consumerName,
      stream,
      mode,
      continuous: HANDOVER,
      crashed: () => crashed,
      // Checkpoints only at each invocation's end (exactly-once commits every batch anyway), so the
      // crashed invocation's deliveries all come again at least once.
      checkpointIntervalMillis: 10_000,
      ...(n === CRASHED_INVOCATION ? { onApplied: () => crashedDelivered++ } : {}),
    });
    const now = Date.now();
    // The crashed one's successor waits out its lease first (a deployed invocation's 14 minutes dwarf
    // it): room for that on a loaded machine, and for its own handover after.
    const budget = CHAIN_BUDGET_MILLIS + (n === CRASHED_INVOCATION + 1 ? 2 * HANDOVER.expiryMillis : 0);
    return engine
      .run({
        subtaskIndex: 0,
        parallelism: 1,
        deadline: now + budget,
        leaseExpiresAt: now + budget + 2000,
        invocationId: `inv-${n}`,
        ...(handoff ? { handoff } : {}),
        ...(n < CHAIN_INVOCATIONS
          ? {
              startSuccessor: async (event) => {
                if (n === CRASHED_INVOCATION) {
                  // Dies with an effect made and not yet committed (on a loaded machine its first
                  // delivery may come late: the invocation reads on while this waits, for 10 s at most).
                  for (let waited = 0; crashedDelivered === 0 && waited < 10_000; waited += 50)
                    await new Promise((resolve) => setTimeout(resolve, 50));
                  crashed = true;
                }
                runs.push(start(n + 1, event.handoff));
              },
            }
          : {}),
      })
      .then(
        (summary) => {
          if (summary.handedOverTo) handedOver.push(n);
        },
        (error: unknown) => {
          // A successor that finds the lease gone elsewhere does not read; the catch-up covers it.
          if (!(error instanceof LeaseHeldError)) failures.push(`inv-${n}: ${String(error)}`);
        },
      );
  };
  runs.push(start(1));
  for (let i = 0; i < runs.length; i++) await runs[i];
  putting = false;
  await putter;
  const expected = expectedCounts(sent, KEYS);
  for (let round = 0; round < 40; round++) {
    await runOnce(counterConsumer({ settings, consumerName, stream, mode }), 0, 1, 1500);
    const counts = await counters(dynamodb(), mode, consumerName);
    if ([...expected].every(([key, n]) => (counts.get(key) ?? 0) >= n)) break;
  }
  return {
    counts: await counters(dynamodb(), mode, consumerName),
    expected,
    invocations: runs.length,
    handedOver,
    failures,
    crashedDelivered,
  };
}

describe('exactly-once state updates across continuous handovers', () => {
  it(
    'counts every key exactly through handovers and a crash in the middle of one; at least once over-counts',
    async () => {
      const [exact, control] = await Promise.all([
        countThroughHandovers('exactly-once', 'eo-handovers', 'eo-handovers'),
        countThroughHandovers('at-least-once', 'alo-handovers', 'alo-handovers'),
      ]);
      for (const run of [exact, control]) {
        expect(run.failures).toEqual([]);
        // A handover before the crash, and one by the invocation that took the crashed one's lease over.
        expect(run.handedOver).toContain(1);
        expect(run.handedOver).not.toContain(CRASHED_INVOCATION);
        expect(run.handedOver.some((n) => n > CRASHED_INVOCATION)).toBe(true);
        // The crash landed with effects made and not committed.
        expect(run.crashedDelivered).toBeGreaterThan(0);
      }
      expect(Object.fromEntries(exact.counts)).toEqual(Object.fromEntries(exact.expected));
      const over = [...control.expected].filter(([key, n]) => (control.counts.get(key) ?? 0) > n);
      const under = [...control.expected].filter(([key, n]) => (control.counts.get(key) ?? 0) < n);
      expect(under).toEqual([]);
      expect(over.length).toBeGreaterThan(0);
    },
    SLOW_TEST_MILLIS,
  );
});
