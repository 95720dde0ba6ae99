import { assignSubtask, uniformShardAssigner } from '../../../functions/core/consumer/assigner';
import { ConfigurationError } from '../../../functions/core/errors';
import { evenShards } from './helpers';

function counts(parallelism: number, indexes: number[]): number[] {
  const result = new Array<number>(parallelism).fill(0);
  for (const i of indexes) result[i] = (result[i] as number) + 1;
  return result;
}

describe('uniformShardAssigner', () => {
  it.each([1, 3, 8])(
    'spreads 1 to 16 even shards over parallelism %i with at most one shard of difference',
    (parallelism) => {
      const assign = uniformShardAssigner(['orders']);
      for (let shardCount = 1; shardCount <= 16; shardCount++) {
        const perSubtask = counts(
          parallelism,
          evenShards('orders', shardCount).map((s) => assignSubtask(assign, s, parallelism)),
        );
        expect(Math.max(...perSubtask) - Math.min(...perSubtask)).toBeLessThanOrEqual(1);
        expect(perSubtask.reduce((a, b) => a + b, 0)).toBe(shardCount);
      }
    },
  );

  it('gives every subtask an equal share of the hash space after uneven splits', () => {
    // 8 shards of 1/8 each, then 4 of them split in two: hash space per subtask stays 1/4 at parallelism 4.
    const coarse = evenShards('orders', 8);
    const fine = evenShards('orders', 16);
    const shards = [...coarse.slice(0, 4), ...fine.slice(8)];
    const assign = uniformShardAssigner(['orders']);
    const width = new Array<bigint>(4).fill(0n);
    for (const shard of shards) {
      const i = assignSubtask(assign, shard, 4);
      width[i] = (width[i] as bigint) + BigInt(shard.endingHashKey) - BigInt(shard.startingHashKey) + 1n;
    }
    for (const w of width) expect(w).toBe(1n << 126n);
  });

  it('places the single shards of several streams on different subtasks', () => {
    const streams = ['a', 'b', 'c'];
    const assign = uniformShardAssigner(streams);
    const indexes = streams.map((s) => assignSubtask(assign, evenShards(s, 1)[0]!, 3));
    expect(new Set(indexes).size).toBe(3);
  });

  it('gives each of 8 subtasks two of 16 shards', () => {
    const assign = uniformShardAssigner(['orders']);
    const perSubtask = counts(
      8,
      evenShards('orders', 16).map((s) => assignSubtask(assign, s, 8)),
    );
    expect(perSubtask).toEqual([2, 2, 2, 2, 2, 2, 2, 2]);
  });
});

describe('assignSubtask', () => {
  it('folds a custom assigner result into range', () => {
    const shard = evenShards('orders', 1)[0]!;
    expect(assignSubtask(() => 7, shard, 3)).toBe(1);
    expect(assignSubtask(() => -1, shard, 3)).toBe(2);
  });

  it('rejects a custom assigner that returns a non-integer, naming the shard', () => {
    const shard = evenShards('orders', 1)[0]!;
    expect(() => assignSubtask(() => 1.5, shard, 3)).toThrow(ConfigurationError);
    expect(() => assignSubtask(() => Number.NaN, shard, 3)).toThrow(/orders\/shardId-000000000000/);
  });
});
