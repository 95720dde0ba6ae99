import { createHash, randomUUID } from 'node:crypto';
import type { Clock } from '../../functions/core/time/clock';
import type { OperationHandler, RequestContext } from '../shared/json-server';
import { ServiceError } from '../shared/json-server';
import { batchErrorCode, sqsError } from './errors';
import {
  hasInvalidCharacters,
  type Input,
  isRecord,
  optionalInt,
  optionalList,
  optionalString,
  optionalStringList,
  optionalStringMap,
  requiredString,
  show,
} from './input';
import { ACCOUNT_ID, SQS_LIMITS } from './limits';
import {
  checkMessageAttributes,
  md5Hex,
  md5OfMessageAttributes,
  selectAttributes,
} from './message-attributes';
import { LocalQueue, type NewMessage, type StoredMessage } from './queue';
import {
  defaultAttributes,
  normaliseAttributes,
  parseRedrivePolicy,
  requestedAttributeNames,
} from './queue-attributes';

export interface SqsServiceOptions {
  readonly clock: Clock;
  readonly region: string;
  /** The server's endpoint, which queue URLs start with. */
  readonly endpoint: () => string;
  readonly maxInflightMessages: number;
}

const QUEUE_NAME = /^[A-Za-z0-9_-]+$/;
const BATCH_ENTRY_ID = /^[A-Za-z0-9_-]+$/;
// Alphanumerics and ASCII punctuation, as the API reference allows for group and deduplication ids.
const FIFO_TOKEN = /^[!-~]+$/;

const MESSAGE_SYSTEM_ATTRIBUTES = new Set([
  'All',
  'AWSTraceHeader',
  'ApproximateFirstReceiveTimestamp',
  'ApproximateReceiveCount',
  'DeadLetterQueueSourceArn',
  'MessageDeduplicationId',
  'MessageGroupId',
  'SenderId',
  'SentTimestamp',
  'SequenceNumber',
]);

/** A send request's fields after validation. */
interface CheckedSend {
  readonly message: NewMessage;
  readonly md5OfAttributes?: string;
  readonly md5OfSystemAttributes?: string;
}

/** The SQS operations over an in-memory set of queues; the HTTP side lives in LocalSqsServer. */
export class SqsService {
  readonly operations: Record<string, OperationHandler>;
  private readonly queues = new Map<string, LocalQueue>();
  private readonly deletedAt = new Map<string, number>();

  constructor(private readonly options: SqsServiceOptions) {
    this.operations = {
      CreateQueue: (input) => this.createQueue(input),
      GetQueueUrl: (input) => this.getQueueUrl(input),
      ListQueues: (input) => this.listQueues(input),
      GetQueueAttributes: (input) => this.getQueueAttributes(input),
      SetQueueAttributes: (input) => this.setQueueAttributes(input),
      DeleteQueue: (input) => this.deleteQueue(input),
      PurgeQueue: (input) => this.purgeQueue(input),
      SendMessage: (input, context) => this.sendMessage(input, context),
      SendMessageBatch: (input, context) => this.sendMessageBatch(input, context),
      ReceiveMessage: (input, context) => this.receiveMessage(input, context),
      DeleteMessage: (input) => this.deleteMessage(input),
      DeleteMessageBatch: (input) => this.deleteMessageBatch(input),
      ChangeMessageVisibility: (input) => this.changeMessageVisibility(input),
      ChangeMessageVisibilityBatch: (input) => this.changeMessageVisibilityBatch(input),
    };
  }

  queue(name: string): LocalQueue | undefined {
    return this.queues.get(name);
  }

  queueNames(): string[] {
    return [...this.queues.keys()].sort();
  }

  /** Drops every queue, waking their long pollers (they return empty). */
  reset(): void {
    for (const queue of this.queues.values()) this.drop(queue);
    this.queues.clear();
    this.deletedAt.clear();
  }

  arnOf(name: string): string {
    return `arn:aws:sqs:${this.options.region}:${ACCOUNT_ID}:${name}`;
  }

  private get now(): number {
    return this.options.clock.now();
  }

