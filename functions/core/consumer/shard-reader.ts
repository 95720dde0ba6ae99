import { streamArnField, streamTarget } from '../aws/stream-ref';
import type { Logger } from '@aws-lambda-powertools/logger';
import type { GetRecordsOutput, GetShardIteratorInput, _Record } from '@aws-sdk/client-kinesis';
import { classifyError, fullJitterDelay, type BackoffSettings } from '../aws/retry';
import type { ShardCheckpoint } from '../checkpoints/checkpoint-store';
import {
  DeliveryFailedError,
  describeError,
  LeaseLostError,
  OnFailureSendError,
  RetriesExhaustedError,
  ValidationError,
} from '../errors';
import { hasKplMagic as kplMagic, type KinesisRecord } from '../record-format/aggregated-record';
import { deaggregate, type DeaggregateOptions } from '../record-format/deaggregate';
import type { Clock, Random } from '../time/clock';
import type { ShardDelivery } from './delivery';
import type { DeserializerInput, RecordDeserializer } from './deserializers';
import type { KinesisReadApi } from './kinesis-api';
import { adaptiveRecordLimit, ShardReadLimiter, type ShardReadLimits } from './rate-limit';
import type { ConsumerRecord, ShardDescription, StartingPosition, TimestampAssigner } from './types';
import type { ShardWatermark } from './watermarks';

export interface ShardReaderSettings {
  /** GetRecords Limit. @default 10000 */
  readonly maxRecordsPerCall: number;
  /** Least time between the starts of two GetRecords calls. @default 200 */
  readonly intervalMillis: number;
  readonly getRecordsBackoff: BackoffSettings;
  readonly getShardIteratorBackoff: BackoffSettings;
  readonly limits: ShardReadLimits;
  /** Size each call's Limit to the shard's byte rate at the measured loop rate. @default false */
  readonly adaptiveReads?: boolean;
}

export interface ShardReaderOptions<T> {
  readonly api: KinesisReadApi;
  readonly shard: ShardDescription;
  readonly start: StartingPosition;
  /** After an AT_SEQUENCE_NUMBER restart, the sub-records of this aggregated record already delivered. */
  readonly skipThrough?: { readonly sequenceNumber: string; readonly subSequenceNumber: number };
  readonly delivery: ShardDelivery<T>;
  readonly deserializer: RecordDeserializer<T>;
  /** Gives each record its event time; the arrival time when absent. */
  readonly timestampAssigner?: TimestampAssigner<T>;
  /** Where the shard's activity goes (its event times are counted by delivery, once delivered). */
  readonly watermark?: ShardWatermark;
  readonly settings: ShardReaderSettings;
  readonly clock: Clock;
  readonly random: Random;
  readonly logger: Logger;
  /** Aborting stops reading; what was read is still delivered before `run` resolves. */
  readonly stop: AbortSignal;
}

export interface ShardReaderStats {
  getRecordsCalls: number;
  kinesisRecords: number;
  /** User records after KPL deaggregation. */
  userRecords: number;
  bytesRead: number;
  throttledCalls: number;
  expiredIterators: number;
  millisBehindLatest?: number;
  /** The Limit of the last GetRecords call (adaptive reads change it). */
  recordsPerCall: number;
  /** Since when every response came back empty at the tip (MillisBehindLatest 0); unset otherwise. */
  caughtUpSince?: number;
  /** When the first GetRecords call was sent and the last answered, epoch ms (when the shard had a reader). */
  firstReadAt?: number;
  lastReadAt?: number;
}

/** How often in a row an iterator may expire before the reader gives up (a clock or network fault). */
const MAX_CONSECUTIVE_EXPIRIES = 3;

class Stopped extends Error {}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

// A module-local copy: loaders that compile imports to getter calls (tsx, swc under Jest) would
// otherwise add a call per record.
const hasKplMagic = kplMagic;

/**
 * Reads one shard in a loop, as the reference connector's thread per shard does: GetRecords at most
 * every `intervalMillis` and within the shard's read limits, KPL records deaggregated, records handed
 * to delivery in order. Resolves `shard-end` when the shard is closed and fully delivered, or `stopped`
 * when `stop` aborts; rejects when retries run out or the handler keeps failing.
 */
