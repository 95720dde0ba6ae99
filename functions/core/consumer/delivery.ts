import type { Logger } from '@aws-lambda-powertools/logger';
import { fullJitterDelay, type BackoffSettings } from '../aws/retry';
import type { TransactWriteItem } from '@aws-sdk/client-dynamodb';
import type { ShardCheckpoint } from '../checkpoints/checkpoint-store';
import { CONSUMER_SETTINGS } from '../config/consumer-settings';
import { DeliveryFailedError, describeError, LeaseLostError, OnFailureSendError } from '../errors';
import type { Clock, Random } from '../time/clock';
import type { FailedRecord, OnFailureDestination } from './on-failure';
import type { BatchContext, BatchHandler, BatchResult, ConsumerRecord } from './types';

export interface DeliverySettings {
  /** Most records in one batch. */
  readonly batchSize: number;
  /** How long a record may wait for its batch to fill; 0 delivers what each read returned. */
  readonly maxBatchingMillis: number;
  /** Retries of a failing batch, with full-jitter backoff. */
  readonly backoff: BackoffSettings;
  /** After the retries, split a failing batch in halves to isolate the records that fail. @default true */
  readonly bisect?: boolean;
  /** Stop the shard at a failing batch instead of isolating and reporting its records. @default false */
  readonly failOnError?: boolean;
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
  /** Where records that keep failing go; without it such a record stops the shard. */
  readonly onFailure?: OnFailureDestination;
  /** The subtask's watermark now, for the batch context. */
  readonly watermark?: () => number | undefined;
  /**
   * Counts a record's event time once it is delivered (or reported), never when it is only read: a
   * record still waiting in a batch or a retry must hold the watermark back.
   */
  readonly observe?: (eventTimeMillis: number) => void;
  /**
   * Exactly-once mode: commits `actions` together with the shard's checkpoint at `position`, atomically,
   * and calls `mark` once committed (under the same lock as every checkpoint write). The handler commits
   * through `TransactionalBatchContext.commit`; records count as delivered only once committed.
   */
  readonly commit?: (
    position: ShardCheckpoint,
    actions: readonly TransactWriteItem[],
    mark: () => void,
  ) => Promise<void>;
  /** The shard's hash range (decimal strings, inclusive), for handlers that need to know which keys it holds. */
  readonly hashRange?: { readonly start: string; readonly end: string };
}

/** The batch context in exactly-once mode: what a transactional handler adds to BatchContext. */
export interface TransactionalBatchContext extends BatchContext {
  /**
   * Commits `actions` with the shard's checkpoint just after `records[count - 1]` of this call, in one
   * transaction; those records then count as delivered. A later failure of the call retries from there.
   */
  readonly commit: (count: number, actions: readonly TransactWriteItem[]) => Promise<void>;
  readonly hashRange?: { readonly start: string; readonly end: string };
}

/** A record's identity and bytes, for the on-failure message of a record that failed to deserialize. */
export type UndeliverableRecord = Omit<FailedRecord, 'error' | 'stage' | 'attempts' | 'subtaskIndex'>;

/** The records of one batch taken out of the pending buffer, with each record's position and bytes. */
interface Batch<T> {
  readonly records: ConsumerRecord<T>[];
  readonly raws: Uint8Array[];
  /** positions[i]: where the shard stands once records 0..i are done (skipped records after i included). */
  readonly positions: ShardCheckpoint[];
  /** Records before this index are delivered or reported. */
  done: number;
}

type Outcome =
  | { readonly ok: true }
  | {
      readonly ok: false;
      readonly error: unknown;
      readonly attempts: number;
      readonly from: number;
      /** The handler named `from` as the record that failed (a partial-failure answer). */
      readonly named: boolean;
    };

/**
 * Batches one shard's records for the handler, one batch in flight, in order, and tracks the shard's
 * committed position: the last record delivered, reported to the on-failure destination or skipped,
 * with nothing undelivered before it.
 *
 * A batch that still fails after the retries is split in halves, each tried once, recursing into a half
 * that fails, until single records are left: a single record gets the full retry policy, and if it still
 * fails it goes to the on-failure destination and the shard moves on. One bad record among n thus
 * costs 2(retries + 1) + 2 log2(n) handler calls. `failOnError` stops the shard instead.
 */
