import type { Logger } from '@aws-lambda-powertools/logger';
import {
  SubscribeToShardCommand,
  type GetRecordsInput,
  type GetRecordsOutput,
  type GetShardIteratorInput,
  type GetShardIteratorOutput,
  type KinesisClient,
  type StartingPosition as SdkStartingPosition,
  type SubscribeToShardEvent,
  type SubscribeToShardEventStream,
} from '@aws-sdk/client-kinesis';
import { fullJitterDelay } from '../../aws/retry';
import { CONSUMER_SETTINGS, type EfoConfig } from '../../config/consumer-settings';
import { describeError, RetriesExhaustedError, StreamConsumerError } from '../../errors';
import type { Clock, Random } from '../../time/clock';
import type { KinesisReadApi } from '../kinesis-api';
import type { ShardDescription } from '../types';

/** Kinesis allows one SubscribeToShard per second per consumer and shard. */
export const SUBSCRIBE_INTERVAL_MILLIS = 1000;
/** Kinesis ends a subscription after 5 minutes; another reader's subscription is gone by then. */
export const SUBSCRIPTION_LIFETIME_MILLIS = 300_000;
/**
 * Longest the reader waits inside one read for an event: the shard reader's loop then turns (batching
 * windows, idle and cost-mode clocks) without any call to Kinesis.
 */
export const EVENT_WAIT_MILLIS = 1000;

/** Errors after which subscribing again cannot help: the request or the consumer's rights are wrong. */
const FATAL = new Set([
  'InvalidArgumentException',
  'ValidationException',
  'AccessDeniedException',
  'KMSAccessDeniedException',
  'KMSDisabledException',
  'KMSInvalidStateException',
  'KMSNotFoundException',
  'KMSOptInRequired',
  'StreamConsumerError',
  'RetriesExhaustedError',
]);

/** A shard position as the shard reader asks for it, carried in place of a shard iterator. */
interface Position {
  readonly type: SdkStartingPosition['Type'];
  readonly sequenceNumber?: string;
  readonly timestampMillis?: number;
}

const TOKEN_PREFIX = 'efo:';

export interface SubscriptionReadApiOptions {
  /** A client on the SDK's HTTP/2 handler (SubscribeToShard needs HTTP/2). */
  readonly client: KinesisClient;
  /** The ACTIVE consumer ARN of the shard's stream; `renew` looks it up (or registers it) again. */
  readonly consumerArn: (renew: boolean) => Promise<string>;
  /** For ListShards, which enhanced fan-out does not change. */
  readonly polling: KinesisReadApi;
  readonly shard: ShardDescription;
  readonly efo: EfoConfig;
  /** When the shard's pending batch must go out; a read returns by then even without an event. */
  readonly dueAt: () => number | undefined;
  readonly clock: Clock;
  readonly random: Random;
  readonly logger: Logger;
  readonly stop: AbortSignal;
}

export interface SubscriptionStats {
  subscriptions: number;
  /** Subscriptions that ended after their 5 minutes and were renewed from the continuation. */
  renewals: number;
  resourceInUse: number;
  throttled: number;
  /** Subscriptions that failed mid-stream or could not be opened for another reason, then retried. */
  failures: number;
}

interface Open {
  token: string;
  readonly abort: AbortController;
  readonly events: AsyncIterator<SubscribeToShardEventStream>;
  pending?: Promise<IteratorResult<SubscribeToShardEventStream>>;
}

type Next =
  | { readonly kind: 'event'; readonly event: SubscribeToShardEvent }
  | { readonly kind: 'ended' }
  | { readonly kind: 'error'; readonly error: unknown }
  | { readonly kind: 'waiting' };

/**
 * Enhanced fan-out behind the shard reader's read API, so one reader loop (deaggregation, delivery,
 * checkpoints, parents before children) serves both publishers. A "shard iterator" here is a position;
 * each read returns the next SubscribeToShardEvent as GetRecords would return a page, with the
 * event's continuation as the next position, and no next position (with ChildShards) at the shard's
 * end. A subscription lives until Kinesis ends it (5 minutes) and is then renewed from the continuation;
 * the invocation's stop closes it at once, so the next invocation can subscribe.
 *
 * Failures, none of them silent (each is logged and counted, and a shard that cannot go on fails its
 * reader): ResourceInUseException (another subscription of this consumer and shard is still open, or the
 * consumer is not ACTIVE yet) is retried with backoff until it ends, which Kinesis guarantees within 5
 * minutes, and fails the reader after that; a subscription that ends early or errors mid-stream is
 * renewed from the last continuation with backoff; a deregistered consumer is looked up again (LAZY
 * registration registers it again) once, then fails the reader; throttled SubscribeToShard calls back off
 * and count against flink.shard.subscribetoshard.maxretries.
 */
export class SubscriptionReadApi implements KinesisReadApi {
  readonly stats: SubscriptionStats = {
    subscriptions: 0,
    renewals: 0,
    resourceInUse: 0,
    throttled: 0,
    failures: 0,
  };
  private open?: Open;
  private lastSubscribeAt?: number;
  private failures = 0;
  private inUseSince?: number;
  /** ResourceInUse answers in a row: they pace the backoff but are not retries. */
  private inUseAttempts = 0;
  private renewedArn = false;
  private millisBehindLatest = 0;
  private readonly keys: { stream: string; shardId: string };

