import { ConfigurationError } from '../errors';
import type { ShardDescription } from './types';

/**
 * Picks the subtask that reads a shard. It must depend only on the shard and the parallelism, so that
 * every subtask, whenever it runs, agrees on one owner per shard.
 */
export type ShardAssigner = (shard: ShardDescription, parallelism: number) => number;

const HASH_SPACE = 1n << 128n;

/**
 * The default assigner: the midpoint of the shard's hash-key range, scaled to the parallelism, so each
 * subtask gets an equal slice of every stream's key space (and so of its traffic, for well-spread keys).
 * Each stream's slices are rotated by its rank among the `streams` so that streams with fewer shards
 * than subtasks do not all land on the same subtasks.
 */
export function uniformShardAssigner(streams: readonly string[]): ShardAssigner {
  const sorted = [...new Set(streams)].sort();
  return (shard, parallelism) => {
    const rank = Math.max(0, sorted.indexOf(shard.streamName));
    const midpoint = (BigInt(shard.startingHashKey) + BigInt(shard.endingHashKey)) / 2n;
    // position in [0, parallelism x streams), then rotate by this stream's share and fold.
    const streamsCount = BigInt(Math.max(1, sorted.length));
    const scaled =
      (midpoint * BigInt(parallelism) * streamsCount) / HASH_SPACE + BigInt(rank) * BigInt(parallelism);
    return Number((scaled / streamsCount) % BigInt(parallelism));
  };
}

/** Runs an assigner and checks what it returned; a negative or too-large integer is folded into range. */
export function assignSubtask(assigner: ShardAssigner, shard: ShardDescription, parallelism: number): number {
  const index = assigner(shard, parallelism);
  if (!Number.isSafeInteger(index)) {
    throw new ConfigurationError(
      `The shard assigner returned ${String(index)} for ${shard.streamName}/${shard.shardId}; it must return ` +
        `an integer subtask index from 0 to ${parallelism - 1}.`,
      'shardAssigner',
    );
  }
  return ((index % parallelism) + parallelism) % parallelism;
}
