import type { ShardCheckpoint, ShardKey, StoredCheckpoint } from './checkpoint-store';

/**
 * Orders two Kinesis sequence numbers (decimal strings without leading zeros) without BigInt:
 * a longer string is a larger number, equal lengths compare lexically.
 */
export function compareSequenceNumbers(a: string, b: string): number {
  if (a.length !== b.length) return a.length < b.length ? -1 : 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

const RANK = { pinned: 0, sequence: 1, 'shard-end': 2 } as const;

/**
 * Orders two positions of one shard by progress: pinned < any sequence < shard-end. Between two pins
 * the earlier is further, since it skips less; within one sequence number a partly delivered
 * aggregated record is behind the whole record.
 */
export function compareCheckpoints(a: ShardCheckpoint, b: ShardCheckpoint): number {
  if (a.kind !== b.kind) return RANK[a.kind] - RANK[b.kind];
  if (a.kind === 'pinned' && b.kind === 'pinned') return b.timestampMillis - a.timestampMillis;
  if (a.kind === 'sequence' && b.kind === 'sequence') {
    const bySequence = compareSequenceNumbers(a.sequenceNumber, b.sequenceNumber);
    if (bySequence !== 0) return bySequence;
    if (a.subSequenceNumber === b.subSequenceNumber) return 0;
    if (a.subSequenceNumber === undefined) return 1;
    if (b.subSequenceNumber === undefined) return -1;
    return a.subSequenceNumber - b.subSequenceNumber;
  }
  return 0;
}

export interface MergedCheckpoint {
  readonly checkpoint: ShardCheckpoint;
  readonly generation: number;
  /** The subtask whose value holds the winning position. */
  readonly subtaskIndex: number;
}

/** Compares (generation, position) pairs: a higher generation wins whatever the positions. */
export function compareGenerational(
  a: { generation: number; checkpoint: ShardCheckpoint },
  b: { generation: number; checkpoint: ShardCheckpoint },
): number {
  if (a.generation !== b.generation) return a.generation - b.generation;
  return compareCheckpoints(a.checkpoint, b.checkpoint);
}

/** For every shard found in any subtask's value, the furthest position of the highest generation. */
export function mergeCheckpoints(values: readonly StoredCheckpoint[]): Map<ShardKey, MergedCheckpoint> {
  const merged = new Map<ShardKey, MergedCheckpoint>();
  for (const value of values) {
    for (const [key, checkpoint] of value.shards) {
      const candidate = { checkpoint, generation: value.generation, subtaskIndex: value.subtaskIndex };
      const current = merged.get(key);
      if (!current || compareGenerational(candidate, current) > 0) merged.set(key, candidate);
    }
  }
  return merged;
}

/** The highest generation found in any stored value (0 when nothing is stored). */
export function highestGeneration(values: readonly StoredCheckpoint[]): number {
  return values.reduce((max, v) => Math.max(max, v.generation), 0);
}