export class ShardDelivery<T> {
  // The pending batch: the arrays' first `pending` slots. Each batch's arrays are made at its full size
  // (up to PRESIZED_SLOTS) at once: grown one push at a time, they were reallocated and copied several
  // times per batch, on the per-record path.
  private records: ConsumerRecord<T>[];
  private raws: Uint8Array[];
  private positions: ShardCheckpoint[];
  private pending = 0;
  private readonly batchSize: number;
  private readonly slots: number;
  private pendingSince = 0;
  private committedPosition: ShardCheckpoint | undefined;
  recordsDelivered = 0;
  batchesDelivered = 0;
  /** Every call of the handler, retries and bisection included. */
  handlerCalls = 0;
  /** Batches (or parts) that failed after their retries. */
  failedBatches = 0;
  /** Records given up on: sent to the on-failure destination, or stopped at. */
  recordsFailed = 0;
  recordsSentToOnFailure = 0;

  constructor(
    private readonly options: ShardDeliveryOptions<T>,
    /** The position the shard starts from, if any. */
    initial?: ShardCheckpoint,
  ) {
    this.committedPosition = initial;
    this.batchSize = options.settings.batchSize;
    this.slots = Math.min(this.batchSize, PRESIZED_SLOTS);
    this.records = new Array<ConsumerRecord<T>>(this.slots);
    this.raws = new Array<Uint8Array>(this.slots);
    this.positions = new Array<ShardCheckpoint>(this.slots);
  }

  /** The furthest position that is safe to checkpoint. */
  get committed(): ShardCheckpoint | undefined {
    return this.committedPosition;
  }

  get pendingCount(): number {
    return this.pending;
  }

  /** When the pending batch has waited long enough and must be delivered; undefined when none is pending. */
  get dueAt(): number | undefined {
    return this.pending ? this.pendingSince + this.options.settings.maxBatchingMillis : undefined;
  }

  /**
   * Takes the next processed record in shard order: `record` undefined means the deserializer skipped it.
   * `raw` is its bytes, for the on-failure message. Delivers the batch when it is full, returning the
   * delivery to await.
   */
  add(
    record: ConsumerRecord<T> | undefined,
    position: ShardCheckpoint,
    raw?: Uint8Array,
  ): Promise<void> | undefined {
    // Synchronous unless the batch fills: this runs once per record on the hot path.
    if (!record) {
      if (this.pending) this.positions[this.pending - 1] = position;
      else this.committedPosition = position;
      return undefined;
    }
    const index = this.pending++;
    if (index === 0) this.pendingSince = this.options.clock.now();
    this.records[index] = record;
    this.raws[index] = raw ?? EMPTY;
    this.positions[index] = position;
    return index + 1 >= this.batchSize ? this.flush() : undefined;
  }

  /**
   * Gives up on a record that cannot be delivered at all (its deserializer threw): what is pending is
   * delivered first, then the record goes to the on-failure destination and the position moves past it.
   * Rethrows `error` when there is no destination or `failOnError` is set.
   */
  async reject(record: UndeliverableRecord, position: ShardCheckpoint, error: unknown): Promise<void> {
    await this.flush();
    const { onFailure, settings, subtaskIndex } = this.options;
    this.recordsFailed++;
    if (settings.failOnError || !onFailure) throw error;
    await this.send([{ ...record, error, stage: 'deserialize', attempts: 0, subtaskIndex }]);
    this.committedPosition = position;
  }

  /** Marks the shard as read to its end; call only once every record is delivered. */
  markShardEnd(): void {
    if (this.pending) throw new Error('markShardEnd called with records still pending');
    this.committedPosition = { kind: 'shard-end' };
  }

  /**
   * Delivers the pending batch now, retrying with backoff, then isolating and reporting the records that
   * keep failing. Throws DeliveryFailedError when it must stop (failOnError, or nowhere to report), and
   * OnFailureSendError when reporting fails; the position then stays before the failing records.
   */
  async flush(): Promise<void> {
    const end = this.pending;
    if (!end) return;
    const batch: Batch<T> = { records: this.records, raws: this.raws, positions: this.positions, done: 0 };
    // A batch cut short by time or the shard's end: its arrays end at its last record.
    if (end < batch.records.length) batch.records.length = batch.raws.length = batch.positions.length = end;
    this.records = new Array<ConsumerRecord<T>>(this.slots);
    this.raws = new Array<Uint8Array>(this.slots);
    this.positions = new Array<ShardCheckpoint>(this.slots);
    this.pending = 0;
    const outcome = await this.attempt(batch, 0, end, this.options.settings.backoff.maxRetries);
    if (!outcome.ok) {
      this.failedBatches++;
      const { settings, stream, shardId } = this.options;
      if (settings.failOnError) {
        this.recordsFailed++;
        throw new DeliveryFailedError(
          stream,
          shardId,
          (batch.records[outcome.from] as ConsumerRecord<T>).sequenceNumber,
          outcome.attempts,
          outcome.error,
          `${CONSUMER_SETTINGS.failOnError.key} is set, so the shard stops here instead of reporting the record.`,
        );
      }
      if (settings.bisect === false) await this.giveUp(batch, outcome.from, end, outcome);
      else await this.isolate(batch, outcome.from, end, outcome.named);
    }
    this.batchesDelivered++;
  }