  constructor(private readonly options: SubscriptionReadApiOptions) {
    this.keys = { stream: options.shard.streamName, shardId: options.shard.shardId };
    options.stop.addEventListener('abort', () => this.close(), { once: true });
  }

  listShards: KinesisReadApi['listShards'] = (input, signal) =>
    this.options.polling.listShards(input, signal);

  async getShardIterator(input: GetShardIteratorInput): Promise<GetShardIteratorOutput> {
    const type = input.ShardIteratorType as Position['type'];
    const position: Position =
      type === 'AT_TIMESTAMP'
        ? { type, timestampMillis: (input.Timestamp as Date).getTime() }
        : input.StartingSequenceNumber
          ? { type, sequenceNumber: input.StartingSequenceNumber }
          : { type };
    return { ShardIterator: encode(position) };
  }

  async getRecords(input: GetRecordsInput): Promise<GetRecordsOutput> {
    const token = input.ShardIterator as string;
    if (this.open?.token !== token) {
      this.close();
      this.open = await this.subscribe(token);
      if (this.options.stop.aborted) {
        // A stop that came while the subscription opened found nothing to close.
        this.close();
        throw this.options.stop.reason ?? new Error('Stopped.');
      }
    }
    const open = this.open;
    const next = await this.next(open);
    const empty = { Records: [], NextShardIterator: token, MillisBehindLatest: this.millisBehindLatest };
    switch (next.kind) {
      case 'waiting':
        return empty;
      case 'ended':
        this.close();
        this.stats.renewals++;
        this.options.logger.info('Subscription ended; renewing it from the continuation', this.keys);
        return empty;
      case 'error':
        this.close();
        await this.failed(next.error, 'mid-stream');
        return empty;
      case 'event':
        break;
    }
    const event = next.event;
    this.failures = 0;
    this.inUseSince = undefined;
    this.inUseAttempts = 0;
    this.millisBehindLatest = event.MillisBehindLatest ?? 0;
    const records = event.Records ?? [];
    if (!event.ContinuationSequenceNumber) {
      // The shard is closed and read to its end; its children are the engine's to find.
      this.close();
      return {
        Records: records,
        MillisBehindLatest: this.millisBehindLatest,
        ...(event.ChildShards ? { ChildShards: event.ChildShards } : {}),
      };
    }
    open.token = encode({ type: 'AFTER_SEQUENCE_NUMBER', sequenceNumber: event.ContinuationSequenceNumber });
    return { Records: records, NextShardIterator: open.token, MillisBehindLatest: this.millisBehindLatest };
  }

  private async subscribe(token: string): Promise<Open> {
    const { client, shard, clock, efo, stop } = this.options;
    const position = decode(token);
    for (;;) {
      if (this.lastSubscribeAt !== undefined) {
        await this.sleepUntil(this.lastSubscribeAt + SUBSCRIBE_INTERVAL_MILLIS);
      }
      const consumerArn = await this.options.consumerArn(false);
      this.lastSubscribeAt = clock.now();
      const abort = new AbortController();
      const onStop = () => abort.abort();
      stop.addEventListener('abort', onStop, { once: true });
      const timeout = new AbortController();
      try {
        const subscribed = client.send(
          new SubscribeToShardCommand({
            ConsumerARN: consumerArn,
            ShardId: shard.shardId,
            StartingPosition: startingPosition(position),
          }),
          { abortSignal: abort.signal },
        );
        const timedOut = clock.sleep(efo.subscribeToShard.timeoutMillis, timeout.signal).then(
          () => 'timeout' as const,
          () => 'cancelled' as const,
        );
        const result = await Promise.race([subscribed, timedOut]);
        if (result === 'timeout' || result === 'cancelled') {
          abort.abort();
          subscribed.catch(() => undefined);
          throw Object.assign(
            new Error(
              `SubscribeToShard was not established within ${efo.subscribeToShard.timeoutMillis} ms.`,
            ),
            { name: 'TimeoutError' },
          );
        }
        const stream = result.EventStream;
        if (!stream) throw new Error('SubscribeToShard returned no event stream.');
        this.stats.subscriptions++;
        return { token, abort, events: stream[Symbol.asyncIterator]() };
      } catch (error) {
        abort.abort();
        await this.failed(error, 'subscribe');
      } finally {
        timeout.abort();
        // Once open, the subscription is closed on stop by close(); a listener per subscription would
        // pile up on the stop signal with every renewal.
        stop.removeEventListener('abort', onStop);
      }
    }
  }