  private createQueue(input: Input) {
    const name = requiredString(input, 'QueueName');
    const raw = optionalStringMap(input, 'Attributes') ?? {};
    optionalStringMap(input, 'tags');
    const fifo = raw.FifoQueue?.trim().toLowerCase() === 'true';
    checkQueueName(name, fifo);
    const attributes = normaliseAttributes(raw, fifo, 'CreateQueue');
    if (!fifo) attributes.delete('FifoQueue');
    this.checkRedrivePolicy(attributes, fifo, this.arnOf(name));

    const existing = this.queues.get(name);
    if (existing) {
      for (const [key, value] of attributes) {
        if (existing.storedAttributes().get(key) !== value) {
          throw sqsError(
            'QueueNameExists',
            `Queue ${name} already exists with ${key}=${show(existing.storedAttributes().get(key) ?? '(unset)')}, not ${show(value)}. Use SetQueueAttributes to change it.`,
          );
        }
      }
      return { QueueUrl: existing.url };
    }
    const deletedAt = this.deletedAt.get(name);
    if (deletedAt !== undefined && this.now - deletedAt < SQS_LIMITS.recreateWindowMillis) {
      throw sqsError(
        'QueueDeletedRecently',
        `Queue ${name} was deleted less than ${SQS_LIMITS.recreateWindowMillis / 1000} s ago; wait before creating it again.`,
      );
    }
    const stored = defaultAttributes(fifo);
    for (const [key, value] of attributes) if (value !== '') stored.set(key, value);
    const url = `${this.options.endpoint()}/${ACCOUNT_ID}/${name}`;
    const queue = new LocalQueue(name, this.arnOf(name), url, fifo, stored, {
      clock: this.options.clock,
      queueByArn: (arn) => this.queueByArn(arn),
      maxInflightMessages: this.options.maxInflightMessages,
      newMessageId: () => randomUUID(),
    });
    this.queues.set(name, queue);
    this.deletedAt.delete(name);
    return { QueueUrl: url };
  }

  private getQueueUrl(input: Input) {
    const name = requiredString(input, 'QueueName');
    const owner = optionalString(input, 'QueueOwnerAWSAccountId');
    const queue = this.queues.get(name);
    if (!queue || (owner !== undefined && owner !== ACCOUNT_ID)) throw queueDoesNotExist(name);
    return { QueueUrl: queue.url };
  }

  private listQueues(input: Input) {
    const prefix = optionalString(input, 'QueueNamePrefix') ?? '';
    const maxResults = optionalInt(input, 'MaxResults', 1, SQS_LIMITS.maxListQueuesResults);
    const token = optionalString(input, 'NextToken');
    const after = token === undefined ? undefined : Buffer.from(token, 'base64').toString('utf8');
    const names = this.queueNames().filter((n) => n.startsWith(prefix) && (after === undefined || n > after));
    const page = names.slice(0, maxResults ?? SQS_LIMITS.maxListQueuesResults);
    const more = maxResults !== undefined && names.length > page.length;
    const last = page[page.length - 1];
    return {
      ...(page.length ? { QueueUrls: page.map((n) => this.queues.get(n)?.url) } : {}),
      ...(more && last !== undefined ? { NextToken: Buffer.from(last, 'utf8').toString('base64') } : {}),
    };
  }

  private getQueueAttributes(input: Input) {
    const queue = this.queueFor(input);
    const names = optionalStringList(input, 'AttributeNames') ?? [];
    if (names.length === 0) return {};
    const wanted = requestedAttributeNames(names, queue.fifo);
    const result: Record<string, string> = {};
    if ([...wanted].some((n) => n.startsWith('Approximate'))) {
      const counts = queue.counts();
      result.ApproximateNumberOfMessages = String(counts.visible);
      result.ApproximateNumberOfMessagesNotVisible = String(counts.inflight);
      result.ApproximateNumberOfMessagesDelayed = String(counts.delayed);
    }
    result.CreatedTimestamp = String(Math.floor(queue.createdAt / 1000));
    result.LastModifiedTimestamp = String(Math.floor(queue.lastModifiedAt / 1000));
    result.QueueArn = queue.arn;
    for (const [key, value] of queue.storedAttributes()) result[key] = value;
    return { Attributes: Object.fromEntries(Object.entries(result).filter(([key]) => wanted.has(key))) };
  }

  private setQueueAttributes(input: Input) {
    const queue = this.queueFor(input);
    const raw = optionalStringMap(input, 'Attributes');
    if (!raw) throw sqsError('MissingParameter', 'The request must contain the parameter Attributes.');
    const attributes = normaliseAttributes(raw, queue.fifo, 'SetQueueAttributes');
    this.checkRedrivePolicy(attributes, queue.fifo, queue.arn);
    queue.setAttributes(attributes);
    return {};
  }

