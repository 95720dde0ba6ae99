import fc from 'fast-check';
import { ValidationError } from '../../../functions/core/errors';
import {
  ShardMap,
  aggregate,
  deaggregate,
  hashKeyHexFor,
  decimalToHashKeyHex,
  type UserRecord,
} from '../../../functions/core/record-format';
import { batchArb } from './support';

function evenShards(count: number) {
  const space = 1n << 128n;
  return Array.from({ length: count }, (_, i) => ({
    ShardId: `shardId-${i}`,
    HashKeyRange: {
      StartingHashKey: ((space * BigInt(i)) / BigInt(count)).toString(),
      EndingHashKey: ((space * BigInt(i + 1)) / BigInt(count) - 1n).toString(),
    },
  }));
}

describe('aggregate', () => {
  it('turns a batch into records that deaggregate back to it, in order', () => {
    fc.assert(
      fc.property(batchArb(500, 40), fc.integer({ min: 64, max: 10_000 }), (records, maxSize) => {
        const output = aggregate(records, { maxSize });
        const read = output.flatMap((r, i) => deaggregate({ ...r, sequenceNumber: String(i) }));
        expect(
          read.map((r) => [r.partitionKey, r.explicitHashKey, Buffer.from(r.data).toString('hex')]),
        ).toEqual(
          records.map((r) => [r.partitionKey, r.explicitHashKey, Buffer.from(r.data).toString('hex')]),
        );
        expect(output.reduce((sum, r) => sum + r.userRecordCount, 0)).toBe(records.length);
      }),
      { numRuns: 60 },
    );
  });

  it('returns nothing for an empty batch', () => {
    expect(aggregate([])).toEqual([]);
  });

  it('hands back the caller’s own record objects, extra fields included', () => {
    const records = [
      { partitionKey: 'a', data: new Uint8Array([1]), messageId: 'm-1' },
      { partitionKey: 'b', data: new Uint8Array([2]), messageId: 'm-2' },
    ];
    const [only] = aggregate(records);
    expect(only!.userRecords[0]).toBe(records[0]);
    expect(only!.userRecords.map((r) => r.messageId)).toEqual(['m-1', 'm-2']);
  });

  it('names the position of the first bad record in the batch', () => {
    const records = [
      { partitionKey: 'ok', data: new Uint8Array(1) },
      { partitionKey: 'ok', data: new Uint8Array(1) },
      { partitionKey: '', data: new Uint8Array(1) },
    ];
    let caught: unknown;
    try {
      aggregate(records);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ValidationError);
    expect((caught as ValidationError).message).toMatch(/^records\[2\]: partitionKey must be 1 to 256/);
    expect((caught as ValidationError).field).toBe('records[2].partitionKey');
  });

  it('with a shard map, keeps each record’s user records on one shard and aims it inside that shard', () => {
    fc.assert(
      fc.property(batchArb(200, 60), fc.integer({ min: 1, max: 16 }), (records, shardCount) => {
        const map = ShardMap.fromShards(evenShards(shardCount));
        const output = aggregate(records, { shardMap: map, maxSize: 4096 });
        expect(output.reduce((sum, r) => sum + r.userRecordCount, 0)).toBe(records.length);
        for (const r of output) {
          const shards = new Set(
            r.userRecords.map((u: UserRecord) => map.shardFor(u.partitionKey, u.explicitHashKey).shardId),
          );
          expect(shards.size).toBe(1);
          const [shardId] = [...shards];
          // Where Kinesis will put the record: by its explicit hash key, else its partition key.
          expect(map.shardFor(r.partitionKey, r.explicitHashKey).shardId).toBe(shardId);
          if (r.aggregated) expect(r.explicitHashKey).toBe(map.explicitHashKeyFor(shardId!));
        }
      }),
      { numRuns: 40 },
    );
  });

  it('with a shard map, preserves the order of the user records bound for each shard', () => {
    const map = ShardMap.fromShards(evenShards(4));
    const records = Array.from({ length: 200 }, (_, i) => ({
      partitionKey: `key-${i}`,
      data: new Uint8Array([i]),
    }));
    const output = aggregate(records, { shardMap: map });
    const byShard = new Map<string, number[]>();
    for (const r of output) {
      const shardId = map.shardFor(r.userRecords[0]!.partitionKey).shardId;
      byShard.set(shardId, [...(byShard.get(shardId) ?? []), ...r.userRecords.map((u) => u.data[0]!)]);
    }
    for (const [shardId, seen] of byShard) {
      const expected = records
        .filter((r) => map.shardFor(r.partitionKey).shardId === shardId)
        .map((r) => r.data[0]!);
      expect(seen).toEqual(expected);
    }
    expect(decimalToHashKeyHex(map.explicitHashKeyFor('shardId-1'))).toBe(
      hashKeyHexFor('x', (1n << 126n).toString()),
    );
  });
});