  /** The next event, or 'waiting' when the batch due time (or the loop's tick) comes first. */
  private async next(open: Open): Promise<Next> {
    const { clock, stop } = this.options;
    open.pending ??= open.events.next();
    const pending = open.pending.then(
      (result): Next => (result.done ? { kind: 'ended' } : eventOf(result.value)),
      (error: unknown): Next => ({ kind: 'error', error }),
    );
    const due = this.options.dueAt();
    const wait = Math.min(EVENT_WAIT_MILLIS, due === undefined ? EVENT_WAIT_MILLIS : due - clock.now());
    const tick = new AbortController();
    const onStop = () => tick.abort();
    stop.addEventListener('abort', onStop, { once: true });
    try {
      const next = await Promise.race([
        pending,
        clock.sleep(Math.max(0, wait), tick.signal).then(
          (): Next => ({ kind: 'waiting' }),
          (): Next => ({ kind: 'waiting' }),
        ),
      ]);
      if (stop.aborted) throw stop.reason ?? new Error('Stopped.');
      if (next.kind !== 'waiting') open.pending = undefined;
      return next;
    } finally {
      tick.abort();
      stop.removeEventListener('abort', onStop);
    }
  }

  /** Decides what a failure means: back off and try again, or fail the reader with a clear error. */
  private async failed(error: unknown, when: 'subscribe' | 'mid-stream'): Promise<void> {
    const { efo, clock, logger, stop } = this.options;
    if (stop.aborted) throw error;
    const name = (error as Error).name;
    const log = { ...this.keys, when, error: describeError(error) };
    if (name === 'ResourceInUseException') {
      // Another subscription of this consumer and shard is open (the last invocation's, not yet released
      // by Kinesis, or a second reader), or the consumer is not ACTIVE yet: both end on their own.
      this.stats.resourceInUse++;
      this.inUseSince ??= clock.now();
      if (clock.now() - this.inUseSince > SUBSCRIPTION_LIFETIME_MILLIS + efo.subscribeToShard.timeoutMillis) {
        throw new StreamConsumerError(
          `SubscribeToShard on ${this.keys.stream}/${this.keys.shardId} was refused as in use for more than ` +
            `${SUBSCRIPTION_LIFETIME_MILLIS / 60_000} minutes: another reader keeps subscribing with the same ` +
            `consumer. Give each application its own ${CONSUMER_SETTINGS.efoConsumerName.key}.`,
          { cause: error },
        );
      }
      const delay = fullJitterDelay(
        Math.min(this.inUseAttempts++, 10),
        efo.subscribeToShard.backoff,
        this.options.random,
      );
      logger.warn('SubscribeToShard: the subscription is in use; waiting for it to end', {
        ...log,
        delayMillis: Math.round(delay),
      });
      await this.sleepUntil(clock.now() + delay);
      return;
    }
    if (name === 'ResourceNotFoundException' && !this.renewedArn) {
      // The consumer was deregistered: look it up again (LAZY registers it again) before giving up.
      this.renewedArn = true;
      logger.warn('SubscribeToShard: the stream consumer was not found; looking it up again', log);
      await this.options.consumerArn(true);
      return;
    }
    if (FATAL.has(name) || name === 'ResourceNotFoundException') throw error;
    if (name === 'LimitExceededException') this.stats.throttled++;
    else this.stats.failures++;
    if (this.failures >= efo.subscribeToShard.backoff.maxRetries) {
      throw new RetriesExhaustedError(
        `SubscribeToShard on ${this.keys.stream}/${this.keys.shardId}`,
        this.failures + 1,
        error,
      );
    }
    const delay = fullJitterDelay(this.failures++, efo.subscribeToShard.backoff, this.options.random);
    logger.warn(`SubscribeToShard failed ${when === 'subscribe' ? 'to open' : 'mid-stream'}; backing off`, {
      ...log,
      attempt: this.failures,
      delayMillis: Math.round(delay),
    });
    await this.sleepUntil(clock.now() + delay);
  }

  private close(): void {
    const open = this.open;
    this.open = undefined;
    if (!open) return;
    open.pending?.catch(() => undefined);
    open.abort.abort();
  }

  private async sleepUntil(at: number): Promise<void> {
    const ms = at - this.options.clock.now();
    if (ms > 0) await this.options.clock.sleep(ms, this.options.stop);
  }
}

function eventOf(value: SubscribeToShardEventStream): Next {
  if (value.SubscribeToShardEvent) return { kind: 'event', event: value.SubscribeToShardEvent };
  // The modelled exceptions arrive as thrown errors; anything else here is unknown to this client.
  return {
    kind: 'error',
    error: new Error(`Unexpected SubscribeToShard event ${Object.keys(value).join(', ')}.`),
  };
}

function encode(position: Position): string {
  return TOKEN_PREFIX + JSON.stringify(position);
}

function decode(token: string): Position {
  if (!token.startsWith(TOKEN_PREFIX)) throw new Error(`Not an enhanced fan-out position: ${token}`);
  return JSON.parse(token.slice(TOKEN_PREFIX.length)) as Position;
}

function startingPosition(position: Position): SdkStartingPosition {
  return {
    Type: position.type,
    ...(position.sequenceNumber ? { SequenceNumber: position.sequenceNumber } : {}),
    ...(position.timestampMillis !== undefined ? { Timestamp: new Date(position.timestampMillis) } : {}),
  };
}
