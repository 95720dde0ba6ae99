import { SendMessageBatchCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { classifyError, fullJitterDelay, type BackoffSettings } from '../aws/retry';
import { CONSUMER_DEFAULTS, CONSUMER_SETTINGS } from '../config/consumer-settings';
import { describeError, OnFailureSendError } from '../errors';
import { systemClock, type Clock, type Random } from '../time/clock';

/** A record the consumer gives up on: it failed to deserialize, or to deliver after every retry. */
export interface FailedRecord {
  readonly stream: string;
  readonly shardId: string;
  readonly sequenceNumber: string;
  readonly subSequenceNumber?: number;
  readonly partitionKey: string;
  readonly explicitHashKey?: string;
  readonly approximateArrivalTimestamp: Date;
  /** The user record's bytes as read (after KPL deaggregation), before deserialization. */
  readonly data: Uint8Array;
  readonly error: unknown;
  /** Where it failed: the deserializer (or timestamp assigner), or delivery. */
  readonly stage: 'deserialize' | 'deliver';
  /** Delivery attempts of this record alone (0 when it failed to deserialize). */
  readonly attempts: number;
  readonly subtaskIndex: number;
}

/** Where failed records go so the shard can move on. `send` resolves only once every record is stored. */
export interface OnFailureDestination {
  send(records: readonly FailedRecord[]): Promise<void>;
}

/** The JSON body of an on-failure message. */
export interface OnFailureMessage {
  readonly source: 'serverless-kinesis-connector';
  readonly consumerName?: string;
  readonly stream: string;
  readonly shardId: string;
  readonly sequenceNumber: string;
  readonly subSequenceNumber?: number;
  readonly partitionKey: string;
  readonly explicitHashKey?: string;
  /** ISO 8601. */
  readonly approximateArrivalTimestamp: string;
  readonly subtaskIndex: number;
  readonly stage: 'deserialize' | 'deliver';
  readonly attempts: number;
  /** ISO 8601: when the consumer gave up on the record. */
  readonly failedAt: string;
  readonly error: { readonly name: string; readonly message: string };
  /** The record's bytes, base64; cut to fit the message size when `dataTruncated`. */
  readonly data: string;
  /** The record's full size in bytes. */
  readonly dataBytes: number;
  readonly dataTruncated: boolean;
}

/** Longest error message kept in an on-failure message, in characters. */
const MAX_ERROR_CHARS = 2048;

/** The on-failure message of a record, at most `maxBytes` long: the data is cut to fit, never the metadata. */
export function onFailureMessage(
  record: FailedRecord,
  options: { maxBytes: number; now: number; consumerName?: string },
): string {
  const error =
    record.error instanceof Error
      ? { name: record.error.name, message: record.error.message }
      : { name: 'Error', message: describeError(record.error) };
  if (error.message.length > MAX_ERROR_CHARS) error.message = `${error.message.slice(0, MAX_ERROR_CHARS)}...`;
  const message: { -readonly [K in keyof OnFailureMessage]: OnFailureMessage[K] } = {
    source: 'serverless-kinesis-connector',
    ...(options.consumerName ? { consumerName: options.consumerName } : {}),
    stream: record.stream,
    shardId: record.shardId,
    sequenceNumber: record.sequenceNumber,
    ...(record.subSequenceNumber !== undefined ? { subSequenceNumber: record.subSequenceNumber } : {}),
    partitionKey: record.partitionKey,
    ...(record.explicitHashKey ? { explicitHashKey: record.explicitHashKey } : {}),
    approximateArrivalTimestamp: record.approximateArrivalTimestamp.toISOString(),
    subtaskIndex: record.subtaskIndex,
    stage: record.stage,
    attempts: record.attempts,
    failedAt: new Date(options.now).toISOString(),
    error,
    data: '',
    dataBytes: record.data.length,
    dataTruncated: false,
  };
  const bare = Buffer.byteLength(JSON.stringify(message));
  // base64 never needs escaping in JSON; `true` is one character shorter than `false`.
  const room = options.maxBytes - bare;
  const whole = Math.ceil(record.data.length / 3) * 4;
  if (whole <= room) {
    message.data = Buffer.from(record.data.buffer, record.data.byteOffset, record.data.length).toString(
      'base64',
    );
    return JSON.stringify(message);
  }
  const bytes = Math.max(0, Math.floor(room / 4) * 3);
  message.data = Buffer.from(record.data.buffer, record.data.byteOffset, bytes).toString('base64');
  message.dataTruncated = true;
  const text = JSON.stringify(message);
  if (Buffer.byteLength(text) > options.maxBytes) {
    throw new OnFailureSendError(
      `The on-failure message of ${record.stream}/${record.shardId} record ${record.sequenceNumber} does not fit ` +
        `${options.maxBytes} bytes even without its data; raise ${CONSUMER_SETTINGS.onFailureMaxMessageBytes.key}.`,
    );
  }
  return text;
}

export interface SqsOnFailureQueueOptions {
  readonly sqs: Pick<SQSClient, 'send'>;
  readonly queueUrl: string;
  /** @default - consumer.onfailure.maxmessagebytes's default */
  readonly maxMessageBytes?: number;
  readonly consumerName?: string;
  readonly clock?: Clock;
  readonly random?: Random;
  /** Retries of entries SQS did not take. @default ON_FAILURE_BACKOFF */
  readonly backoff?: BackoffSettings;
}

const MAX_BATCH_ENTRIES = 10;
const MAX_BATCH_BYTES = 1024 * 1024;
/** Retries of entries SQS did not take, before the records count as not sent. */
const ON_FAILURE_BACKOFF: BackoffSettings = { maxRetries: 5, baseMillis: 100, maxMillis: 2000, expConst: 2 };

/**
 * Sends failed records to an SQS queue, one message per record (SendMessageBatch, 10 at a time), retrying
 * entries SQS refuses; throws OnFailureSendError if any record could not be stored. On a FIFO queue the
 * group is the shard and the deduplication id the record's position, so a resent record is stored once.
 */
export class SqsOnFailureQueue implements OnFailureDestination {
  private readonly fifo: boolean;

  constructor(private readonly options: SqsOnFailureQueueOptions) {
    this.fifo = options.queueUrl.endsWith('.fifo');
  }

  async send(records: readonly FailedRecord[]): Promise<void> {
    const clock = this.options.clock ?? systemClock;
    const now = clock.now();
    const maxBytes = this.options.maxMessageBytes ?? CONSUMER_DEFAULTS.onFailure.maxMessageBytes;
    const entries = records.map((record, i) => ({
      Id: `r${i}`,
      MessageBody: onFailureMessage(record, {
        maxBytes,
        now,
        ...(this.options.consumerName ? { consumerName: this.options.consumerName } : {}),
      }),
      ...(this.fifo
        ? {
            MessageGroupId: `${record.stream}/${record.shardId}`.slice(0, 128),
            MessageDeduplicationId: dedupId(record),
          }
        : {}),
    }));
    const batches: (typeof entries)[] = [];
    let batch: typeof entries = [];
    let bytes = 0;
    for (const entry of entries) {
      const size = Buffer.byteLength(entry.MessageBody);
      if (batch.length === MAX_BATCH_ENTRIES || (batch.length > 0 && bytes + size > MAX_BATCH_BYTES)) {
        batches.push(batch);
        batch = [];
        bytes = 0;
      }
      batch.push(entry);
      bytes += size;
    }
    if (batch.length) batches.push(batch);
    for (const b of batches) await this.sendBatch(b, clock);
  }

  private async sendBatch(
    entries: { Id: string; MessageBody: string; MessageGroupId?: string; MessageDeduplicationId?: string }[],
    clock: Clock,
  ): Promise<void> {
    const backoff = this.options.backoff ?? ON_FAILURE_BACKOFF;
    const random = this.options.random ?? Math.random;
    let remaining = entries;
    let lastError: string;
    for (let attempt = 0; ; attempt++) {
      try {
        const output = await this.options.sqs.send(
          new SendMessageBatchCommand({ QueueUrl: this.options.queueUrl, Entries: remaining }),
        );
        const failed = new Map((output.Failed ?? []).map((f) => [f.Id, f]));
        // A sender fault (a bad message) never gets better; an SQS fault may.
        const fatal = [...failed.values()].find((f) => f.SenderFault);
        if (fatal) {
          throw new OnFailureSendError(
            `The on-failure queue refused a record: ${fatal.Code}: ${fatal.Message}. The shard stops before it.`,
          );
        }
        remaining = remaining.filter((e) => failed.has(e.Id));
        if (!remaining.length) return;
        lastError = [...failed.values()].map((f) => `${f.Code}: ${f.Message}`).join('; ');
      } catch (error) {
        if (error instanceof OnFailureSendError || classifyError(error) === 'fatal') {
          throw error instanceof OnFailureSendError
            ? error
            : new OnFailureSendError(
                `Sending to the on-failure queue failed: ${describeError(error)}. The shard stops before the ` +
                  'failed records; check the queue URL and the function role.',
                { cause: error },
              );
        }
        lastError = describeError(error);
      }
      if (attempt >= backoff.maxRetries) {
        throw new OnFailureSendError(
          `Sending ${remaining.length} record(s) to the on-failure queue failed ${attempt + 1} time(s): ${lastError}. ` +
            'The shard stops before them.',
        );
      }
      await clock.sleep(fullJitterDelay(attempt, backoff, random));
    }
  }
}

function dedupId(record: FailedRecord): string {
  const text = `${record.stream}/${record.shardId}/${record.sequenceNumber}/${record.subSequenceNumber ?? ''}`;
  return text.length <= 128 ? text : text.slice(text.length - 128);
}