  /**
   * Delivers records [lo, hi), known to fail together, by halves; reports the single records that fail.
   * When the handler named record `lo` as the one that failed, it is tried alone first.
   */
  private async isolate(batch: Batch<T>, lo: number, hi: number, named: boolean): Promise<void> {
    if (hi - lo === 1) {
      const outcome = await this.attempt(batch, lo, hi, this.options.settings.backoff.maxRetries);
      if (!outcome.ok) await this.giveUp(batch, lo, hi, outcome);
      return;
    }
    if (named) {
      await this.isolate(batch, lo, lo + 1, false);
      await this.tryOnce(batch, lo + 1, hi);
      return;
    }
    const mid = lo + ((hi - lo) >>> 1);
    await this.tryOnce(batch, lo, mid);
    await this.tryOnce(batch, mid, hi);
  }

  /** One attempt at records [lo, hi), isolating within them if it fails. */
  private async tryOnce(batch: Batch<T>, lo: number, hi: number): Promise<void> {
    if (lo >= hi) return;
    const outcome = await this.attempt(batch, lo, hi, 0);
    if (!outcome.ok) await this.isolate(batch, outcome.from, hi, outcome.named);
  }

  /** Reports records [lo, hi) to the on-failure destination and moves past them, or stops. */
  private async giveUp(
    batch: Batch<T>,
    lo: number,
    hi: number,
    outcome: Extract<Outcome, { ok: false }>,
  ): Promise<void> {
    const { onFailure, stream, shardId, subtaskIndex, logger } = this.options;
    const first = batch.records[lo] as ConsumerRecord<T>;
    if (!onFailure) {
      this.recordsFailed++;
      throw new DeliveryFailedError(
        stream,
        shardId,
        first.sequenceNumber,
        outcome.attempts,
        outcome.error,
        `Set ${CONSUMER_SETTINGS.onFailureQueueUrl.key} to send such records to a queue and move on.`,
      );
    }
    const failed: FailedRecord[] = [];
    for (let i = lo; i < hi; i++) {
      const r = batch.records[i] as ConsumerRecord<T>;
      failed.push({
        stream: r.stream,
        shardId: r.shardId,
        sequenceNumber: r.sequenceNumber,
        ...(r.subSequenceNumber !== undefined ? { subSequenceNumber: r.subSequenceNumber } : {}),
        partitionKey: r.partitionKey,
        ...(r.explicitHashKey ? { explicitHashKey: r.explicitHashKey } : {}),
        approximateArrivalTimestamp: r.approximateArrivalTimestamp,
        data: batch.raws[i] as Uint8Array,
        error: outcome.error,
        stage: 'deliver',
        attempts: outcome.attempts,
        subtaskIndex,
      });
    }
    this.recordsFailed += failed.length;
    await this.send(failed);
    logger.error('Records kept failing; sent to the on-failure queue', {
      stream,
      shardId,
      firstSequenceNumber: first.sequenceNumber,
      records: failed.length,
      error: describeError(outcome.error),
    });
    this.recordsSentToOnFailure += failed.length;
    this.observeThrough(batch, hi);
    batch.done = hi;
    this.committedPosition = batch.positions[hi - 1];
  }

  private async send(records: FailedRecord[]): Promise<void> {
    try {
      await (this.options.onFailure as OnFailureDestination).send(records);
    } catch (error) {
      if (error instanceof OnFailureSendError) throw error;
      throw new OnFailureSendError(
        `Sending ${records.length} failed record(s) of ${this.options.stream}/${this.options.shardId} to the ` +
          `on-failure destination failed: ${describeError(error)}. The shard stops before them.`,
        { cause: error },
      );
    }
  }

