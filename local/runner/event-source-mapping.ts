import { randomUUID } from 'node:crypto';
import {
  DeleteMessageBatchCommand,
  ReceiveMessageCommand,
  type Message,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { describeError } from '../../functions/core/errors';
import { systemClock, type Clock } from '../../functions/core/time/clock';
import { lambdaContext, type LocalLambdaContext } from './lambda-context';

/** A function behind an SQS event source mapping. */
export type SqsFunction = (
  event: SQSEvent,
  context: LocalLambdaContext,
) => Promise<SQSBatchResponse | void | undefined>;

export interface SqsEventSourceMappingOptions {
  readonly sqs: Pick<SQSClient, 'send'>;
  readonly queueUrl: string;
  readonly handler: SqsFunction;
  /** Messages per invocation, 1 to 10,000. @default 10 */
  readonly batchSize?: number;
  /** How long to gather a batch after its first message. @default 0 */
  readonly maxBatchingWindowMillis?: number;
  /**
   * How long an invocation may run; past it the invocation counts as timed out and its messages come
   * back after the visibility timeout. @default 60000
   */
  readonly functionTimeoutMillis?: number;
  /** Batches in flight at once (Lambda's pollers). @default 1 */
  readonly concurrency?: number;
  /** Read `batchItemFailures` from the response. @default true */
  readonly reportBatchItemFailures?: boolean;
  /** @default 'local-function' */
  readonly functionName?: string;
  /** @default 'us-east-1' */
  readonly region?: string;
  /** @default systemClock */
  readonly clock?: Clock;
  /** Called after every invocation. */
  readonly onInvocation?: (outcome: InvocationOutcome) => void;
}

/** What one invocation did. */
export interface InvocationOutcome {
  readonly messages: number;
  /** Messages deleted from the queue: done. */
  readonly deleted: number;
  /** Messages left in the queue, to come back after the visibility timeout (or go to the DLQ). */
  readonly returned: number;
  /** What the function returned, when it returned in time. */
  readonly response?: SQSBatchResponse | void;
  /** What the function threw, or why its response was refused. */
  readonly error?: Error;
  readonly timedOut: boolean;
  readonly durationMillis: number;
}

export interface EventSourceMappingStats {
  invocations: number;
  messages: number;
  deleted: number;
  returned: number;
  errors: number;
  timeouts: number;
}

const RECEIVE_MAX = 10;
const LONG_POLL_SECONDS = 20;
const SHORT_POLL_PAUSE_MILLIS = 20;

/**
 * Lambda's SQS event source mapping, on this machine: pollers receive up to `batchSize` messages,
 * waiting up to `maxBatchingWindowMillis` after the first for more; invoke the function with the
 * event Lambda builds and a context that runs down to the function timeout; then delete the messages
 * that succeeded. With ReportBatchItemFailures the listed messages stay; a thrown error, a timeout or
 * an answer naming a message not in the batch leaves the whole batch. What stays comes back after the
 * queue's visibility timeout, and the queue's own RedrivePolicy moves it to the dead-letter queue
 * after maxReceiveCount receives (the local SQS server does that, as SQS does).
 *
 * Not modelled: the scaling of pollers with queue depth (the number is fixed at `concurrency`), the
 * 6 MB payload limit of an invocation, and filter criteria.
 */
export class SqsEventSourceMapping {
  readonly stats: EventSourceMappingStats = {
    invocations: 0,
    messages: 0,
    deleted: 0,
    returned: 0,
    errors: 0,
    timeouts: 0,
  };
  private readonly clock: Clock;
  private readonly batchSize: number;
  private running: AbortController | undefined;
  private pollers: Promise<void>[] = [];

  constructor(private readonly options: SqsEventSourceMappingOptions) {
    this.clock = options.clock ?? systemClock;
    this.batchSize = options.batchSize ?? 10;
    if (!Number.isInteger(this.batchSize) || this.batchSize < 1 || this.batchSize > 10_000) {
      throw new RangeError(`batchSize is ${this.batchSize}; it must be an integer from 1 to 10,000.`);
    }
  }

  /** Starts the pollers; they run until `stop`. */
  start(): void {
    if (this.running) return;
    const controller = new AbortController();
    this.running = controller;
    const concurrency = this.options.concurrency ?? 1;
    this.pollers = Array.from({ length: concurrency }, () => this.poll(controller.signal));
  }

  /** Stops receiving and waits for the invocations in flight to end. */
  async stop(): Promise<void> {
    this.running?.abort();
    this.running = undefined;
    await Promise.all(this.pollers);
    this.pollers = [];
  }

  /**
   * One invocation with the messages visible now (no long poll, no batching window); undefined when
   * the queue had none. For tests that step the mapping themselves.
   */
  async pollOnce(): Promise<InvocationOutcome | undefined> {
    const messages = await this.gather(false, 0);
    return messages.length > 0 ? this.invoke(messages) : undefined;
  }

  /** Invokes until a receive finds nothing visible. */
  async drain(maxInvocations = 10_000): Promise<void> {
    for (let i = 0; i < maxInvocations; i++) if (!(await this.pollOnce())) return;
    throw new Error(`The queue still had messages after ${maxInvocations} invocations.`);
  }

  private async poll(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      let messages: Message[];
      try {
        messages = await this.gather(true, this.options.maxBatchingWindowMillis ?? 0, signal);
      } catch {
        if (signal.aborted) return;
        // Lambda keeps polling through receive errors; so does this, after a pause.
        this.stats.errors++;
        await this.pause(1000, signal);
        continue;
      }
      if (messages.length > 0) await this.invoke(messages);
    }
  }

  /** Receives up to a batch: the first receive long-polls when `wait`, then the window gathers more. */
  private async gather(wait: boolean, windowMillis: number, signal?: AbortSignal): Promise<Message[]> {
    const messages: Message[] = [];
    const first = await this.receive(wait ? LONG_POLL_SECONDS : 0, this.batchSize, signal);
    if (first.length === 0) return messages;
    messages.push(...first);
    const windowEnd = this.clock.now() + windowMillis;
    while (messages.length < this.batchSize && !signal?.aborted) {
      const left = windowEnd - this.clock.now();
      // The window ends the gathering even while messages keep coming. Without a window, the batch
      // takes what is visible now, up to its size (how tests step the mapping).
      if (windowMillis > 0 && left <= 0) break;
      // A window of whole seconds long-polls for the rest of it; a shorter one polls briefly.
      const waitSeconds = Math.min(LONG_POLL_SECONDS, Math.floor(left / 1000));
      const more = await this.receive(Math.max(0, waitSeconds), this.batchSize - messages.length, signal);
      messages.push(...more);
      if (more.length > 0) continue;
      if (this.clock.now() >= windowEnd) break;
      if (waitSeconds === 0) await this.pause(Math.min(SHORT_POLL_PAUSE_MILLIS, left), signal);
    }
    return messages;
  }

  private async receive(waitSeconds: number, room: number, signal?: AbortSignal): Promise<Message[]> {
    const { Messages = [] } = await this.options.sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: this.options.queueUrl,
        MaxNumberOfMessages: Math.min(RECEIVE_MAX, room),
        MessageSystemAttributeNames: ['All'],
        MessageAttributeNames: ['All'],
        WaitTimeSeconds: waitSeconds,
      }),
      signal ? { abortSignal: signal } : {},
    );
    return Messages;
  }

  private async invoke(messages: Message[]): Promise<InvocationOutcome> {
    const timeout = this.options.functionTimeoutMillis ?? 60_000;
    const startedAt = this.clock.now();
    const event: SQSEvent = { Records: messages.map((m) => this.toRecord(m)) };
    const context = lambdaContext(
      this.options.functionName ?? 'local-function',
      startedAt + timeout,
      this.clock,
      randomUUID(),
    );
    this.stats.invocations++;
    this.stats.messages += messages.length;

    let response: SQSBatchResponse | void | undefined;
    let error: Error | undefined;
    let timedOut = false;
    const timer = new AbortController();
    try {
      const outcome = await Promise.race([
        this.options.handler(event, context).then((value) => ({ value })),
        this.clock.sleep(timeout, timer.signal).then(() => 'timeout' as const),
      ]);
      if (outcome === 'timeout') timedOut = true;
      else response = outcome.value;
    } catch (thrown) {
      error = thrown instanceof Error ? thrown : new Error(describeError(thrown));
    } finally {
      timer.abort();
    }

    let succeeded: Message[] = [];
    if (timedOut) {
      this.stats.timeouts++;
      error = new Error(`The invocation timed out after ${timeout} ms.`);
    } else if (error) {
      this.stats.errors++;
    } else {
      const failed = this.failedIds(messages, response);
      if (failed instanceof Error) {
        error = failed;
        this.stats.errors++;
      } else {
        succeeded = messages.filter((m) => !failed.has(m.MessageId ?? ''));
      }
    }
    const deleted = await this.delete(succeeded);
    const outcome: InvocationOutcome = {
      messages: messages.length,
      deleted,
      returned: messages.length - deleted,
      ...(response !== undefined ? { response } : {}),
      ...(error ? { error } : {}),
      timedOut,
      durationMillis: this.clock.now() - startedAt,
    };
    this.stats.deleted += deleted;
    this.stats.returned += outcome.returned;
    this.options.onInvocation?.(outcome);
    return outcome;
  }

  /** The messages the response reports failed; an Error when Lambda would fail the whole batch. */
  private failedIds(messages: Message[], response: SQSBatchResponse | void | undefined): Set<string> | Error {
    if ((this.options.reportBatchItemFailures ?? true) === false || !response) return new Set();
    const failures = response.batchItemFailures ?? [];
    const inBatch = new Set(messages.map((m) => m.MessageId ?? ''));
    const failed = new Set<string>();
    for (const failure of failures) {
      const id = failure?.itemIdentifier;
      if (typeof id !== 'string' || id === '' || !inBatch.has(id)) {
        return new Error(
          `The response names batch item ${JSON.stringify(id)}, which is not a message of this batch; ` +
            'Lambda treats the whole batch as failed.',
        );
      }
      failed.add(id);
    }
    return failed;
  }

  /** Deletes in batches of 10, in parallel; returns how many were deleted (a failed delete comes back later). */
  private async delete(messages: Message[]): Promise<number> {
    const chunks: Message[][] = [];
    for (let i = 0; i < messages.length; i += RECEIVE_MAX) chunks.push(messages.slice(i, i + RECEIVE_MAX));
    const deleted = await Promise.all(
      chunks.map(async (chunk) => {
        try {
          const result = await this.options.sqs.send(
            new DeleteMessageBatchCommand({
              QueueUrl: this.options.queueUrl,
              Entries: chunk.map((m, j) => ({ Id: `d${j}`, ReceiptHandle: m.ReceiptHandle ?? '' })),
            }),
          );
          return result.Successful?.length ?? 0;
        } catch {
          this.stats.errors++;
          return 0;
        }
      }),
    );
    return deleted.reduce((a, b) => a + b, 0);
  }

  private async pause(millis: number, signal?: AbortSignal): Promise<void> {
    try {
      await this.clock.sleep(millis, signal);
    } catch {
      // Aborted: the caller's loop sees the signal.
    }
  }

  private toRecord(message: Message): SQSRecord {
    const region = this.options.region ?? 'us-east-1';
    const queueName = this.options.queueUrl.split('/').pop() ?? '';
    const a = message.Attributes ?? {};
    return {
      messageId: message.MessageId ?? '',
      receiptHandle: message.ReceiptHandle ?? '',
      body: message.Body ?? '',
      attributes: {
        ApproximateReceiveCount: a.ApproximateReceiveCount ?? '1',
        SentTimestamp: a.SentTimestamp ?? '0',
        SenderId: a.SenderId ?? '',
        ApproximateFirstReceiveTimestamp: a.ApproximateFirstReceiveTimestamp ?? '0',
        ...(a.MessageGroupId ? { MessageGroupId: a.MessageGroupId } : {}),
        ...(a.MessageDeduplicationId ? { MessageDeduplicationId: a.MessageDeduplicationId } : {}),
        ...(a.SequenceNumber ? { SequenceNumber: a.SequenceNumber } : {}),
      },
      messageAttributes: Object.fromEntries(
        Object.entries(message.MessageAttributes ?? {}).map(([name, v]) => [
          name,
          {
            dataType: v.DataType ?? 'String',
            ...(v.StringValue !== undefined ? { stringValue: v.StringValue } : {}),
            ...(v.BinaryValue !== undefined
              ? { binaryValue: Buffer.from(v.BinaryValue).toString('base64') }
              : {}),
          },
        ]),
      ),
      md5OfBody: message.MD5OfBody ?? '',
      eventSource: 'aws:sqs',
      eventSourceARN: `arn:aws:sqs:${region}:000000000000:${queueName}`,
      awsRegion: region,
    };
  }
}
