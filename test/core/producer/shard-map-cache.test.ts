import type { Shard } from '@aws-sdk/client-kinesis';
import { ShardMapCache } from '../../../functions/core/producer/shard-map-cache';
import { FakeClock, seededRandom } from '../../../functions/core/time/clock';

function shards(count: number): Shard[] {
  const span = (1n << 128n) / BigInt(count);
  return Array.from({ length: count }, (_, i) => ({
    ShardId: `shardId-${i}`,
    HashKeyRange: {
      StartingHashKey: (span * BigInt(i)).toString(),
      EndingHashKey: (i === count - 1 ? (1n << 128n) - 1n : span * BigInt(i + 1) - 1n).toString(),
    },
    SequenceNumberRange: { StartingSequenceNumber: '0' },
  }));
}

describe('ShardMapCache', () => {
  it('lists a stream once, again after the TTL, and shares one listing among concurrent refreshes', async () => {
    const clock = new FakeClock(0, { autoAdvance: true });
    let calls = 0;
    let count = 2;
    const cache = new ShardMapCache({
      listShards: async () => {
        calls++;
        return shards(count);
      },
      clock,
      random: seededRandom(1),
      ttlMillis: 1000,
    });
    const first = await cache.get('s');
    expect(first.map.size).toBe(2);
    expect((await cache.get('s')).version).toBe(first.version);
    expect(calls).toBe(1);

    count = 4;
    const [a, b] = await Promise.all([cache.refresh('s', first.version), cache.refresh('s', first.version)]);
    expect(calls).toBe(2);
    expect(a).toBe(b);
    expect(a.map.size).toBe(4);
    // A caller that saw the old version does not list again once a newer listing exists.
    expect(await cache.refresh('s', first.version)).toBe(a);
    expect(cache.version('s')).toBe(a.version);

    await clock.advance(1000);
    await cache.get('s');
    expect(calls).toBe(3);
  });

  it('retries a throttled listing and gives up on a missing stream', async () => {
    const clock = new FakeClock(0, { autoAdvance: true });
    let calls = 0;
    const cache = new ShardMapCache({
      listShards: async (stream) => {
        calls++;
        if (stream === 'missing') throw Object.assign(new Error('no'), { name: 'ResourceNotFoundException' });
        if (calls < 3) throw Object.assign(new Error('slow down'), { name: 'LimitExceededException' });
        return shards(1);
      },
      clock,
      random: seededRandom(2),
    });
    expect((await cache.get('s')).map.size).toBe(1);
    expect(calls).toBe(3);
    await expect(cache.get('missing')).rejects.toThrow('no');
    expect(calls).toBe(4);
  });
});
