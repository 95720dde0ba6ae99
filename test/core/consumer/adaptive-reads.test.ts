import { ShardDelivery } from '../../../functions/core/consumer/delivery';
import { bytesDeserializer } from '../../../functions/core/consumer/deserializers';
import { adaptiveRecordLimit } from '../../../functions/core/consumer/rate-limit';
import { ShardReader } from '../../../functions/core/consumer/shard-reader';
import { FakeClock } from '../../../functions/core/time/clock';
import { evenShards, FakeKinesis, silentLogger } from './helpers';

const MIB = 1024 * 1024;
const SHARD = 'shardId-000000000000';

describe('adaptiveRecordLimit', () => {
  it.each([
    // loop ms, records, bytes, expected: floor((2 MiB / (1000 / loop)) / (bytes / records)), clamped
    [200, 100, 100_000, Math.floor((2 * MIB) / 5 / 1000)],
    [1000, 500, 500 * 1024, 2048],
    [3000, 10, 10 * 512, 10_000],
    [50, 1, 1024 * 1024, 1],
    [200, 4, 4 * 1_000_000, 1],
  ])('after a %i ms loop that read %i records of %i bytes asks for %i', (loop, records, bytes, expected) => {
    expect(adaptiveRecordLimit(loop, records, bytes)).toBe(expected);
  });

  it('keeps the current count when a call read nothing', () => {
    expect(adaptiveRecordLimit(200, 0, 0)).toBeUndefined();
  });

  it('scales with the byte rate it is given', () => {
    expect(adaptiveRecordLimit(1000, 10, 10_000, MIB)).toBe(1048);
  });
});

describe('a reader with adaptive reads', () => {
  it('asks each GetRecords for what the measured loop rate allows within 2 MiB/s', async () => {
    const clock = new FakeClock(Date.UTC(2026, 0, 1), { autoAdvance: true });
    const kinesis = new FakeKinesis(clock);
    // 98 bytes of data + a 2-character partition key: 100 bytes per record.
    kinesis.addSized(SHARD, 40_000, 98);
    const stop = new AbortController();
    let delivered = 0;
    const delivery = new ShardDelivery<Uint8Array>({
      stream: 'orders',
      shardId: SHARD,
      subtaskIndex: 0,
      settings: {
        batchSize: 10_000,
        maxBatchingMillis: 0,
        backoff: { maxRetries: 0, baseMillis: 1, maxMillis: 1, expConst: 1 },
      },
      clock,
      random: () => 1,
      logger: silentLogger(),
      signal: stop.signal,
      handler: (records) => {
        delivered += records.length;
        if (delivered >= 30_000) stop.abort();
      },
    });
    const backoff = { maxRetries: 3, baseMillis: 300, maxMillis: 1000, expConst: 1.5 };
    const reader = new ShardReader<Uint8Array>({
      api: kinesis,
      shard: evenShards('orders', 1)[0]!,
      start: { type: 'TRIM_HORIZON' },
      delivery,
      deserializer: bytesDeserializer,
      settings: {
        maxRecordsPerCall: 10_000,
        intervalMillis: 200,
        getRecordsBackoff: backoff,
        getShardIteratorBackoff: backoff,
        limits: { callsPerSecond: 5, bytesPerSecond: 2 * MIB },
        adaptiveReads: true,
      },
      clock,
      random: () => 1,
      logger: silentLogger(),
      stop: stop.signal,
    });
    await reader.run();
    const calls = kinesis.calls.filter((c) => c.operation === 'GetRecords');
    const limits = calls.map((c) => (c.input as { Limit: number }).Limit);
    expect(calls.length).toBeGreaterThanOrEqual(4);
    expect(limits[0]).toBe(10_000);
    // The first call has no loop time to go on; from the third on, the Limit of call i+1 follows from
    // call i: its loop time since call i-1, and 100-byte records.
    for (let i = 1; i + 1 < calls.length; i++) {
      const loopMillis = (calls[i]?.at ?? 0) - (calls[i - 1]?.at ?? 0);
      const expected = Math.max(1, Math.min(10_000, Math.floor((2 * MIB) / (1000 / loopMillis) / 100)));
      expect(limits[i + 1]).toBe(expected);
    }
    // A call every 200 ms may read 2 MiB / 5 = 419,430 bytes: 4,194 records of 100 bytes.
    expect(limits.slice(2)).toContain(4194);
    expect(limits.slice(2)).not.toContain(10_000);
    expect(reader.stats.recordsPerCall).toBe(limits.at(-1));
  });
});