  private deleteQueue(input: Input) {
    const queue = this.queueFor(input);
    this.drop(queue);
    this.queues.delete(queue.name);
    this.deletedAt.set(queue.name, this.now);
    return {};
  }

  private purgeQueue(input: Input) {
    const queue = this.queueFor(input);
    const last = queue.lastPurgeAt;
    if (last !== undefined && this.now - last < SQS_LIMITS.purgeWindowMillis) {
      throw sqsError(
        'PurgeQueueInProgress',
        `Queue ${queue.name} was purged less than ${SQS_LIMITS.purgeWindowMillis / 1000} s ago; only one PurgeQueue per minute is allowed.`,
      );
    }
    queue.purge();
    return {};
  }

  private sendMessage(input: Input, context: RequestContext) {
    const queue = this.queueFor(input);
    const checked = this.checkSend(queue, input, senderIdOf(context));
    const outcome = queue.send(checked.message);
    return {
      MessageId: outcome.messageId,
      MD5OfMessageBody: checked.message.md5OfBody,
      ...(checked.md5OfAttributes ? { MD5OfMessageAttributes: checked.md5OfAttributes } : {}),
      ...(checked.md5OfSystemAttributes
        ? { MD5OfMessageSystemAttributes: checked.md5OfSystemAttributes }
        : {}),
      ...(outcome.sequenceNumber ? { SequenceNumber: outcome.sequenceNumber } : {}),
    };
  }

  private sendMessageBatch(input: Input, context: RequestContext) {
    const queue = this.queueFor(input);
    const entries = checkBatchEntries(input);
    const total = entries.reduce((sum, entry) => sum + roughSize(entry), 0);
    if (total > SQS_LIMITS.maxBatchBytes) {
      throw sqsError(
        'BatchRequestTooLong',
        `The batch's messages and attributes add up to ${total} bytes; at most ${SQS_LIMITS.maxBatchBytes} are allowed.`,
      );
    }
    const senderId = senderIdOf(context);
    return batchResult(entries, (entry) => {
      const checked = this.checkSend(queue, entry, senderId);
      const outcome = queue.send(checked.message);
      return {
        MessageId: outcome.messageId,
        MD5OfMessageBody: checked.message.md5OfBody,
        ...(checked.md5OfAttributes ? { MD5OfMessageAttributes: checked.md5OfAttributes } : {}),
        ...(checked.md5OfSystemAttributes
          ? { MD5OfMessageSystemAttributes: checked.md5OfSystemAttributes }
          : {}),
        ...(outcome.sequenceNumber ? { SequenceNumber: outcome.sequenceNumber } : {}),
      };
    });
  }

  private async receiveMessage(input: Input, context: RequestContext) {
    const queue = this.queueFor(input);
    const max = optionalInt(input, 'MaxNumberOfMessages', 1, SQS_LIMITS.maxReceiveMessages) ?? 1;
    const visibility =
      optionalInt(input, 'VisibilityTimeout', 0, SQS_LIMITS.maxVisibilityTimeoutSeconds) ??
      queue.seconds('VisibilityTimeout');
    const wait =
      optionalInt(input, 'WaitTimeSeconds', 0, SQS_LIMITS.maxWaitTimeSeconds) ??
      queue.seconds('ReceiveMessageWaitTimeSeconds');
    const systemNames = [
      ...(optionalStringList(input, 'AttributeNames') ?? []),
      ...(optionalStringList(input, 'MessageSystemAttributeNames') ?? []),
    ];
    for (const name of systemNames) {
      if (!MESSAGE_SYSTEM_ATTRIBUTES.has(name)) {
        throw sqsError('InvalidAttributeName', `Unknown message system attribute ${show(name)}.`);
      }
    }
    const attributeNames = optionalStringList(input, 'MessageAttributeNames') ?? [];
    optionalString(input, 'ReceiveRequestAttemptId');

    const deadline = this.now + wait * 1000;
    for (;;) {
      const received = queue.receive(max, visibility * 1000);
      if (received.length > 0) {
        return {
          Messages: received.map(({ message, receiptHandle }) =>
            messageOutput(message, receiptHandle, systemNames, attributeNames),
          ),
        };
      }
      const now = this.now;
      if (now >= deadline || queue.deleted || context.signal.aborted) return {};
      const wakeAt = Math.min(deadline, queue.nextChangeAt() ?? deadline);
      await queue.waitForChange(wakeAt - now, context.signal);
    }
  }

