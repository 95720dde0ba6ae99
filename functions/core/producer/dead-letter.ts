import { SendMessageBatchCommand, type MessageAttributeValue, type SQSClient } from '@aws-sdk/client-sqs';
import { classifyError, fullJitterDelay, type BackoffSettings } from '../aws/retry';
import { describeError } from '../errors';
import { systemClock, type Clock, type Random } from '../time/clock';
import {
  attributeBytes,
  SQS_MAX_MESSAGE_BYTES,
  type ProducerMessage,
  type Rejection,
} from './message-contract';

/** A message the producer cannot use, and why. */
export interface DeadLetter {
  readonly message: ProducerMessage;
  readonly rejection: Rejection;
  /** For a valid message not written by its last receive: where it was going and how often it was tried. */
  readonly failure?: {
    readonly kind: string;
    readonly stream?: string;
    readonly shardId?: string;
    /** Receives of the message, the last included. */
    readonly receives: number;
  };
}

/** Where rejected messages go at once, so they do not come back maxReceiveCount times. */
export interface DeadLetterSink {
  /** Sends each letter; the answer maps message id to the error of a letter that could not be sent. */
  send(letters: readonly DeadLetter[]): Promise<ReadonlyMap<string, string>>;
}

/** The attribute that carries the reason on a dead-lettered message. */
export const REJECTION_ATTRIBUTE = 'ProducerRejection';
/** The attribute that names the field at fault (malformed messages). */
export const REJECTION_FIELD_ATTRIBUTE = 'ProducerRejectionField';
/** Attributes of a valid message not written by its last receive: why, where to, and how often tried. */
export const FAILURE_KIND_ATTRIBUTE = 'ProducerFailureKind';
export const FAILURE_STREAM_ATTRIBUTE = 'ProducerStream';
export const FAILURE_SHARD_ATTRIBUTE = 'ProducerShard';
export const FAILURE_ATTEMPTS_ATTRIBUTE = 'ProducerAttempts';

const MAX_ATTRIBUTES = 10;
/** Retries of entries SQS did not take: a few quick ones, as the batch waits on them. */
const DEAD_LETTER_BACKOFF: BackoffSettings = { maxRetries: 3, baseMillis: 100, maxMillis: 1000, expConst: 2 };
const MAX_BATCH_BYTES = 1024 * 1024;

export interface SqsDeadLetterQueueOptions {
  readonly sqs: Pick<SQSClient, 'send'>;
  readonly queueUrl: string;
  readonly clock?: Clock;
  readonly random?: Random;
  /** @default DEAD_LETTER_BACKOFF */
  readonly backoff?: BackoffSettings;
  /** The dead-letter queue's MaximumMessageSize: body plus attributes. @default SQS_MAX_MESSAGE_BYTES */
  readonly maxMessageBytes?: number;
}

/**
 * Sends rejected messages to the dead-letter queue with SendMessageBatch: the original body and
 * attributes, plus the reason. On a FIFO queue the message keeps its group, and its message id is the
 * deduplication id, so a retried send is not stored twice.
 */
export class SqsDeadLetterQueue implements DeadLetterSink {
  private readonly fifo: boolean;

  constructor(private readonly options: SqsDeadLetterQueueOptions) {
    this.fifo = options.queueUrl.endsWith('.fifo');
  }

  async send(letters: readonly DeadLetter[]): Promise<ReadonlyMap<string, string>> {
    const errors = new Map<string, string>();
    const batches: { id: string; letter: DeadLetter; attributes: Record<string, MessageAttributeValue> }[][] =
      [];
    let batch: (typeof batches)[number] = [];
    let batchBytes = 0;
    const maxMessageBytes = this.options.maxMessageBytes ?? SQS_MAX_MESSAGE_BYTES;
    letters.forEach((letter, i) => {
      const original = Object.entries(letter.message.attributes ?? {});
      const attributes: Record<string, MessageAttributeValue> = {};
      for (const [name, value] of original) {
        attributes[name] = {
          DataType: value.dataType,
          ...(value.stringValue !== undefined ? { StringValue: value.stringValue } : {}),
          ...(value.binaryValue !== undefined ? { BinaryValue: value.binaryValue } : {}),
        };
      }
      // The reason rides along when the message has room for it: SQS allows 10 attributes, and a message
      // near the size limit keeps only as much of the reason as fits. The reason comes first, then the
      // details in order while they fit. Without room it goes anyway, so it does not cycle
      // maxReceiveCount times for nothing; the reason is in the producer's log.
      const details = detailsOf(letter);
      let room = maxMessageBytes - Buffer.byteLength(letter.message.body) - attributeBytes(attributes);
      const reasonRoom = room - REJECTION_ATTRIBUTE.length - 'String'.length;
      if (original.length + 1 <= MAX_ATTRIBUTES && reasonRoom > 0) {
        const reason = truncateUtf8(letter.rejection.reason, Math.min(1024, reasonRoom));
        attributes[REJECTION_ATTRIBUTE] = { DataType: 'String', StringValue: reason };
        room -= REJECTION_ATTRIBUTE.length + 'String'.length + Buffer.byteLength(reason);
        for (const [name, value] of details) {
          const bytes = attributeBytes({ [name]: value });
          if (Object.keys(attributes).length >= MAX_ATTRIBUTES || bytes > room) break;
          attributes[name] = value;
          room -= bytes;
        }
      }
      const bytes = Buffer.byteLength(letter.message.body) + attributeBytes(attributes);
      if (batch.length === 10 || (batch.length > 0 && batchBytes + bytes > MAX_BATCH_BYTES)) {
        batches.push(batch);
        batch = [];
        batchBytes = 0;
      }
      batch.push({ id: `m${i}`, letter, attributes });
      batchBytes += bytes;
    });
    if (batch.length > 0) batches.push(batch);
    await Promise.all(batches.map((b) => this.sendBatch(b, errors)));
    return errors;
  }

