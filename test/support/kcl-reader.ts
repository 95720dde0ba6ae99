import { createHash } from 'node:crypto';
import { deaggregate } from '../../functions/core/record-format';

/** A record as read from one shard. */
export interface ShardRecordIn {
  readonly partitionKey: string;
  readonly explicitHashKey?: string;
  readonly data: Uint8Array;
}

export interface ShardContent {
  readonly shardId: string;
  readonly start: bigint;
  readonly end: bigint;
  readonly records: readonly ShardRecordIn[];
}

export interface KclReadResult {
  /** User records kept, per shard, in the order read. */
  readonly records: { shardId: string; partitionKey: string; data: Buffer }[];
  /** Aggregated records dropped because a sub-record's hash key lies outside the shard. */
  readonly dropped: number;
}

/**
 * Reads shards the way the KCL does: deaggregates each record, and drops a whole aggregated record if any
 * sub-record's hash key (explicit, or MD5 of its partition key) falls outside the shard it was read from.
 */
export function readLikeKcl(shards: readonly ShardContent[]): KclReadResult {
  const records: KclReadResult['records'] = [];
  let dropped = 0;
  for (const shard of shards) {
    for (const record of shard.records) {
      const users = deaggregate(record);
      const aggregated = users[0]?.subSequenceNumber !== undefined;
      if (aggregated && users.some((u) => !inRange(hashKey(u), shard))) {
        dropped++;
        continue;
      }
      for (const u of users) {
        records.push({ shardId: shard.shardId, partitionKey: u.partitionKey, data: Buffer.from(u.data) });
      }
    }
  }
  return { records, dropped };
}

function hashKey(record: ShardRecordIn): bigint {
  if (record.explicitHashKey !== undefined) return BigInt(record.explicitHashKey);
  return BigInt(`0x${createHash('md5').update(record.partitionKey, 'utf8').digest('hex')}`);
}

function inRange(hash: bigint, shard: ShardContent): boolean {
  return hash >= shard.start && hash <= shard.end;
}
