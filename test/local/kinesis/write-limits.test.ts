// Kinesis's per-shard write limits on the local Kinesis, driven by the unmodified SDK v3 client on a
// fake clock: nothing here waits for real time, so the answers do not depend on the machine's load.
import {
  KinesisClient,
  ProvisionedThroughputExceededException,
  PutRecordCommand,
  PutRecordsCommand,
  SplitShardCommand,
  type PutRecordsRequestEntry,
} from '@aws-sdk/client-kinesis';
import { FakeClock } from '../../../functions/core/time/clock';
import { createStreamAndWait, waitForStreamActive } from '../../../local/kinesis';
import { shardUtilisation } from '../../../local/kinesis/write-limits';
import { useLocalAws } from '../../support/local-aws';
import { rejectionOf } from '../../support/rejection-of';
import { readAll } from './kinesis-test-kit';

const clock = new FakeClock();
const aws = useLocalAws({ kinesis: { writeLimits: true }, clock, maxAttempts: { kinesis: 1 } });
let kinesis: KinesisClient;
let streams = 0;

// MD5 ranges of a 2-shard stream: keys below 2^127 go to shard 0, the rest to shard 1.
const SHARD_0_HASH_KEY = '1';
const SHARD_1_HASH_KEY = (2n ** 127n + 5n).toString();

beforeAll(() => {
  kinesis = aws().clients.client('kinesis', KinesisClient);
});

async function newStream(shards = 1): Promise<string> {
  const name = `limits-${++streams}`;
  await createStreamAndWait(kinesis, name, shards);
  return name;
}

/** `count` entries of `bytes` bytes each, data plus the 1-byte partition key. */
function records(count: number, bytes: number, explicitHashKey?: string): PutRecordsRequestEntry[] {
  return Array.from({ length: count }, () => ({
    Data: Buffer.alloc(bytes - 1, 'x'),
    PartitionKey: 'k',
    ...(explicitHashKey !== undefined ? { ExplicitHashKey: explicitHashKey } : {}),
  }));
}

function usageOf(stream: string) {
  return aws()
    .kinesis.writeLimits!.usage()
    .filter((u) => u.stream === stream);
}