  private async sendBatch(
    items: { id: string; letter: DeadLetter; attributes: Record<string, MessageAttributeValue> }[],
    errors: Map<string, string>,
  ): Promise<void> {
    const clock = this.options.clock ?? systemClock;
    const random = this.options.random ?? Math.random;
    const backoff = this.options.backoff ?? DEAD_LETTER_BACKOFF;
    let remaining = items;
    for (let attempt = 0; remaining.length > 0; attempt++) {
      const retry: typeof items = [];
      try {
        const output = await this.options.sqs.send(
          new SendMessageBatchCommand({
            QueueUrl: this.options.queueUrl,
            Entries: remaining.map(({ id, letter, attributes }) => ({
              Id: id,
              MessageBody: letter.message.body,
              MessageAttributes: attributes,
              ...(this.fifo
                ? {
                    MessageGroupId: letter.message.messageGroupId ?? 'dead-letters',
                    MessageDeduplicationId: letter.message.messageId.slice(0, 128),
                  }
                : {}),
            })),
          }),
        );
        for (const failed of output.Failed ?? []) {
          const item = remaining.find((r) => r.id === failed.Id);
          if (!item) continue;
          const error = `${failed.Code ?? 'Error'}: ${failed.Message ?? ''}`;
          if (failed.SenderFault) errors.set(item.letter.message.messageId, error);
          else retry.push(item);
          if (!failed.SenderFault && attempt >= backoff.maxRetries) {
            errors.set(item.letter.message.messageId, error);
          }
        }
      } catch (error) {
        if (classifyError(error) === 'fatal' || attempt >= backoff.maxRetries) {
          for (const item of remaining) errors.set(item.letter.message.messageId, describeError(error));
          return;
        }
        retry.push(...remaining);
      }
      if (attempt >= backoff.maxRetries) return;
      remaining = retry;
      if (remaining.length > 0) await clock.sleep(fullJitterDelay(attempt, backoff, random));
    }
  }
}

/** The attributes besides the reason, most useful first. */
function detailsOf(letter: DeadLetter): [string, MessageAttributeValue][] {
  const text = (value: string): MessageAttributeValue => ({
    DataType: 'String',
    StringValue: value.slice(0, 256),
  });
  const failure = letter.failure;
  if (!failure) return [[REJECTION_FIELD_ATTRIBUTE, text(letter.rejection.field)]];
  return [
    [FAILURE_KIND_ATTRIBUTE, text(failure.kind)],
    ...(failure.stream !== undefined
      ? [[FAILURE_STREAM_ATTRIBUTE, text(failure.stream)] as [string, MessageAttributeValue]]
      : []),
    ...(failure.shardId !== undefined
      ? [[FAILURE_SHARD_ATTRIBUTE, text(failure.shardId)] as [string, MessageAttributeValue]]
      : []),
    [FAILURE_ATTEMPTS_ATTRIBUTE, { DataType: 'Number', StringValue: String(failure.receives) }],
  ];
}

/** At most `maxBytes` of UTF-8, cut at a character boundary. */
function truncateUtf8(text: string, maxBytes: number): string {
  if (Buffer.byteLength(text) <= maxBytes) return text;
  let cut = text.slice(0, maxBytes);
  while (Buffer.byteLength(cut) > maxBytes) cut = cut.slice(0, -1);
  return cut;
}
