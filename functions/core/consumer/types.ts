/** One shard as discovery found it. */
export interface ShardDescription {
  readonly streamName: string;
  readonly shardId: string;
  readonly parentShardId?: string;
  readonly adjacentParentShardId?: string;
  /** Decimal strings, inclusive. */
  readonly startingHashKey: string;
  readonly endingHashKey: string;
  readonly startingSequenceNumber: string;
  /** Set once the shard is closed by a split or merge. */
  readonly endingSequenceNumber?: string;
}

/** Where a shard reader asks Kinesis to start. */
export type StartingPosition =
  | { readonly type: 'TRIM_HORIZON' }
  | { readonly type: 'LATEST' }
  | { readonly type: 'AT_TIMESTAMP'; readonly timestampMillis: number }
  | { readonly type: 'AT_SEQUENCE_NUMBER'; readonly sequenceNumber: string }
  | { readonly type: 'AFTER_SEQUENCE_NUMBER'; readonly sequenceNumber: string };

/**
 * A user record as the handler receives it. `(stream, shardId, sequenceNumber, subSequenceNumber)` is
 * unique and stable across redeliveries: use it as the idempotency key.
 */
export interface ConsumerRecord<T> {
  readonly stream: string;
  readonly shardId: string;
  readonly sequenceNumber: string;
  /** The position inside a KPL aggregated record; absent for a plain record. */
  readonly subSequenceNumber?: number;
  readonly partitionKey: string;
  readonly explicitHashKey?: string;
  readonly approximateArrivalTimestamp: Date;
  /** The record's data as the deserializer returned it. */
  readonly data: T;
}

/** What a batch handler learns besides the records: all records of one batch come from one shard. */
export interface BatchContext {
  readonly stream: string;
  readonly shardId: string;
  readonly subtaskIndex: number;
  /** Delivery attempt of this batch, from 0. */
  readonly attempt: number;
  /** Aborted when the invocation is stopping; long-running handlers may watch it. */
  readonly signal: AbortSignal;
}

/** User code: process one batch of one shard's records, in order. Throwing fails the batch. */
export type BatchHandler<T> = (records: ConsumerRecord<T>[], context: BatchContext) => Promise<void> | void;