export class ShardReader<T> {
  readonly stats: ShardReaderStats = {
    getRecordsCalls: 0,
    kinesisRecords: 0,
    userRecords: 0,
    bytesRead: 0,
    throttledCalls: 0,
    expiredIterators: 0,
    recordsPerCall: 0,
  };
  private readonly limiter: ShardReadLimiter;
  private readonly keys: { stream: string; shardId: string };
  private iterator: string | undefined;
  private lastFetchedSequence: string | undefined;
  private skipThrough: ShardReaderOptions<T>['skipThrough'];

  private readonly deaggregation: DeaggregateOptions;

  constructor(private readonly options: ShardReaderOptions<T>) {
    this.limiter = new ShardReadLimiter(options.clock, options.settings.limits);
    this.keys = { stream: options.shard.streamName, shardId: options.shard.shardId };
    // KCL's rule: a record with the KPL magic that fails its checksum or parse is delivered whole.
    this.deaggregation = {
      onWarning: (warning) =>
        options.logger.warn('Record looks KPL-aggregated but is not; delivering it whole', {
          ...this.keys,
          sequenceNumber: warning.sequenceNumber,
          reason: warning.reason,
        }),
    };
    this.skipThrough = options.skipThrough;
    this.stats.recordsPerCall = options.settings.maxRecordsPerCall;
  }

  async run(): Promise<'shard-end' | 'stopped'> {
    const { delivery, stop, clock, settings } = this.options;
    try {
      this.iterator = await this.acquireIterator(this.options.start);
      let nextCallAt = 0;
      let lastCallAt: number | undefined;
      for (;;) {
        // Wait for the next call, delivering a batch whose batching time runs out meanwhile.
        for (;;) {
          if (stop.aborted) throw new Stopped();
          const callAt = Math.max(nextCallAt, this.limiter.nextCallAt());
          const due = delivery.dueAt;
          if (due !== undefined && due <= callAt) {
            await this.sleepUntil(due);
            await delivery.flush();
            continue;
          }
          await this.sleepUntil(callAt);
          break;
        }
        const callAt = clock.now();
        nextCallAt = callAt + settings.intervalMillis;
        const response = await this.getRecords();
        const read = await this.process(response);
        if (settings.adaptiveReads && lastCallAt !== undefined) {
          const limit = adaptiveRecordLimit(
            callAt - lastCallAt,
            read.records,
            read.bytes,
            settings.limits.bytesPerSecond,
          );
          if (limit !== undefined) this.stats.recordsPerCall = limit;
        }
        lastCallAt = callAt;
        if (!response.NextShardIterator) {
          await delivery.flush();
          delivery.markShardEnd();
          this.options.logger.info('Shard read to its end', this.keys);
          return 'shard-end';
        }
        this.iterator = response.NextShardIterator;
      }
    } catch (error) {
      if (error instanceof Stopped) {
        await delivery.flush();
        return 'stopped';
      }
      // Deliver what was read before a read or deserializer failure, so the checkpoint keeps it; a
      // failed delivery is not tried again here.
      if (!(
        error instanceof DeliveryFailedError ||
        error instanceof OnFailureSendError ||
        error instanceof LeaseLostError
      ))
        await delivery.flush();
      throw error;
    }
  }