describe('per-shard write limits', () => {
  it('lets 1,000 records a second through and fails the next entry with ProvisionedThroughputExceededException', async () => {
    const stream = await newStream();
    const first = await kinesis.send(
      new PutRecordsCommand({ StreamName: stream, Records: records(500, 10) }),
    );
    const second = await kinesis.send(
      new PutRecordsCommand({ StreamName: stream, Records: records(500, 10) }),
    );
    expect(first.FailedRecordCount ?? 0).toBe(0);
    expect(second.FailedRecordCount ?? 0).toBe(0);
    const third = await kinesis.send(new PutRecordsCommand({ StreamName: stream, Records: records(3, 10) }));
    expect(third.FailedRecordCount).toBe(3);
    for (const entry of third.Records ?? []) {
      expect(entry.ErrorCode).toBe('ProvisionedThroughputExceededException');
      expect(entry.ErrorMessage).toMatch(/^Rate exceeded for stream limits-\d+ under account \d+\.$/);
      expect(entry.SequenceNumber).toBeUndefined();
    }
    // Throttled entries are not written: exactly the 1,000 accepted are in the stream.
    expect(await readAll(kinesis, stream)).toHaveLength(1000);

    // 100 ms later, 100 records' worth has refilled, and no more.
    await clock.advance(100);
    const refilled = await kinesis.send(
      new PutRecordsCommand({ StreamName: stream, Records: records(101, 10) }),
    );
    expect(refilled.FailedRecordCount).toBe(1);
    expect(refilled.Records?.[100]?.ErrorCode).toBe('ProvisionedThroughputExceededException');
    expect(refilled.Records?.[99]?.SequenceNumber).toBeDefined();
  });

  it('counts bytes as data plus partition key, 1 MiB a second, and lets a smaller later entry through', async () => {
    const stream = await newStream();
    // 4 entries of 256 KiB (262,143 bytes of data and a 1-byte key) fill the bytes bucket.
    const quarter = 256 * 1024;
    const full = await kinesis.send(
      new PutRecordsCommand({
        StreamName: stream,
        Records: Array.from({ length: 4 }, () => ({ Data: Buffer.alloc(quarter - 1), PartitionKey: 'k' })),
      }),
    );
    expect(full.FailedRecordCount ?? 0).toBe(0);
    await clock.advance(10); // 10,485.76 bytes refill
    const mixed = await kinesis.send(
      new PutRecordsCommand({
        StreamName: stream,
        Records: [
          { Data: Buffer.alloc(10485), PartitionKey: 'kk' }, // 10,487 bytes: over by one
          { Data: Buffer.alloc(10484), PartitionKey: 'k' }, // 10,485 bytes: fits
        ],
      }),
    );
    expect(mixed.Records?.map((r) => r.ErrorCode ?? 'ok')).toEqual([
      'ProvisionedThroughputExceededException',
      'ok',
    ]);
    expect(mixed.FailedRecordCount).toBe(1);
  });

  it('counts an aggregated record once for records and with its full size for bytes', async () => {
    const stream = await newStream();
    // A KPL aggregate of many user records is one Kinesis record: 1,000 of them pass, the 1,001st fails.
    const aggregateLike = Buffer.concat([Buffer.from([0xf3, 0x89, 0x9a, 0xc2]), Buffer.alloc(200)]);
    const entries = Array.from({ length: 500 }, () => ({ Data: aggregateLike, PartitionKey: 'a' }));
    await kinesis.send(new PutRecordsCommand({ StreamName: stream, Records: entries }));
    await kinesis.send(new PutRecordsCommand({ StreamName: stream, Records: entries }));
    const over = await kinesis.send(
      new PutRecordsCommand({ StreamName: stream, Records: entries.slice(0, 1) }),
    );
    expect(over.FailedRecordCount).toBe(1);
    const [usage] = usageOf(stream);
    expect(usage).toMatchObject({ recordsAccepted: 1000, bytesAccepted: 1000 * 205, entriesThrottled: 1 });
  });

  it('says in which second of the clock each throttled entry was refused', async () => {
    const stream = await newStream();
    // Every earlier test's refusals whole seconds behind, and the start on a whole second.
    await clock.advance(5000 + 1000 - (clock.now() % 1000));
    const from = clock.now();
    const put = (count: number) =>
      kinesis.send(new PutRecordsCommand({ StreamName: stream, Records: records(count, 10) }));
    await put(500);
    await put(500);
    expect((await put(2)).FailedRecordCount).toBe(2);
    await clock.advance(2500);
    await put(500);
    await put(500);
    expect((await put(3)).FailedRecordCount).toBe(3);
    const timeline = aws().kinesis.writeLimits!.throttleTimeline(from);
    expect(timeline.filter(([second]) => second >= 0)).toEqual([
      [0, 2],
      [2, 3],
    ]);
  });

  it("finds each entry's shard from its ExplicitHashKey or partition key's MD5, so shards have budgets of their own", async () => {
    const stream = await newStream(2);
    const shard1 = records(499, 10, SHARD_1_HASH_KEY);
    for (let i = 0; i < 2; i++) {
      const put = await kinesis.send(
        new PutRecordsCommand({ StreamName: stream, Records: records(500, 10, SHARD_0_HASH_KEY) }),
      );
      expect(put.FailedRecordCount ?? 0).toBe(0);
    }
    // Shard 0 is spent; shard 1 is not.
    const both = await kinesis.send(
      new PutRecordsCommand({
        StreamName: stream,
        Records: [...records(1, 10, SHARD_0_HASH_KEY), ...shard1],
      }),
    );
    expect(both.FailedRecordCount).toBe(1);
    expect(both.Records?.[0]?.ErrorCode).toBe('ProvisionedThroughputExceededException');
    expect(both.Records?.slice(1).every((r) => r.ShardId === 'shardId-000000000001')).toBe(true);
    // Partition key "a" hashes (MD5) into shard 0's half; kinesalite agrees on where it lands.
    const byKey = await kinesis.send(
      new PutRecordsCommand({ StreamName: stream, Records: [{ Data: Buffer.from('x'), PartitionKey: 'a' }] }),
    );
    expect(byKey.Records?.[0]?.ErrorCode).toBe('ProvisionedThroughputExceededException');
    expect(
      usageOf(stream)
        .map((u) => [u.shardId, u.recordsAccepted, u.entriesThrottled])
        .sort(),
    ).toEqual([
      ['shardId-000000000000', 1000, 2],
      ['shardId-000000000001', 499, 0],
    ]);
  });

  it('throttles PutRecord with ProvisionedThroughputExceededException once the shard is spent', async () => {
    const stream = await newStream();
    await kinesis.send(new PutRecordsCommand({ StreamName: stream, Records: records(500, 10) }));
    await kinesis.send(new PutRecordsCommand({ StreamName: stream, Records: records(499, 10) }));
    await kinesis.send(
      new PutRecordCommand({ StreamName: stream, Data: Buffer.from('last'), PartitionKey: 'k' }),
    );
    const error = await rejectionOf(
      kinesis.send(
        new PutRecordCommand({ StreamName: stream, Data: Buffer.from('over'), PartitionKey: 'k' }),
      ),
    );
    expect(error).toBeInstanceOf(ProvisionedThroughputExceededException);
    expect(error.$metadata?.httpStatusCode).toBe(400);
  });

  it("follows a split: the children's budgets apply once the stream's shards change", async () => {
    const stream = await newStream();
    await kinesis.send(new PutRecordsCommand({ StreamName: stream, Records: records(500, 10) }));
    await kinesis.send(
      new SplitShardCommand({
        StreamName: stream,
        ShardToSplit: 'shardId-000000000000',
        NewStartingHashKey: (2n ** 127n).toString(),
      }),
    );
    await waitForStreamActive(kinesis, stream);
    const put = await kinesis.send(
      new PutRecordsCommand({ StreamName: stream, Records: records(500, 10, SHARD_1_HASH_KEY) }),
    );
    expect(put.FailedRecordCount ?? 0).toBe(0);
    expect(put.Records?.every((r) => r.ShardId === 'shardId-000000000002')).toBe(true);
    expect(
      usageOf(stream)
        .map((u) => u.shardId)
        .sort(),
    ).toEqual(['shardId-000000000000', 'shardId-000000000002']);
  });

  it('reports utilisation as the larger of the records and bytes shares of the limits', () => {
    const limits = { recordsPerSecond: 1000, bytesPerSecond: 1000 };
    const usage = [
      {
        stream: 's',
        shardId: 'a',
        recordsAccepted: 500,
        bytesAccepted: 1800,
        entriesThrottled: 0,
        firstAt: 0,
        lastAt: 0,
      },
      {
        stream: 's',
        shardId: 'b',
        recordsAccepted: 1000,
        bytesAccepted: 10,
        entriesThrottled: 0,
        firstAt: 0,
        lastAt: 0,
      },
    ];
    expect(shardUtilisation(usage, limits, { from: 0, to: 2000, shardCount: 2 })).toBeCloseTo(0.7);
    expect(shardUtilisation(usage, limits, { from: 0, to: 2000, shardCount: 4 })).toBeCloseTo(0.35);
  });
});
