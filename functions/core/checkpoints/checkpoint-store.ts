import { checkpointStreamKey } from '../aws/stream-ref';
import type { TransactWriteItem } from '@aws-sdk/client-dynamodb';

/**
 * How far one shard has been consumed.
 * - `sequence` without `subSequenceNumber`: the record with that sequence number, all of it, is delivered
 *   (or skipped by the deserializer); resume AFTER_SEQUENCE_NUMBER.
 * - `sequence` with `subSequenceNumber`: an aggregated record is delivered up to and including that
 *   sub-record; resume AT_SEQUENCE_NUMBER and skip the sub-records already delivered.
 * - `shard-end`: the shard is closed and read to its end; its children may start.
 * - `pinned`: nothing delivered yet; start AT_TIMESTAMP(timestampMillis). This is how LATEST and
 *   AT_TIMESTAMP survive a first invocation that crashes before its first delivery.
 */
export type ShardCheckpoint =
  | { readonly kind: 'sequence'; readonly sequenceNumber: string; readonly subSequenceNumber?: number }
  | { readonly kind: 'shard-end' }
  | { readonly kind: 'pinned'; readonly timestampMillis: number };

/** `stream/shardId`; stream names and shard ids never contain `/`. */
export type ShardKey = string;

/**
 * The checkpoint key of a shard of `stream` (a name or an ARN): a stream given by ARN is keyed by its name
 * and account (see `checkpointStreamKey`), so the key never holds the ARN's `:` and `/`.
 */
export function shardKey(stream: string, shardId: string): ShardKey {
  return `${checkpointStreamKey(stream)}/${shardId}`;
}

/** A key's checkpoint stream key (`streamName`: a name, or `<name>@<account>`) and shard id. */
export function parseShardKey(key: ShardKey): { streamName: string; shardId: string } {
  const slash = key.lastIndexOf('/');
  return { streamName: key.slice(0, slash), shardId: key.slice(slash + 1) };
}

/** What one subtask stores: the positions of the shards it owns (and of shards it handed over). */
export interface CheckpointValue {
  /** Bumped by an operator's reset; a higher generation beats any position of a lower one. */
  readonly generation: number;
  /** Milliseconds since the epoch, for operators. */
  readonly writtenAt: number;
  readonly shards: ReadonlyMap<ShardKey, ShardCheckpoint>;
}

export interface StoredCheckpoint extends CheckpointValue {
  readonly subtaskIndex: number;
}

/**
 * Where a consumer keeps its checkpoints. Every subtask reads every subtask's value (so a shard's progress
 * is found whichever subtask wrote it, across changes of parallelism) and writes only its own.
 * A store gives no compare-and-set: one writer per subtask value comes from the lease.
 */
export interface CheckpointStore {
  /** Every stored subtask value of this consumer, whatever the current parallelism. */
  loadAll(): Promise<StoredCheckpoint[]>;
  /**
   * Replaces the subtask's stored value, writing only the parts whose content changed since the last
   * load or save. Resolves with the number of write calls made. A store that can fence (DynamoDB) writes
   * only while `lease` is the newest holder and throws LeaseLostError otherwise.
   */
  save(subtaskIndex: number, value: CheckpointValue, lease?: SubtaskLease): Promise<{ writes: number }>;
}

/** The lease that keeps two invocations of one subtask from reading at once. */
export interface SubtaskLease {
  /** Takes the lease until `expiresAt`; throws LeaseHeldError when another live owner holds it. */
  acquire(expiresAt: number): Promise<void>;
  /** Whether this owner still holds the lease (checked before every checkpoint write). */
  isHeld(): Promise<boolean>;
  /** Gives the lease up early so the next invocation need not wait for the expiry. */
  release(): Promise<void>;
  /** A number that grows with every taking of the lease, for stores that fence writes with it. */
  readonly fencingToken?: number;
  /**
   * Heartbeat: moves the expiry of a lease this owner holds to `expiresAt`. Resolves false, writing
   * nothing, when the lease is no longer ours (or, in a store without compare-and-set, when the write
   * took too long to be sure it landed before the old expiry): the holder must stop reading at once.
   */
  renew?(expiresAt: number): Promise<boolean>;
  /**
   * Gives the lease to the successor that knows `handoffToken`: the stored holder becomes
   * `handoff:<token>` until `expiresAt`, which only that successor may claim (see `acceptHandover`).
   * Throws LeaseLostError when the lease is no longer ours. Called after the final checkpoint.
   */
  handOver?(handoffToken: string, expiresAt: number): Promise<void>;
  /**
   * Claims a lease handed over with `handoffToken`, at once (no settle delay: only the one successor
   * that wins the store's create-once or compare-and-set step may claim it). `offered` false means the
   * stored holder is not that handoff (yet): `holder` says who it is.
   */
  acceptHandover?(handoffToken: string, expiresAt: number): Promise<HandoverClaim>;
}

/** The outcome of `SubtaskLease.acceptHandover`. */
export type HandoverClaim =
  { readonly taken: true } | { readonly taken: false; readonly holder: LeaseHolder | undefined };

/** The stored owner of a lease handed over and not yet claimed. */
export function handoffOwner(handoffToken: string): string {
  return `${HANDOFF_OWNER_PREFIX}${handoffToken}`;
}

/** Owners beginning with this name a handoff, not an invocation. */
export const HANDOFF_OWNER_PREFIX = 'handoff:';

/** Who holds a subtask lease, as stored. */
export interface LeaseHolder {
  /** The invocation (Lambda request id) or operator tool that claimed it. */
  readonly owner: string;
  /** Epoch milliseconds; a lease past it is free. 0 after a release. */
  readonly expiresAt: number;
}

/**
 * A subtask lease as an operator tool uses it: it can see who holds the lease and take it from a live
 * holder, which then stops at its next checkpoint write without writing (the consumer checks the lease
 * before every write). `reset` holds every subtask's lease while it rewrites the checkpoints.
 */
export interface OperatorLease extends SubtaskLease {
  /** The stored holder, expired or not; undefined when the lease was never taken or is unreadable. */
  holder(): Promise<LeaseHolder | undefined>;
  /** Like `acquire`, but a live holder does not stop it. */
  takeOver(expiresAt: number): Promise<void>;
}

/**
 * A store that commits a subtask's checkpoint together with other DynamoDB writes in one transaction,
 * conditional on the lease's fencing token (exactly-once mode). Throws LeaseLostError when a newer
 * invocation holds the lease, and EffectsCancelledError when another action's condition failed.
 */
export interface TransactionalCheckpoints {
  saveWith(
    subtaskIndex: number,
    value: CheckpointValue,
    lease: SubtaskLease,
    actions: readonly TransactWriteItem[],
    shard?: ShardMove,
  ): Promise<{ writes: number }>;
}

/**
 * The shard a transactional commit moves, from where this invocation last had it to the batch's end: the
 * commit also holds the shard's own position, on condition that no other invocation (of any subtask) has
 * moved it past `from`, so two owners of one shard (old and new parallelism overlapping) never both commit.
 */
export interface ShardMove {
  readonly key: ShardKey;
  readonly from: ShardCheckpoint | undefined;
  readonly to: ShardCheckpoint;
}
