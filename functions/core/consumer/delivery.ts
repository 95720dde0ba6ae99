import type { Logger } from '@aws-lambda-powertools/logger';
import { fullJitterDelay, type BackoffSettings } from '../aws/retry';
import type { ShardCheckpoint } from '../checkpoints/checkpoint-store';
import { DeliveryFailedError, describeError } from '../errors';
import type { Clock, Random } from '../time/clock';
import type { BatchHandler, ConsumerRecord } from './types';

export interface DeliverySettings {
  /** Most records in one batch. */
  readonly batchSize: number;
  /** How long a record may wait for its batch to fill; 0 delivers what each read returned. */
  readonly maxBatchingMillis: number;
  /** Retries of a failing batch, with full-jitter backoff. */
  readonly backoff: BackoffSettings;
}

export interface ShardDeliveryOptions<T> {
  readonly stream: string;
  readonly shardId: string;
  readonly subtaskIndex: number;
  readonly handler: BatchHandler<T>;
  readonly settings: DeliverySettings;
  readonly clock: Clock;
  readonly random: Random;
  readonly logger: Logger;
  /** Passed to the handler; aborted when the invocation is stopping. */
  readonly signal: AbortSignal;
}

/**
 * Batches one shard's records for the handler, one batch in flight, in order, and tracks the shard's
 * delivered position: the last record that is delivered or skipped with nothing undelivered before it.
 */
export class ShardDelivery<T> {
  private pending: ConsumerRecord<T>[] = [];
  private pendingSince = 0;
  private pendingPosition: ShardCheckpoint | undefined;
  private committedPosition: ShardCheckpoint | undefined;
  recordsDelivered = 0;
  batchesDelivered = 0;

  constructor(
    private readonly options: ShardDeliveryOptions<T>,
    /** The position the shard starts from, if any. */
    initial?: ShardCheckpoint,
  ) {
    this.committedPosition = initial;
  }

  /** The furthest position that is safe to checkpoint. */
  get committed(): ShardCheckpoint | undefined {
    return this.committedPosition;
  }

  get pendingCount(): number {
    return this.pending.length;
  }

  /** When the pending batch has waited long enough and must be delivered; undefined when none is pending. */
  get dueAt(): number | undefined {
    return this.pending.length ? this.pendingSince + this.options.settings.maxBatchingMillis : undefined;
  }

  /**
   * Takes the next processed record in shard order: `record` undefined means the deserializer skipped it.
   * Delivers the batch when it is full, returning the delivery to await.
   */
  add(record: ConsumerRecord<T> | undefined, position: ShardCheckpoint): Promise<void> | undefined {
    // Synchronous unless the batch fills: this runs once per record on the hot path.
    if (!record) {
      if (this.pending.length) this.pendingPosition = position;
      else this.committedPosition = position;
      return undefined;
    }
    if (!this.pending.length) this.pendingSince = this.options.clock.now();
    this.pending.push(record);
    this.pendingPosition = position;
    return this.pending.length >= this.options.settings.batchSize ? this.flush() : undefined;
  }

  /** Marks the shard as read to its end; call only once every record is delivered. */
  markShardEnd(): void {
    if (this.pending.length) throw new Error('markShardEnd called with records still pending');
    this.committedPosition = { kind: 'shard-end' };
  }

  /** Delivers the pending batch now, retrying with backoff; throws DeliveryFailedError when it keeps failing. */
  async flush(): Promise<void> {
    if (!this.pending.length) return;
    const batch = this.pending;
    const { handler, settings, clock, random, logger, stream, shardId, subtaskIndex, signal } = this.options;
    for (let attempt = 0; ; attempt++) {
      try {
        // A copy per attempt: a handler that mutates its array must not change what a retry delivers.
        await handler(batch.slice(), { stream, shardId, subtaskIndex, attempt, signal });
        break;
      } catch (error) {
        const first = (batch[0] as ConsumerRecord<T>).sequenceNumber;
        if (attempt >= settings.backoff.maxRetries) {
          throw new DeliveryFailedError(stream, shardId, first, attempt + 1, error);
        }
        const delayMillis = fullJitterDelay(attempt, settings.backoff, random);
        logger.warn('The handler failed a batch; retrying', {
          stream,
          shardId,
          firstSequenceNumber: first,
          records: batch.length,
          attempt,
          delayMillis: Math.round(delayMillis),
          error: describeError(error),
        });
        await clock.sleep(delayMillis);
      }
    }
    this.pending = [];
    this.committedPosition = this.pendingPosition;
    this.pendingPosition = undefined;
    this.recordsDelivered += batch.length;
    this.batchesDelivered++;
  }
}