  private deleteMessage(input: Input) {
    const queue = this.queueFor(input);
    queue.deleteMessage(requiredString(input, 'ReceiptHandle'));
    return {};
  }

  private deleteMessageBatch(input: Input) {
    const queue = this.queueFor(input);
    return batchResult(checkBatchEntries(input), (entry) => {
      queue.deleteMessage(requiredString(entry, 'ReceiptHandle'));
      return {};
    });
  }

  private changeMessageVisibility(input: Input) {
    const queue = this.queueFor(input);
    const handle = requiredString(input, 'ReceiptHandle');
    queue.changeVisibility(handle, requiredVisibility(input));
    return {};
  }

  private changeMessageVisibilityBatch(input: Input) {
    const queue = this.queueFor(input);
    return batchResult(checkBatchEntries(input), (entry) => {
      const handle = requiredString(entry, 'ReceiptHandle');
      queue.changeVisibility(handle, requiredVisibility(entry));
      return {};
    });
  }

  private checkSend(queue: LocalQueue, entry: Input, senderId: string): CheckedSend {
    const body = requiredString(entry, 'MessageBody');
    if (hasInvalidCharacters(body)) {
      throw sqsError(
        'InvalidMessageContents',
        'The message body contains characters SQS does not allow; allowed are #x9, #xA, #xD, #x20 to #xD7FF, #xE000 to #xFFFD and #x10000 to #x10FFFF.',
      );
    }
    const delay = optionalInt(entry, 'DelaySeconds', 0, SQS_LIMITS.maxDelaySeconds);
    const attributes = checkMessageAttributes(entry.MessageAttributes);
    const systemAttributes = checkMessageAttributes(entry.MessageSystemAttributes, true);
    const size = Buffer.byteLength(body, 'utf8') + attributes.size;
    if (size > queue.maximumMessageSize) {
      throw sqsError(
        'InvalidParameterValue',
        `The message is ${size} bytes (body and attributes); queue ${queue.name} accepts at most ${queue.maximumMessageSize} (its MaximumMessageSize).`,
      );
    }
    const groupId = optionalString(entry, 'MessageGroupId');
    let deduplicationId = optionalString(entry, 'MessageDeduplicationId');
    if (groupId !== undefined) checkFifoToken('MessageGroupId', groupId, SQS_LIMITS.maxGroupIdLength);
    if (deduplicationId !== undefined) {
      checkFifoToken('MessageDeduplicationId', deduplicationId, SQS_LIMITS.maxDeduplicationIdLength);
    }
    if (queue.fifo) {
      if (delay !== undefined) {
        throw sqsError(
          'InvalidParameterValue',
          `Parameter DelaySeconds cannot be set per message on FIFO queue ${queue.name}; set the queue's DelaySeconds attribute instead.`,
        );
      }
      if (groupId === undefined) {
        throw sqsError('MissingParameter', 'The request must contain the parameter MessageGroupId.');
      }
      if (deduplicationId === undefined) {
        if (!queue.contentBasedDeduplication) {
          throw sqsError(
            'InvalidParameterValue',
            `FIFO queue ${queue.name} has no ContentBasedDeduplication, so each message needs a MessageDeduplicationId.`,
          );
        }
        deduplicationId = createHash('sha256').update(body, 'utf8').digest('hex');
      }
    } else if (deduplicationId !== undefined) {
      throw sqsError(
        'InvalidParameterValue',
        `Parameter MessageDeduplicationId applies only to FIFO queues; ${queue.name} is a standard queue.`,
      );
    }
    return {
      message: {
        body,
        md5OfBody: md5Hex(body),
        attributes: attributes.attributes,
        systemAttributes: systemAttributes.attributes,
        senderId,
        delaySeconds: queue.fifo ? queue.seconds('DelaySeconds') : (delay ?? queue.seconds('DelaySeconds')),
        groupId,
        deduplicationId,
      },
      md5OfAttributes: attributes.md5,
      md5OfSystemAttributes: systemAttributes.md5,
    };
  }

  /** The queue a request's QueueUrl names; the host is not checked, so localhost and 127.0.0.1 both work. */
  private queueFor(input: Input): LocalQueue {
    const url = requiredString(input, 'QueueUrl');
    let path: string[];
    try {
      path = new URL(url).pathname.split('/').filter(Boolean);
    } catch {
      path = [];
    }
    const [account, name] = path;
    if (path.length !== 2 || account === undefined || name === undefined) {
      throw sqsError(
        'InvalidAddress',
        `The address ${show(url)} is not a queue URL; expected ${this.options.endpoint()}/${ACCOUNT_ID}/<queue name>.`,
      );
    }
    const queue = this.queues.get(name);
    if (account !== ACCOUNT_ID || !queue) throw queueDoesNotExist(name);
    return queue;
  }