  private async process(response: GetRecordsOutput): Promise<{ records: number; bytes: number }> {
    const { delivery, deserializer, shard, timestampAssigner, watermark, clock } = this.options;
    const records = response.Records ?? [];
    let bytes = 0;
    for (const record of records) bytes += (record.Data?.length ?? 0) + (record.PartitionKey?.length ?? 0);
    this.limiter.bytesRead(bytes);
    this.stats.bytesRead += bytes;
    this.stats.kinesisRecords += records.length;
    const now = clock.now();
    if (response.MillisBehindLatest !== undefined) {
      this.stats.millisBehindLatest = response.MillisBehindLatest;
      // Caught up: at the tip with nothing new. A busy shard read at its tip is not caught up, so cost
      // mode returns only once traffic pauses.
      if (response.MillisBehindLatest > 0 || records.length > 0) this.stats.caughtUpSince = undefined;
      else this.stats.caughtUpSince ??= now;
    }
    if (watermark && records.length) watermark.lastActiveAt = now;
    const stream = shard.streamName;
    const shardId = shard.shardId;
    for (const record of records) {
      const sequenceNumber = record.SequenceNumber as string;
      const arrival = record.ApproximateArrivalTimestamp ?? new Date(0);
      const recordData = record.Data ?? new Uint8Array(0);
      // A plain record is its own single user record: deaggregate would only wrap it in an array.
      const users = hasKplMagic(recordData)
        ? deaggregate(toInput(record, recordData), this.deaggregation)
        : undefined;
      const count = users ? users.length : 1;
      this.stats.userRecords += count;
      for (let i = 0; i < count; i++) {
        let partitionKey: string;
        let data: Uint8Array;
        let sub: number | undefined;
        let explicitHashKey: string | undefined;
        if (users) {
          const user = users[i] as (typeof users)[number];
          partitionKey = user.partitionKey;
          data = user.data;
          sub = user.subSequenceNumber;
          explicitHashKey = user.explicitHashKey;
        } else {
          partitionKey = record.PartitionKey as string;
          data = recordData;
        }
        if (this.skipThrough && this.skip(sequenceNumber, sub)) continue;
        const position: ShardCheckpoint =
          sub === undefined || i === count - 1
            ? { kind: 'sequence', sequenceNumber }
            : { kind: 'sequence', sequenceNumber, subSequenceNumber: sub };
        const input: Mutable<DeserializerInput> = {
          data,
          partitionKey,
          sequenceNumber,
          approximateArrivalTimestamp: arrival,
          stream,
          shardId,
        };
        if (sub !== undefined) input.subSequenceNumber = sub;
        let delivered: Mutable<ConsumerRecord<T>> | undefined;
        try {
          const value = deserializer(input);
          if (value !== undefined && value !== null) {
            delivered = {
              stream,
              shardId,
              sequenceNumber,
              partitionKey,
              approximateArrivalTimestamp: arrival,
              eventTime: arrival,
              data: value,
            };
            if (sub !== undefined) delivered.subSequenceNumber = sub;
            if (explicitHashKey) delivered.explicitHashKey = explicitHashKey;
            if (timestampAssigner) delivered.eventTime = eventTimeOf(timestampAssigner(delivered));
          }
        } catch (error) {
          await delivery.reject(
            {
              stream,
              shardId,
              sequenceNumber,
              ...(sub !== undefined ? { subSequenceNumber: sub } : {}),
              partitionKey,
              ...(explicitHashKey ? { explicitHashKey } : {}),
              approximateArrivalTimestamp: arrival,
              data,
            },
            position,
            error,
          );
          continue;
        }
        const flushing = delivery.add(delivered, position, data);
        if (flushing) await flushing;
      }
      this.lastFetchedSequence = sequenceNumber;
    }
    return { records: records.length, bytes };
  }

  /** Whether a sub-record was delivered before the restart that brought us back AT its sequence number. */
  private skip(sequenceNumber: string, sub: number | undefined): boolean {
    const skip = this.skipThrough;
    if (!skip) return false;
    if (sequenceNumber !== skip.sequenceNumber) {
      this.skipThrough = undefined;
      return false;
    }
    return sub !== undefined && sub <= skip.subSequenceNumber;
  }

  private async getRecords(): Promise<GetRecordsOutput> {
    const { api, settings, stop, logger } = this.options;
    let retries = 0;
    let expiries = 0;
    for (;;) {
      this.limiter.callStarted();
      this.stats.getRecordsCalls++;
      this.stats.firstReadAt ??= this.options.clock.now();
      try {
        const output = await api.getRecords(
          {
            ...streamArnField(this.keys.stream),
            ShardIterator: this.iterator,
            Limit: this.stats.recordsPerCall,
          },
          stop,
        );
        this.stats.lastReadAt = this.options.clock.now();
        return output;
      } catch (error) {
        if (stop.aborted) throw new Stopped();
        if ((error as Error).name === 'ExpiredIteratorException' && expiries < MAX_CONSECUTIVE_EXPIRIES) {
          // Not a retry: the position is known, only the iterator went stale.
          expiries++;
          this.stats.expiredIterators++;
          logger.info('Shard iterator expired; acquiring a new one from the last position', this.keys);
          this.iterator = await this.acquireIterator(this.resumePosition());
          continue;
        }
        const kind = classifyError(error);
        if (kind === 'fatal') throw error;
        if (kind === 'throttled') this.stats.throttledCalls++;
        if (retries >= settings.getRecordsBackoff.maxRetries) {
          throw new RetriesExhaustedError(
            `GetRecords on ${this.keys.stream}/${this.keys.shardId}`,
            retries + 1,
            error,
          );
        }
        const delayMillis = fullJitterDelay(retries++, settings.getRecordsBackoff, this.options.random);
        logger.warn('GetRecords failed; backing off', {
          ...this.keys,
          attempt: retries,
          delayMillis: Math.round(delayMillis),
          error: describeError(error),
        });
        await this.sleepUntil(Math.max(this.options.clock.now() + delayMillis, this.limiter.nextCallAt()));
      }
    }
  }

