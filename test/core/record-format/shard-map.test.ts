import fc from 'fast-check';
import { ValidationError } from '../../../functions/core/errors';
import { ShardMap, type ListedShard } from '../../../functions/core/record-format';
import { MAX_HASH_KEY, explicitHashKeyArb } from './support';
import { createHash } from 'node:crypto';

/** Open shards with the given sorted, distinct inner boundaries (each a shard's first hash key). */
function shardsFromBoundaries(boundaries: readonly bigint[]): ListedShard[] {
  const starts = [0n, ...boundaries];
  return starts.map((start, i) => ({
    ShardId: `shardId-${String(i).padStart(12, '0')}`,
    HashKeyRange: {
      StartingHashKey: start.toString(),
      EndingHashKey: (i + 1 < starts.length ? starts[i + 1]! - 1n : MAX_HASH_KEY).toString(),
    },
    SequenceNumberRange: { StartingSequenceNumber: '1' },
  }));
}

/** The reference: the shard whose [start, end] holds the key, in BigInt arithmetic. */
function referenceShard(shards: readonly ListedShard[], hashKey: bigint): string | undefined {
  return shards.find(
    (s) =>
      BigInt(s.HashKeyRange!.StartingHashKey!) <= hashKey &&
      hashKey <= BigInt(s.HashKeyRange!.EndingHashKey!),
  )?.ShardId;
}

function md5HashKey(partitionKey: string): bigint {
  const digest = createHash('md5').update(partitionKey, 'utf8').digest();
  return (digest.readBigUInt64BE(0) << 64n) | digest.readBigUInt64BE(8);
}

/**
 * Boundaries anywhere; clusters sharing their top 32 bits, so lookups take the path where a shard
 * start and the key agree on the first 8 hex digits; and boundaries on and next to the edges of the
 * lookup index's buckets (multiples of 2^116, the first 3 hex digits).
 */
const boundariesArb = fc
  .tuple(
    fc.uniqueArray(fc.bigInt({ min: 1n, max: MAX_HASH_KEY }), { maxLength: 40 }),
    fc.bigInt({ min: 0n, max: (1n << 32n) - 1n }),
    fc.uniqueArray(fc.bigInt({ min: 1n, max: (1n << 96n) - 1n }), { maxLength: 10 }),
    fc.array(fc.tuple(fc.integer({ min: 1, max: 4095 }), fc.integer({ min: -2, max: 2 })), { maxLength: 10 }),
  )
  .map(([anywhere, prefix, low, edges]) => {
    const clustered = low.map((value) => (prefix << 96n) | value);
    const atEdges = edges.map(([bucket, offset]) => (BigInt(bucket) << 116n) + BigInt(offset));
    return [...new Set([...anywhere, ...clustered, ...atEdges].filter((b) => b > 0n))].sort((a, b) =>
      a < b ? -1 : a > b ? 1 : 0,
    );
  });

