import { checkpointStreamKey } from '../aws/stream-ref';
import type {
  CheckpointValue,
  ShardCheckpoint,
  ShardKey,
  StoredCheckpoint,
} from '../checkpoints/checkpoint-store';
import {
  compareGenerational,
  highestGeneration,
  mergeCheckpoints,
  type MergedCheckpoint,
} from '../checkpoints/merge';

/**
 * One subtask's view of the consumer's checkpoints during an invocation: the merge of every subtask's
 * stored value, what this subtask last wrote, and the entries it carries for shards it does not own.
 *
 * Carrying matters when the parallelism or the assigner changes: a subtask that no longer owns a shard
 * keeps writing the shard's last position until the new owner has stored one at least as far, so the
 * progress is never dropped before someone else holds it.
 */
export class CheckpointBook {
  private merged = new Map<ShardKey, MergedCheckpoint>();
  private othersBest = new Map<ShardKey, MergedCheckpoint>();
  private carried = new Map<ShardKey, ShardCheckpoint>();
  private durable = new Map<ShardKey, ShardCheckpoint>();
  private gen = 0;

  constructor(
    readonly subtaskIndex: number,
    stored: readonly StoredCheckpoint[],
  ) {
    const own = stored.filter((v) => v.subtaskIndex === subtaskIndex);
    this.gen = highestGeneration(stored);
    // Our entries of an older generation are not carried: rewriting them under the new generation
    // would undo an operator's reset.
    for (const value of own) {
      if (value.generation < this.gen) continue;
      for (const [key, checkpoint] of value.shards) {
        this.carried.set(key, checkpoint);
        this.durable.set(key, checkpoint);
      }
    }
    this.reload(stored);
  }

  /** The generation this subtask writes: the highest it has seen. */
  get generation(): number {
    return this.gen;
  }

  /** Takes in a fresh read of every subtask's value (other subtasks move on while we run). */
  reload(stored: readonly StoredCheckpoint[]): void {
    this.gen = Math.max(this.gen, highestGeneration(stored));
    this.merged = mergeCheckpoints(stored);
    this.othersBest = mergeCheckpoints(stored.filter((v) => v.subtaskIndex !== this.subtaskIndex));
  }

  /** The best known position of a shard: stored by anyone, or durably written by us since. */
  checkpointOf(key: ShardKey): ShardCheckpoint | undefined {
    const stored = this.merged.get(key);
    const ours = this.durable.get(key);
    if (!ours) return stored?.checkpoint;
    if (!stored) return ours;
    return compareGenerational({ generation: this.gen, checkpoint: ours }, stored) >= 0
      ? ours
      : stored.checkpoint;
  }

  /** Whether any shard of the stream has a stored position (else this is the consumer's first start on it). */
  hasStream(stream: string): boolean {
    const prefix = `${checkpointStreamKey(stream)}/`;
    for (const key of this.merged.keys()) if (key.startsWith(prefix)) return true;
    for (const key of this.durable.keys()) if (key.startsWith(prefix)) return true;
    return false;
  }

  /** Adds an entry this subtask writes although it may not own the shard (first-start pins). */
  carry(key: ShardKey, checkpoint: ShardCheckpoint): void {
    this.carried.set(key, checkpoint);
  }

  /**
   * The value to write: the owned shards' positions, plus carried entries that no other subtask's value
   * matches yet. A carried entry is also dropped once its shard is no longer listed (`isListed` false:
   * trimmed past retention).
   */
  valueToWrite(
    owned: ReadonlyMap<ShardKey, ShardCheckpoint | undefined>,
    isListed: (key: ShardKey) => boolean | undefined,
    now: number,
  ): CheckpointValue {
    const shards = new Map<ShardKey, ShardCheckpoint>();
    for (const [key, checkpoint] of this.carried) {
      if (owned.has(key)) continue;
      if (isListed(key) === false) continue;
      const other = this.othersBest.get(key);
      if (other && compareGenerational(other, { generation: this.gen, checkpoint }) >= 0) continue;
      shards.set(key, checkpoint);
    }
    for (const [key, checkpoint] of owned) {
      const best = checkpoint ?? this.checkpointOf(key);
      if (best) shards.set(key, best);
    }
    return { generation: this.gen, writtenAt: now, shards };
  }

  /** Whether writing `value` would change what is stored. */
  differsFromDurable(value: CheckpointValue): boolean {
    if (value.shards.size !== this.durable.size) return true;
    for (const [key, checkpoint] of value.shards) {
      const stored = this.durable.get(key);
      if (!stored || !sameCheckpoint(stored, checkpoint)) return true;
    }
    return false;
  }

  /** Records a successful write: it is what our value now holds, and carried entries not in it are gone. */
  markDurable(value: CheckpointValue): void {
    this.durable = new Map(value.shards);
    for (const key of [...this.carried.keys()]) if (!value.shards.has(key)) this.carried.delete(key);
  }
}

function sameCheckpoint(a: ShardCheckpoint, b: ShardCheckpoint): boolean {
  if (a.kind !== b.kind) return false;
  if (a.kind === 'pinned' && b.kind === 'pinned') return a.timestampMillis === b.timestampMillis;
  if (a.kind === 'sequence' && b.kind === 'sequence') {
    return a.sequenceNumber === b.sequenceNumber && a.subSequenceNumber === b.subSequenceNumber;
  }
  return true;
}