  private queueByArn(arn: string): LocalQueue | undefined {
    const prefix = `arn:aws:sqs:${this.options.region}:${ACCOUNT_ID}:`;
    return arn.startsWith(prefix) ? this.queues.get(arn.slice(prefix.length)) : undefined;
  }

  /** The dead-letter queue must exist, be of the same type and allow this source. */
  private checkRedrivePolicy(
    attributes: ReadonlyMap<string, string>,
    fifo: boolean,
    sourceArn: string,
  ): void {
    const policy = parseRedrivePolicy(attributes.get('RedrivePolicy'));
    if (!policy) return;
    const fail = (reason: string) =>
      sqsError('InvalidParameterValue', `Value for parameter RedrivePolicy is invalid: ${reason}`);
    const target = this.queueByArn(policy.deadLetterTargetArn);
    if (!target) throw fail(`dead-letter target ${policy.deadLetterTargetArn} does not exist.`);
    if (target.fifo !== fifo) {
      throw fail(
        'the dead-letter queue of a FIFO queue must be a FIFO queue, and of a standard queue a standard queue.',
      );
    }
    const allow = target.attribute('RedriveAllowPolicy');
    if (!allow) return;
    const parsed = JSON.parse(allow) as unknown;
    if (!isRecord(parsed)) return;
    const sources = Array.isArray(parsed.sourceQueueArns) ? (parsed.sourceQueueArns as unknown[]) : [];
    if (
      parsed.redrivePermission === 'denyAll' ||
      (parsed.redrivePermission === 'byQueue' && !sources.includes(sourceArn))
    ) {
      throw fail(`the RedriveAllowPolicy of ${target.name} does not allow ${sourceArn} as a source.`);
    }
  }

  private drop(queue: LocalQueue): void {
    queue.deleted = true;
    queue.purge();
  }
}

function checkQueueName(name: string, fifo: boolean): void {
  const base = name.endsWith('.fifo') ? name.slice(0, -'.fifo'.length) : name;
  if (name.length > SQS_LIMITS.maxQueueNameLength || !QUEUE_NAME.test(base)) {
    throw sqsError(
      'InvalidParameterValue',
      `Queue name ${show(name)} is invalid: use 1 to ${SQS_LIMITS.maxQueueNameLength} characters of A-Z, a-z, 0-9, '-' and '_' (a FIFO queue's name ends in .fifo, which counts).`,
    );
  }
  if (fifo !== name.endsWith('.fifo')) {
    throw sqsError(
      'InvalidParameterValue',
      fifo
        ? `Queue name ${show(name)} is invalid: a FIFO queue's name must end with .fifo.`
        : `Queue name ${show(name)} ends with .fifo, which only a FIFO queue may; set the FifoQueue attribute to true.`,
    );
  }
}

function checkFifoToken(field: string, value: string, maxLength: number): void {
  if (value.length > maxLength || !FIFO_TOKEN.test(value)) {
    throw sqsError(
      'InvalidParameterValue',
      `Value ${show(value)} for parameter ${field} is invalid: use 1 to ${maxLength} alphanumeric or punctuation characters.`,
    );
  }
}

function requiredVisibility(input: Input): number {
  if (input.VisibilityTimeout === undefined || input.VisibilityTimeout === null) {
    throw sqsError('MissingParameter', 'The request must contain the parameter VisibilityTimeout.');
  }
  return optionalInt(input, 'VisibilityTimeout', 0, SQS_LIMITS.maxVisibilityTimeoutSeconds) as number;
}