  /**
   * Calls the handler with records [lo, hi) until it succeeds or `retries` retries are spent. A partial
   * failure commits the records before the first failed one and retries from there.
   */
  private async attempt(batch: Batch<T>, lo: number, hi: number, retries: number): Promise<Outcome> {
    const { handler, settings, clock, random, logger, stream, shardId, subtaskIndex, signal, watermark } =
      this.options;
    let from = lo;
    const transactional = this.options.commit;
    for (let attempt = 0; ; attempt++) {
      // A transactional handler may have committed part of the batch before it failed.
      from = Math.max(from, batch.done);
      if (from >= hi) return { ok: true };
      let error: unknown;
      let named = false;
      // A copy per attempt: a handler that mutates its array must not change what a retry delivers.
      const records = batch.records.slice(from, hi);
      this.handlerCalls++;
      try {
        const start = from;
        const context: BatchContext = {
          stream,
          shardId,
          subtaskIndex,
          attempt,
          signal,
          ...(watermark ? optionalWatermark(watermark()) : {}),
          ...(transactional
            ? {
                commit: (count: number, actions: readonly TransactWriteItem[]) =>
                  this.commitWith(batch, start + count, actions),
                ...(this.options.hashRange ? { hashRange: this.options.hashRange } : {}),
              }
            : {}),
        };
        const result = await handler(records, context);
        const failure = firstFailure(result, records);
        if (!failure) {
          if (transactional) await this.commitWith(batch, hi, []);
          else this.commit(batch, hi);
          return { ok: true };
        }
        // In exactly-once mode only what the handler committed counts: a partial answer fails the rest.
        if (failure.index > 0 && !transactional) {
          from += failure.index;
          this.commit(batch, from);
        }
        named = failure.named;
        error = new Error(
          `The handler reported record ${(batch.records[from] as ConsumerRecord<T>).sequenceNumber} as failed.`,
        );
      } catch (thrown) {
        // A fenced invocation stops here: its records are neither retried nor reported.
        if (thrown instanceof LeaseLostError) throw thrown;
        error = thrown;
      }
      from = Math.max(from, batch.done);
      if (from >= hi) return { ok: true };
      if (attempt >= retries) return { ok: false, error, attempts: attempt + 1, from, named };
      const delayMillis = fullJitterDelay(attempt, settings.backoff, random);
      logger.warn('The handler failed a batch; retrying', {
        stream,
        shardId,
        firstSequenceNumber: (batch.records[from] as ConsumerRecord<T>).sequenceNumber,
        records: hi - from,
        attempt,
        delayMillis: Math.round(delayMillis),
        error: describeError(error),
      });
      await clock.sleep(delayMillis);
    }
  }

  /** Exactly-once: commits `actions` with the position after record `end - 1`, then marks them delivered. */
  private async commitWith(
    batch: Batch<T>,
    end: number,
    actions: readonly TransactWriteItem[],
  ): Promise<void> {
    if (end <= batch.done && !actions.length) return;
    if (end <= batch.done || end > batch.records.length) {
      throw new Error(
        `commit(${end}) is outside the uncommitted records of the batch (${batch.done} committed).`,
      );
    }
    const commit = this.options.commit as NonNullable<ShardDeliveryOptions<T>['commit']>;
    await commit(batch.positions[end - 1] as ShardCheckpoint, actions, () => this.commit(batch, end));
  }

  private commit(batch: Batch<T>, end: number): void {
    if (end <= batch.done) return;
    this.recordsDelivered += end - batch.done;
    this.observeThrough(batch, end);
    batch.done = end;
    this.committedPosition = batch.positions[end - 1];
  }

  private observeThrough(batch: Batch<T>, end: number): void {
    const observe = this.options.observe;
    if (!observe) return;
    for (let i = batch.done; i < end; i++)
      observe((batch.records[i] as ConsumerRecord<T>).eventTime.getTime());
  }
}

const EMPTY = new Uint8Array(0);

/**
 * Most slots a pending batch's arrays are made with before its first record: a full default batch (100)
 * fits; a larger batch grows past it as arrays do, and a shard that sees a record now and then does not
 * hold three arrays of up to 10,000 slots (batchSize's limit) each.
 */
const PRESIZED_SLOTS = 1000;

function optionalWatermark(value: number | undefined): { watermark?: number } {
  return value === undefined ? {} : { watermark: value };
}

/**
 * The first record a handler's result reports as failed, if any. An identifier not in the batch fails
 * the whole batch (index 0, not named), as Lambda's own integration treats it.
 */
export function firstFailure<T>(
  result: void | BatchResult,
  records: readonly ConsumerRecord<T>[],
): { index: number; named: boolean } | undefined {
  const failures = result && typeof result === 'object' ? result.batchItemFailures : undefined;
  if (!failures || failures.length === 0) return undefined;
  let first = records.length;
  for (const failure of failures) {
    const id = (failure as { itemIdentifier?: unknown } | null)?.itemIdentifier;
    const index = typeof id === 'string' ? records.findIndex((r) => r.sequenceNumber === id) : -1;
    if (index < 0) return { index: 0, named: false };
    if (index < first) first = index;
  }
  return { index: first, named: true };
}
