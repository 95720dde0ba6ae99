import { hash } from 'node:crypto';
import { ShardMap, type ListedShard } from '../functions/core/record-format';
import { compare, type BenchRow, type BenchSection } from './harness';

/** Partition key to predicted shard, against a BigInt-based lookup measured in the same process. */

const KEY_COUNT = 4096;
const SHARD_COUNTS = [1, 64, 1024] as const;
const TARGET_NS_AT_1024 = 450;
const HASH_SPACE = 1n << 128n;

/** Open shards splitting the hash key space evenly, as CreateStream makes them. */
export function evenShards(count: number): ListedShard[] {
  return Array.from({ length: count }, (_, i) => ({
    ShardId: `shardId-${String(i).padStart(12, '0')}`,
    HashKeyRange: {
      StartingHashKey: ((HASH_SPACE * BigInt(i)) / BigInt(count)).toString(),
      EndingHashKey: ((HASH_SPACE * BigInt(i + 1)) / BigInt(count) - 1n).toString(),
    },
    SequenceNumberRange: { StartingSequenceNumber: '0' },
  }));
}

/** The approach this replaces: digest to BigInt, binary search over BigInt starts. */
function bigIntLookup(starts: readonly bigint[], partitionKey: string): number {
  const digest = hash('md5', partitionKey, 'buffer');
  const key = (digest.readBigUInt64BE(0) << 64n) | digest.readBigUInt64BE(8);
  let low = 0;
  let high = starts.length - 1;
  while (low < high) {
    const mid = (low + high + 1) >>> 1;
    if (starts[mid]! <= key) low = mid;
    else high = mid - 1;
  }
  return low;
}

export async function run(): Promise<BenchSection> {
  const keys = Array.from({ length: KEY_COUNT }, (_, i) => `customer-${i * 7919}`);
  const rows: BenchRow[] = [];
  const perKey = (ns: number) => ns / KEY_COUNT;
  let sink = 0;
  for (const count of SHARD_COUNTS) {
    const shards = evenShards(count);
    const map = ShardMap.fromShards(shards);
    const starts = shards.map((shard) => BigInt(shard.HashKeyRange!.StartingHashKey!));
    const timings = await compare({
      ours: () => {
        for (const key of keys) sink += map.shardFor(key).shardId.length;
      },
      bigInt: () => {
        for (const key of keys) sink += bigIntLookup(starts, key);
      },
      md5Only: () => {
        for (const key of keys) sink += hash('md5', key, 'hex').length;
      },
    });
    rows.push(
      {
        label: `shardFor, ${count.toLocaleString('en-US')} shard(s)`,
        value: perKey(timings.ours!),
        unit: 'ns/key',
        anchor: { label: 'BigInt lookup', value: perKey(timings.bigInt!) },
        ...(count === 1024 ? { target: { maxValue: TARGET_NS_AT_1024 } } : {}),
      },
      {
        label: `shardFor, ${count.toLocaleString('en-US')} shard(s)`,
        value: perKey(timings.ours!),
        unit: 'ns/key',
        anchor: { label: 'MD5 hex alone', value: perKey(timings.md5Only!) },
      },
    );
  }
  if (sink === 0) throw new Error('unreachable: keeps the loops from being optimised away');
  return {
    title: 'Record format: shard prediction',
    rows,
    notes: [
      `${KEY_COUNT.toLocaleString('en-US')} distinct partition keys over evenly split open shards.`,
      'BigInt lookup: MD5 digest read as a BigInt, binary search over BigInt range starts (the approach replaced).',
    ],
  };
}