/** The checks every batch operation makes on its Entries before looking at any one of them. */
function checkBatchEntries(input: Input): (Input & { Id: string })[] {
  const entries = optionalList(input, 'Entries') ?? [];
  if (entries.length === 0) {
    throw sqsError('EmptyBatchRequest', 'The batch request has no entries; send between 1 and 10.');
  }
  if (entries.length > SQS_LIMITS.maxBatchEntries) {
    throw sqsError(
      'TooManyEntriesInBatchRequest',
      `The batch request has ${entries.length} entries; at most ${SQS_LIMITS.maxBatchEntries} are allowed.`,
    );
  }
  const seen = new Set<string>();
  for (const entry of entries) {
    const id = isRecord(entry) ? entry.Id : undefined;
    if (typeof id !== 'string' || id.length > SQS_LIMITS.maxBatchEntryIdLength || !BATCH_ENTRY_ID.test(id)) {
      throw sqsError(
        'InvalidBatchEntryId',
        `Batch entry id ${show(id)} is invalid: use 1 to ${SQS_LIMITS.maxBatchEntryIdLength} of A-Z, a-z, 0-9, '-' and '_'.`,
      );
    }
    if (seen.has(id)) {
      throw sqsError(
        'BatchEntryIdsNotDistinct',
        `Batch entry id ${id} appears more than once; ids must be distinct.`,
      );
    }
    seen.add(id);
  }
  return entries as (Input & { Id: string })[];
}

/** Runs each entry; an SQS error fails only that entry, as the batch operations report. */
function batchResult(
  entries: readonly (Input & { Id: string })[],
  run: (entry: Input) => Record<string, unknown>,
) {
  const Successful: Record<string, unknown>[] = [];
  const Failed: Record<string, unknown>[] = [];
  for (const entry of entries) {
    try {
      Successful.push({ Id: entry.Id, ...run(entry) });
    } catch (error) {
      if (!(error instanceof ServiceError)) throw error;
      Failed.push({
        Id: entry.Id,
        SenderFault: error.statusCode < 500,
        Code: batchErrorCode(error),
        Message: error.message,
      });
    }
  }
  return { Successful, Failed };
}

/** An entry's size for the batch limit, counted before (and regardless of) validating it. */
function roughSize(entry: Input): number {
  let size = typeof entry.MessageBody === 'string' ? Buffer.byteLength(entry.MessageBody, 'utf8') : 0;
  if (isRecord(entry.MessageAttributes)) {
    for (const [name, value] of Object.entries(entry.MessageAttributes)) {
      size += Buffer.byteLength(name, 'utf8');
      if (!isRecord(value)) continue;
      if (typeof value.DataType === 'string') size += Buffer.byteLength(value.DataType, 'utf8');
      if (typeof value.StringValue === 'string') size += Buffer.byteLength(value.StringValue, 'utf8');
      if (typeof value.BinaryValue === 'string') size += Buffer.from(value.BinaryValue, 'base64').length;
    }
  }
  return size;
}

function messageOutput(
  message: StoredMessage,
  receiptHandle: string,
  systemNames: readonly string[],
  attributeNames: readonly string[],
) {
  const all = systemNames.includes('All');
  const system: Record<string, string | undefined> = {
    SenderId: message.senderId,
    SentTimestamp: String(message.sentTimestamp),
    ApproximateReceiveCount: String(message.receiveCount),
    ApproximateFirstReceiveTimestamp: String(message.firstReceiveAt ?? message.sentTimestamp),
    AWSTraceHeader: message.systemAttributes.AWSTraceHeader?.StringValue,
    MessageGroupId: message.groupId,
    MessageDeduplicationId: message.deduplicationId,
    SequenceNumber: message.sequenceNumber,
    DeadLetterQueueSourceArn: message.deadLetterQueueSourceArn,
  };
  const Attributes = Object.fromEntries(
    Object.entries(system).filter(
      ([name, value]) => value !== undefined && (all || systemNames.includes(name)),
    ),
  );
  const MessageAttributes = selectAttributes(message.attributes, attributeNames);
  const md5OfAttributes = md5OfMessageAttributes(MessageAttributes);
  return {
    MessageId: message.messageId,
    ReceiptHandle: receiptHandle,
    MD5OfBody: message.md5OfBody,
    Body: message.body,
    ...(Object.keys(Attributes).length ? { Attributes } : {}),
    ...(md5OfAttributes ? { MessageAttributes, MD5OfMessageAttributes: md5OfAttributes } : {}),
  };
}

/** The caller's access key id from the SigV4 Authorization header, which stands in for SQS's SenderId. */
function senderIdOf(context: RequestContext): string {
  const match = /Credential=([^/,\s]+)\//.exec(String(context.headers.authorization ?? ''));
  return match?.[1] ?? ACCOUNT_ID;
}

function queueDoesNotExist(name: string): ServiceError {
  return sqsError('QueueDoesNotExist', `The specified queue ${name} does not exist.`);
}
