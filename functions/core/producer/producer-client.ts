import { createHash } from 'node:crypto';
import {
  SendMessageBatchCommand,
  type MessageAttributeValue,
  type SendMessageBatchRequestEntry,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { classifyError, fullJitterDelay, type BackoffSettings } from '../aws/retry';
import { describeError, ValidationError } from '../errors';
import { systemClock, type Clock, type Random } from '../time/clock';
import { PRODUCER_DEFAULTS } from '../config/producer-settings';
import {
  attributeBytes,
  SQS_MAX_MESSAGE_BYTES,
  checkExplicitHashKey,
  checkPartitionKey,
  checkStreamName,
  describeValue,
  isWellFormed,
  type MessageFormat,
} from './message-contract';

/** One record for the producer's queue. */
export interface ProducerRecord {
  /** A string goes as UTF-8, bytes as base64, any other JSON value serialised. */
  readonly data: unknown;
  /** @default - the producer's default partition key, else a random one */
  readonly partitionKey?: string;
  readonly explicitHashKey?: string;
  /** @default - the producer's default stream */
  readonly stream?: string;
  /** FIFO queues only: the message group, whose records reach the stream in order. @default the partition key */
  readonly messageGroupId?: string;
  /** FIFO queues without content-based deduplication. @default - a random id, kept across retries */
  readonly deduplicationId?: string;
}

export interface ProducerClientOptions {
  readonly sqs: Pick<SQSClient, 'send'>;
  readonly queueUrl: string;
  /** @default - true when the queue URL ends in .fifo */
  readonly fifo?: boolean;
  /** Must match the producer's setting. @default 'envelope' */
  readonly messageFormat?: MessageFormat;
  /** The queue's MaximumMessageSize: body plus attributes. @default SQS_MAX_MESSAGE_BYTES */
  readonly maxMessageBytes?: number;
  /** The stream's record limit, data plus partition key. @default - producer.maxrecordsizebytes's default */
  readonly maxRecordSizeBytes?: number;
  /** Retries of entries SQS failed on its side. @default 3 retries, 100 ms base, 2000 ms max, x2 */
  readonly backoff?: BackoffSettings;
  readonly clock?: Clock;
  readonly random?: Random;
}

export type SendOutcome =
  | { readonly index: number; readonly accepted: true; readonly messageId: string }
  | {
      readonly index: number;
      readonly accepted: false;
      /** `ValidationError` for a record refused before sending, else the SQS error code. */
      readonly code: string;
      readonly error: string;
      /** Whether sending it again later may succeed. */
      readonly retryable: boolean;
    };

export interface SendResult {
  readonly accepted: number;
  readonly failed: number;
  /** One per record, in the order given. */
  readonly outcomes: readonly SendOutcome[];
}

/** An SQS message ready to send. */
export interface EncodedMessage {
  readonly body: string;
  readonly attributes?: Record<string, MessageAttributeValue>;
  readonly messageGroupId?: string;
  readonly deduplicationId?: string;
  /** Body plus attributes, as SQS counts them against MaximumMessageSize. */
  readonly bytes: number;
}

const SQS_BATCH_ENTRIES = 10;
const SQS_BATCH_BYTES = 1024 * 1024;
const DEFAULT_BACKOFF: BackoffSettings = { maxRetries: 3, baseMillis: 100, maxMillis: 2000, expConst: 2 };
// SQS refuses any other character in a body or string attribute.
// eslint-disable-next-line no-control-regex -- the allowed set is defined by control characters
const SQS_INVALID_CHARACTER = /[^\x09\x0A\x0D\x20-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/u;
const MESSAGE_GROUP_ID = /^[\x21-\x7E]{1,128}$/;

/**
 * Sends records to the producer's queue for other services: checks each record before sending, sends
 * with SendMessageBatch (10 a call), retries entries SQS failed on its side, and reports per record
 * whether the queue accepted it.
 */
export class ProducerClient {
  private readonly fifo: boolean;
  private readonly format: MessageFormat;
  private readonly maxMessageBytes: number;
  private readonly maxRecordSizeBytes: number;
  private readonly clock: Clock;
  private readonly random: Random;

  constructor(private readonly options: ProducerClientOptions) {
    this.fifo = options.fifo ?? options.queueUrl.endsWith('.fifo');
    this.format = options.messageFormat ?? 'envelope';
    this.maxMessageBytes = options.maxMessageBytes ?? SQS_MAX_MESSAGE_BYTES;
    this.maxRecordSizeBytes = options.maxRecordSizeBytes ?? PRODUCER_DEFAULTS.maxRecordSizeBytes;
    this.clock = options.clock ?? systemClock;
    this.random = options.random ?? Math.random;
  }

  /** Sends every record; never throws for a bad record or a failed send, it reports them. */
  async send(records: readonly ProducerRecord[]): Promise<SendResult> {
    const outcomes: SendOutcome[] = new Array<SendOutcome>(records.length);
    const ready: { index: number; message: EncodedMessage }[] = [];
    records.forEach((record, index) => {
      try {
        ready.push({ index, message: this.encode(record) });
      } catch (error) {
        if (!(error instanceof ValidationError)) throw error;
        outcomes[index] = {
          index,
          accepted: false,
          code: 'ValidationError',
          error: error.message,
          retryable: false,
        };
      }
    });
    const batches: (typeof ready)[] = [];
    let batch: typeof ready = [];
    let bytes = 0;
    for (const item of ready) {
      if (
        batch.length === SQS_BATCH_ENTRIES ||
        (batch.length > 0 && bytes + item.message.bytes > SQS_BATCH_BYTES)
      ) {
        batches.push(batch);
        batch = [];
        bytes = 0;
      }
      batch.push(item);
      bytes += item.message.bytes;
    }
    if (batch.length > 0) batches.push(batch);
    await Promise.all(batches.map((b) => this.sendBatch(b, outcomes)));
    const accepted = outcomes.filter((o) => o.accepted).length;
    return { accepted, failed: records.length - accepted, outcomes };
  }

  /** The message for one record, or a ValidationError naming the field, the value and what is allowed. */
  encode(record: ProducerRecord): EncodedMessage {
    if (typeof record !== 'object' || record === null) {
      throw new ValidationError(
        `A record must be an object with a data field; got ${describeValue(record)}.`,
        'record',
      );
    }
    for (const [field, check] of [
      ['partitionKey', checkPartitionKey],
      ['explicitHashKey', checkExplicitHashKey],
      ['stream', checkStreamName],
    ] as const) {
      const value = record[field];
      if (value === undefined) continue;
      const problem = check(value, `The record's ${field}`);
      if (problem) throw new ValidationError(problem, field);
    }
    const { data } = record;
    let dataBytes: number;
    let body: string;
    const attributes: Record<string, MessageAttributeValue> = {};
    if (data === undefined)
      throw new ValidationError("The record's data is missing; it is required.", 'data');
    if (data instanceof Uint8Array) {
      dataBytes = data.length;
      const base64 = Buffer.from(data.buffer, data.byteOffset, data.length).toString('base64');
      if (this.format === 'raw') {
        body = base64;
        attributes.encoding = { DataType: 'String', StringValue: 'base64' };
      } else {
        body = JSON.stringify({ data: base64, encoding: 'base64', ...keysOf(record) });
      }
    } else {
      let serialised: string | undefined;
      try {
        serialised = typeof data === 'string' ? data : JSON.stringify(data);
      } catch (error) {
        throw new ValidationError(
          `The record's data cannot be serialised as JSON: ${describeError(error)}.`,
          'data',
        );
      }
      if (serialised === undefined) {
        throw new ValidationError(`The record's data is ${typeof data}, which JSON cannot carry.`, 'data');
      }
      if (!isWellFormed(serialised)) {
        throw new ValidationError(
          "The record's data holds an unpaired UTF-16 surrogate, so it is not valid text; send it as bytes.",
          'data',
        );
      }
      dataBytes = Buffer.byteLength(serialised);
      if (this.format === 'raw') {
        if (SQS_INVALID_CHARACTER.test(serialised)) {
          throw new ValidationError(
            "The record's data holds a character SQS does not allow in a message body; send it as bytes (base64).",
            'data',
          );
        }
        body = serialised;
      } else {
        body = JSON.stringify({ data, ...keysOf(record) });
      }
    }
    if (this.format === 'raw') {
      for (const field of ['partitionKey', 'explicitHashKey', 'stream'] as const) {
        const value = record[field];
        if (value !== undefined) attributes[field] = { DataType: 'String', StringValue: value };
      }
    }
    const keyBytes = record.partitionKey !== undefined ? Buffer.byteLength(record.partitionKey) : 0;
    if (dataBytes + keyBytes > this.maxRecordSizeBytes) {
      throw new ValidationError(
        `The record is ${dataBytes + keyBytes} bytes (${dataBytes} of data and ${keyBytes} of partition key); ` +
          `a stream record may be at most ${this.maxRecordSizeBytes} bytes.`,
        'data',
      );
    }
    const bytes = Buffer.byteLength(body) + attributeBytes(attributes);
    if (bytes > this.maxMessageBytes) {
      throw new ValidationError(
        `The record makes a ${bytes}-byte message; the queue takes at most ${this.maxMessageBytes} bytes` +
          (data instanceof Uint8Array
            ? ' (bytes travel as base64, a third larger; send text as a string).'
            : '.'),
        'data',
      );
    }
    const fifo = this.fifo ? this.fifoFields(record) : {};
    return { body, ...(Object.keys(attributes).length > 0 ? { attributes } : {}), ...fifo, bytes };
  }

  private fifoFields(record: ProducerRecord): { messageGroupId: string; deduplicationId: string } {
    let group = record.messageGroupId;
    if (group === undefined) {
      if (record.partitionKey === undefined) {
        throw new ValidationError(
          'A record for a FIFO queue needs a messageGroupId or a partitionKey to take it from.',
          'messageGroupId',
        );
      }
      // A key SQS would refuse as a group id still groups alike keys through its digest.
      group = MESSAGE_GROUP_ID.test(record.partitionKey)
        ? record.partitionKey
        : `pk-md5-${createHash('md5').update(record.partitionKey, 'utf8').digest('hex')}`;
    }
    if (!MESSAGE_GROUP_ID.test(group)) {
      throw new ValidationError(
        `The record's messageGroupId is ${describeValue(group)}; it must be 1 to 128 printable ASCII characters.`,
        'messageGroupId',
      );
    }
    const deduplicationId = record.deduplicationId ?? this.randomId();
    if (!MESSAGE_GROUP_ID.test(deduplicationId)) {
      throw new ValidationError(
        `The record's deduplicationId is ${describeValue(deduplicationId)}; it must be 1 to 128 printable ASCII characters.`,
        'deduplicationId',
      );
    }
    return { messageGroupId: group, deduplicationId };
  }

  private randomId(): string {
    let id = '';
    for (let i = 0; i < 4; i++) {
      id += Math.floor(this.random() * 0x100000000)
        .toString(16)
        .padStart(8, '0');
    }
    return id;
  }

  private async sendBatch(
    items: { index: number; message: EncodedMessage }[],
    outcomes: SendOutcome[],
  ): Promise<void> {
    const backoff = this.options.backoff ?? DEFAULT_BACKOFF;
    let remaining = items;
    for (let attempt = 0; ; attempt++) {
      const retry: typeof items = [];
      const last = attempt >= backoff.maxRetries;
      try {
        const output = await this.options.sqs.send(
          new SendMessageBatchCommand({
            QueueUrl: this.options.queueUrl,
            Entries: remaining.map(({ index, message }) => entryOf(index, message)),
          }),
        );
        for (const ok of output.Successful ?? []) {
          const index = Number(ok.Id?.slice(1));
          outcomes[index] = { index, accepted: true, messageId: ok.MessageId ?? '' };
        }
        for (const failed of output.Failed ?? []) {
          const index = Number(failed.Id?.slice(1));
          const item = remaining.find((r) => r.index === index);
          if (!item) continue;
          const retryable = !failed.SenderFault;
          if (retryable && !last) {
            retry.push(item);
            continue;
          }
          outcomes[index] = {
            index,
            accepted: false,
            code: failed.Code ?? 'Error',
            error: failed.Message ?? 'SQS did not say why.',
            retryable,
          };
        }
      } catch (error) {
        const retryable = classifyError(error) !== 'fatal';
        if (retryable && !last) {
          retry.push(...remaining);
        } else {
          for (const { index } of remaining) {
            const code = (error as { name?: string }).name ?? 'Error';
            outcomes[index] = { index, accepted: false, code, error: describeError(error), retryable };
          }
        }
      }
      if (retry.length === 0) return;
      remaining = retry;
      await this.clock.sleep(fullJitterDelay(attempt, backoff, this.random));
    }
  }
}

function keysOf(record: ProducerRecord): Record<string, string> {
  const keys: Record<string, string> = {};
  if (record.partitionKey !== undefined) keys.partitionKey = record.partitionKey;
  if (record.explicitHashKey !== undefined) keys.explicitHashKey = record.explicitHashKey;
  if (record.stream !== undefined) keys.stream = record.stream;
  return keys;
}

function entryOf(index: number, message: EncodedMessage): SendMessageBatchRequestEntry {
  return {
    Id: `r${index}`,
    MessageBody: message.body,
    ...(message.attributes ? { MessageAttributes: message.attributes } : {}),
    ...(message.messageGroupId !== undefined ? { MessageGroupId: message.messageGroupId } : {}),
    ...(message.deduplicationId !== undefined ? { MessageDeduplicationId: message.deduplicationId } : {}),
  };
}
