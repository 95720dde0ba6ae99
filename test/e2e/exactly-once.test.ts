import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { KinesisClient } from '@aws-sdk/client-kinesis';
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