  /** Where to start again after the iterator expired: just after the last record read, or the original start. */
  private resumePosition(): StartingPosition {
    return this.lastFetchedSequence
      ? { type: 'AFTER_SEQUENCE_NUMBER', sequenceNumber: this.lastFetchedSequence }
      : this.options.start;
  }

  private async acquireIterator(position: StartingPosition): Promise<string> {
    const { api, settings, stop, logger, clock, shard } = this.options;
    let request = iteratorRequest(shard, position);
    for (let retries = 0; ;) {
      try {
        const { ShardIterator } = await api.getShardIterator(request, stop);
        if (!ShardIterator) throw new Error(`GetShardIterator returned no iterator for ${shard.shardId}`);
        return ShardIterator;
      } catch (error) {
        if (stop.aborted) throw new Stopped();
        if (position.type === 'AT_TIMESTAMP' && isFutureTimestampError(error)) {
          // Our clock is ahead of Kinesis's: nothing can have arrived after the timestamp yet, so LATEST
          // starts no later than the timestamp asked for.
          logger.info('AT_TIMESTAMP is ahead of the Kinesis clock; starting at LATEST', this.keys);
          request = iteratorRequest(shard, { type: 'LATEST' });
          continue;
        }
        const kind = classifyError(error);
        if (kind === 'fatal') throw error;
        if (retries >= settings.getShardIteratorBackoff.maxRetries) {
          throw new RetriesExhaustedError(
            `GetShardIterator on ${shard.streamName}/${shard.shardId}`,
            retries + 1,
            error,
          );
        }
        const delayMillis = fullJitterDelay(retries++, settings.getShardIteratorBackoff, this.options.random);
        logger.warn('GetShardIterator failed; backing off', {
          ...this.keys,
          attempt: retries,
          delayMillis: Math.round(delayMillis),
          error: describeError(error),
        });
        await this.sleepUntil(clock.now() + delayMillis);
      }
    }
  }

  private async sleepUntil(at: number): Promise<void> {
    const ms = at - this.options.clock.now();
    if (ms <= 0) return;
    try {
      await this.options.clock.sleep(ms, this.options.stop);
    } catch {
      throw new Stopped();
    }
  }
}

function iteratorRequest(shard: ShardDescription, position: StartingPosition): GetShardIteratorInput {
  const base = {
    ...streamTarget(shard.streamName),
    ShardId: shard.shardId,
    ShardIteratorType: position.type,
  };
  switch (position.type) {
    case 'AT_TIMESTAMP':
      return { ...base, Timestamp: new Date(position.timestampMillis) };
    case 'AT_SEQUENCE_NUMBER':
    case 'AFTER_SEQUENCE_NUMBER':
      return { ...base, StartingSequenceNumber: position.sequenceNumber };
    default:
      return base;
  }
}

function isFutureTimestampError(error: unknown): boolean {
  const e = error as { name?: string; message?: string };
  return (
    e.name === 'InvalidArgumentException' &&
    /timestamp/i.test(e.message ?? '') &&
    /greater|future/i.test(e.message ?? '')
  );
}

function eventTimeOf(value: Date | number): Date {
  const date = typeof value === 'number' ? new Date(value) : value;
  if (!(date instanceof Date) || Number.isNaN(date.getTime())) {
    throw new ValidationError(
      `The timestamp assigner returned ${String(value)}; it must return a valid Date or epoch milliseconds.`,
      'timestampAssigner',
    );
  }
  return date;
}

function toInput(record: _Record, data: Uint8Array): KinesisRecord {
  return {
    partitionKey: record.PartitionKey as string,
    data,
    sequenceNumber: record.SequenceNumber as string,
    ...(record.ApproximateArrivalTimestamp
      ? { approximateArrivalTimestamp: record.ApproximateArrivalTimestamp }
      : {}),
  };
}