describe('ShardMap', () => {
  it('predicts the shard of any partition key or explicit hash key as BigInt arithmetic would', () => {
    fc.assert(
      fc.property(
        boundariesArb,
        fc.array(fc.string({ unit: 'binary', minLength: 1, maxLength: 64 }), { maxLength: 20 }),
        fc.array(explicitHashKeyArb, { maxLength: 20 }),
        (boundaries, partitionKeys, explicitHashKeys) => {
          const shards = shardsFromBoundaries(boundaries);
          const map = ShardMap.fromShards(shards);
          for (const key of partitionKeys) {
            expect(map.shardFor(key).shardId).toBe(referenceShard(shards, md5HashKey(key)));
          }
          // Explicit hash keys at, just below and just above every boundary, and random ones.
          const probes = [
            ...explicitHashKeys.map(BigInt),
            ...boundaries.flatMap((b) => [b - 1n, b, b + 1n]).filter((k) => k >= 0n && k <= MAX_HASH_KEY),
          ];
          for (const probe of probes) {
            expect(map.shardFor('ignored', probe.toString()).shardId).toBe(referenceShard(shards, probe));
          }
        },
      ),
      { numRuns: 100 },
    );
  });

  it('keeps only open shards, in hash key order', () => {
    const open = shardsFromBoundaries([1n << 127n]);
    const closedParent = {
      ShardId: 'shardId-parent',
      HashKeyRange: { StartingHashKey: '0', EndingHashKey: MAX_HASH_KEY.toString() },
      SequenceNumberRange: { StartingSequenceNumber: '1', EndingSequenceNumber: '2' },
    };
    const map = ShardMap.fromShards([open[1]!, closedParent, open[0]!]);
    expect(map.size).toBe(2);
    expect(map.shards.map((s) => s.shardId)).toEqual([open[0]!.ShardId, open[1]!.ShardId]);
    expect(map.get('shardId-parent')).toBeUndefined();
    expect(map.shards[1]).toEqual({
      shardId: open[1]!.ShardId,
      startingHashKey: (1n << 127n).toString(),
      endingHashKey: MAX_HASH_KEY.toString(),
      startingHashKeyHex: `8${'0'.repeat(31)}`,
      endingHashKeyHex: 'f'.repeat(32),
    });
  });

  it('gives an explicit hash key inside each shard that leads back to that shard', () => {
    fc.assert(
      fc.property(boundariesArb, (boundaries) => {
        const map = ShardMap.fromShards(shardsFromBoundaries(boundaries));
        for (const shard of map.shards) {
          const key = map.explicitHashKeyFor(shard.shardId);
          expect(
            BigInt(key) >= BigInt(shard.startingHashKey) && BigInt(key) <= BigInt(shard.endingHashKey),
          ).toBe(true);
          expect(map.shardFor('any', key)).toBe(shard);
          expect(map.explicitHashKeyFor(shard)).toBe(key);
        }
      }),
      { numRuns: 50 },
    );
  });

  it('looks up hex hash keys directly and refuses malformed ones', () => {
    const map = ShardMap.fromShards(shardsFromBoundaries([1n << 127n]));
    expect(map.shardForHashKeyHex(`7${'f'.repeat(31)}`)).toBe(map.shards[0]);
    expect(map.shardForHashKeyHex(`8${'0'.repeat(31)}`)).toBe(map.shards[1]);
    for (const bad of ['F'.repeat(32), 'f'.repeat(31), 'g'.repeat(32), `${'0'.repeat(31)}é`]) {
      expect(() => map.shardForHashKeyHex(bad)).toThrow(/must be 32 lower-case hex digits/);
    }
  });

  it('refuses a shard that is not open in the map', () => {
    const map = ShardMap.fromShards(shardsFromBoundaries([]));
    expect(() => map.explicitHashKeyFor('shardId-gone')).toThrow(
      'Shard shardId-gone is not an open shard of this shard map; refresh the map from ListShards.',
    );
  });

  const half = (1n << 127n).toString();
  const range = (ShardId: string, start: string, end: string): ListedShard => ({
    ShardId,
    HashKeyRange: { StartingHashKey: start, EndingHashKey: end },
  });
  it.each<[string, ListedShard[] | undefined, RegExp]>([
    ['no shards at all', undefined, /no open shards/],
    [
      'only closed shards',
      [{ ...range('s', '0', MAX_HASH_KEY.toString()), SequenceNumberRange: { EndingSequenceNumber: '9' } }],
      /no open shards/,
    ],
    [
      'a gap',
      [range('a', '0', '100'), range('b', '102', MAX_HASH_KEY.toString())],
      /shard a ends at 100 and shard b starts at 102/,
    ],
    [
      'an overlap',
      [range('a', '0', half), range('b', half, MAX_HASH_KEY.toString())],
      /shard a ends at .* and shard b starts at/,
    ],
    ['a space not starting at 0', [range('a', '1', MAX_HASH_KEY.toString())], /the lowest range starts at 1/],
    ['a space not reaching 2^128 - 1', [range('a', '0', '5')], /the highest range ends at 5/],
    [
      'a missing shard id',
      [{ HashKeyRange: { StartingHashKey: '0', EndingHashKey: MAX_HASH_KEY.toString() } }],
      /shards\[0\]\.ShardId/,
    ],
    ['a malformed range', [range('a', '0', 'lots')], /Shard a has HashKeyRange.EndingHashKey "lots"/],
    ['a range ending before it starts', [range('a', '10', '5')], /ends before it starts/],
  ])('rejects ListShards output with %s', (_name, shards, message) => {
    expect(() => ShardMap.fromShards(shards)).toThrow(ValidationError);
    expect(() => ShardMap.fromShards(shards)).toThrow(message);
  });
});
