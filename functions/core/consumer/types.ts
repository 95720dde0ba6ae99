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
  /** The record's event time: the arrival time unless a timestamp assigner says otherwise. */
  readonly eventTime: Date;
  /** The record's data as the deserializer returned it. */
  readonly data: T;
}

/** What a batch handler learns besides the records: all records of one batch come from one shard. */
export interface BatchContext {
  readonly stream: string;
  readonly shardId: string;
  readonly subtaskIndex: number;
  /** Delivery attempt of these records, from 0 (a bisected half starts again at 0). */
  readonly attempt: number;
  /** Aborted when the invocation is stopping; long-running handlers may watch it. */
  readonly signal: AbortSignal;
  /**
   * The subtask's watermark in epoch milliseconds: no record of any active shard of this subtask still
   * to come has an earlier event time than this, as far as each shard's order goes. Undefined until
   * every active shard has delivered a record (an idle shard stops counting after
   * `flink.shard.idle.interval`).
   */
  readonly watermark?: number;
}

/**
 * What a handler may return to report a partial failure, as Lambda's own Kinesis integration does:
 * the records before the first identifier listed count as delivered, and delivery resumes at it.
 * An identifier is a record's `sequenceNumber`; one that is not in the batch fails the whole batch.
 */
export interface BatchResult {
  readonly batchItemFailures?: readonly { readonly itemIdentifier: string }[];
}

/** User code: process one batch of one shard's records, in order. Throwing fails the batch. */
export type BatchHandler<T> = (
  records: ConsumerRecord<T>[],
  context: BatchContext,
) => Promise<void | BatchResult> | void | BatchResult;

/** Gives a record its event time (epoch milliseconds or a Date), e.g. a timestamp inside its data. */
export type TimestampAssigner<T> = (record: ConsumerRecord<T>) => Date | number;
