import type { Clock } from '../../../functions/core/time/clock';
import { describeIterator } from '../fault-proxy';
import { eventMessage, exceptionMessage } from './event-stream';
import { KinesisServiceError } from './service-error';
import type { UpstreamKinesis } from './upstream';

/** AWS ends every SubscribeToShard after 5 minutes; the consumer subscribes again. */
export const SUBSCRIPTION_LIFETIME_MILLIS = 300_000;
/** Each consumer gets 2 MiB/s per shard of its own. */
export const EFO_BYTES_PER_SECOND = 2 * 1024 * 1024;
/** GetRecords' own cap, used for each read behind a subscription. */
const RECORDS_PER_READ = 10_000;

/** A record as Kinesis's JSON protocol carries it (Data in base64). */
interface JsonRecord {
  readonly Data: string;
  readonly PartitionKey: string;
  readonly SequenceNumber: string;
  readonly ApproximateArrivalTimestamp?: number;
}

interface GetRecordsJson {
  readonly Records?: JsonRecord[];
  readonly NextShardIterator?: string;
  readonly MillisBehindLatest?: number;
}

interface ShardJson {
  readonly ShardId: string;
  readonly ParentShardId?: string;
  readonly AdjacentParentShardId?: string;
  readonly HashKeyRange: { readonly StartingHashKey: string; readonly EndingHashKey: string };
}

/**
 * A per-consumer, per-shard byte budget refilled at 2 MiB/s (one second of burst), on the server's clock.
 * An event is sent when the budget is not in debt and then charged in full, so the average rate holds
 * however records are grouped into events.
 */
export class ByteBudget {
  private tokens: number;
  private at: number;

  constructor(
    private readonly clock: Clock,
    private readonly bytesPerSecond: number,
  ) {
    this.tokens = bytesPerSecond;
    this.at = clock.now();
  }

  /** Milliseconds to wait before the next event may go. */
  waitMillis(): number {
    this.refill();
    return this.tokens >= 0 ? 0 : Math.ceil((-this.tokens * 1000) / this.bytesPerSecond);
  }

  charge(bytes: number): void {
    this.refill();
    this.tokens -= bytes;
  }

  private refill(): void {
    const now = this.clock.now();
    this.tokens = Math.min(this.bytesPerSecond, this.tokens + ((now - this.at) * this.bytesPerSecond) / 1000);
    this.at = now;
  }
}

/** Wakes subscriptions when records are written, so events go out as records arrive. */
export class WriteSignal {
  private generation = 0;
  private waiters = new Set<() => void>();

  get current(): number {
    return this.generation;
  }

  notify(): void {
    this.generation++;
    const waiters = this.waiters;
    this.waiters = new Set();
    for (const wake of waiters) wake();
  }

  /** Resolves on the next write after `seen`, or when `signal` aborts. */
  next(seen: number, signal: AbortSignal): Promise<void> {
    if (this.generation !== seen || signal.aborted) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const wake = () => {
        signal.removeEventListener('abort', wake);
        this.waiters.delete(wake);
        resolve();
      };
      this.waiters.add(wake);
      signal.addEventListener('abort', wake, { once: true });
    });
  }
}

export interface SubscriptionOptions {
  readonly consumerArn: string;
  /** The consumer's stream, by ARN (another account's stream is reachable no other way). */
  readonly streamArn: string;
  readonly shardId: string;
  /** The shard iterator the subscription starts from, taken before the response began. */
  readonly iterator: string;
  /** Where the subscription starts if no record is read: the continuation it reports meanwhile. */
  readonly startingContinuation: string;
  readonly upstream: UpstreamKinesis;
  readonly clock: Clock;
  readonly writes: WriteSignal;
  readonly budget: ByteBudget;
  /** The most record bytes one event carries (a larger record goes alone), so pacing has events to space out. */
  readonly eventMaxBytes: number;
  /** Longest quiet spell before an empty event tells the consumer it is still at the tip. */
  readonly heartbeatMillis: number;
  /** Sends one framed message; resolves when the transport can take more (HTTP/2 flow control). */
  readonly send: (frame: Uint8Array) => Promise<void>;
  /** Aborts when the caller goes away or the server ends the subscription. */
  readonly closed: AbortSignal;
  /** Told of each event with records as it goes out (for tests of the rate). */
  readonly onEvent?: (bytes: number) => void;
  /** A continuation that names the next position rather than a record (AFTER it means AT it). */
  readonly rememberPosition: (sequenceNumber: string) => void;
}

/** Why a subscription ended. */
export type SubscriptionEnd = 'expired' | 'shard-end' | 'closed' | 'failed';

/**
 * One SubscribeToShard: reads the shard behind the server and pushes SubscribeToShardEvents as
 * records arrive (woken by writes, not by a timer), paced to the consumer's 2 MiB/s, until 5 minutes
 * of the clock pass, the shard ends (ChildShards), the caller goes away, or an error ends it with an
 * exception message.
 */
export class Subscription {
  private endReason?: { kind: 'failed'; code: string; message: string } | { kind: 'expired' };

  constructor(private readonly options: SubscriptionOptions) {}

  /** Ends the subscription early: with an exception message when `code` is given, else normally. */
  end(code?: string, message?: string): void {
    this.endReason = code
      ? { kind: 'failed', code, message: message ?? `An injected ${code}.` }
      : { kind: 'expired' };
    this.wakeUp?.abort();
  }

  private wakeUp?: AbortController;

  async run(): Promise<SubscriptionEnd> {
    const { clock, closed, upstream, writes, send } = this.options;
    const endsAt = clock.now() + SUBSCRIPTION_LIFETIME_MILLIS;
    let iterator = this.options.iterator;
    let continuation = this.options.startingContinuation;
    let lastSentAt: number | undefined;
    try {
      for (;;) {
        if (closed.aborted) return 'closed';
        if (this.endReason?.kind === 'failed') {
          await send(exceptionMessage(this.endReason.code, this.endReason.message));
          return 'failed';
        }
        if (this.endReason?.kind === 'expired' || clock.now() >= endsAt) return 'expired';
        const seen = writes.current;
        const page = await upstream.json<GetRecordsJson>('GetRecords', {
          ShardIterator: iterator,
          Limit: RECORDS_PER_READ,
        });
        const records = page.Records ?? [];
        const last = records.at(-1);
        if (last) {
          continuation = last.SequenceNumber;
        } else if (page.NextShardIterator && continuation === this.options.startingContinuation) {
          // Nothing read yet: the continuation is the position reached, which the server reads AT.
          const position = describeIterator(page.NextShardIterator)?.sequenceNumber;
          if (position) {
            continuation = position;
            this.options.rememberPosition(position);
          }
        }
        const millisBehindLatest = page.MillisBehindLatest ?? 0;
        if (!page.NextShardIterator) {
          const children = await this.childShards();
          await send(
            eventMessage('SubscribeToShardEvent', {
              Records: [],
              MillisBehindLatest: millisBehindLatest,
              ChildShards: children,
            }),
          );
          return 'shard-end';
        }
        const heartbeatDue =
          lastSentAt === undefined || clock.now() - lastSentAt >= this.options.heartbeatMillis;
        if (records.length > 0 || heartbeatDue) {
          // Events of at most eventMaxBytes, each paced, so a large read reaches the consumer at its rate.
          for (const batch of eventBatches(records, this.options.eventMaxBytes)) {
            await this.pace();
            if (closed.aborted) return 'closed';
            const bytes = bytesOf(batch);
            this.options.budget.charge(bytes);
            const batchLast = batch.at(-1);
            await send(
              eventMessage('SubscribeToShardEvent', {
                Records: batch,
                ContinuationSequenceNumber:
                  batchLast && batchLast !== last ? batchLast.SequenceNumber : continuation,
                MillisBehindLatest: millisBehindLatest,
              }),
            );
            if (bytes > 0) this.options.onEvent?.(bytes);
          }
          lastSentAt = clock.now();
        }
        iterator = page.NextShardIterator;
        // At the tip (an empty read): wait for a write. After records, read on at once: more may be
        // waiting, or the end of a closed shard.
        if (records.length === 0)
          await this.idle(seen, Math.min(endsAt, (lastSentAt ?? clock.now()) + this.options.heartbeatMillis));
      }
    } catch (error) {
      if (closed.aborted) return 'closed';
      const code =
        error instanceof KinesisServiceError ? streamExceptionOf(error.code) : 'InternalFailureException';
      await send(exceptionMessage(code, (error as Error).message)).catch(() => undefined);
      return 'failed';
    }
  }

  /** Waits for a write, the next heartbeat or the end of the subscription, whichever comes first. */
  private async idle(seen: number, until: number): Promise<void> {
    // A signal that aborted already never fires its listeners again.
    if (this.options.closed.aborted || this.endReason) return;
    const wake = new AbortController();
    this.wakeUp = wake;
    const onClose = () => wake.abort();
    this.options.closed.addEventListener('abort', onClose, { once: true });
    try {
      await Promise.race([
        this.options.writes.next(seen, wake.signal).then(() => wake.abort()),
        this.options.clock.sleep(Math.max(0, until - this.options.clock.now()), wake.signal).then(
          () => wake.abort(),
          () => undefined,
        ),
      ]);
    } finally {
      wake.abort();
      this.options.closed.removeEventListener('abort', onClose);
      this.wakeUp = undefined;
    }
  }

  private async pace(): Promise<void> {
    const wait = this.options.budget.waitMillis();
    if (wait > 0) await this.options.clock.sleep(wait, this.options.closed).catch(() => undefined);
  }

  private async childShards(): Promise<unknown[]> {
    const { Shards = [] } = await this.options.upstream.json<{ Shards?: ShardJson[] }>('ListShards', {
      StreamARN: this.options.streamArn,
    });
    const id = this.options.shardId;
    return Shards.filter((s) => s.ParentShardId === id || s.AdjacentParentShardId === id).map((s) => ({
      ShardId: s.ShardId,
      ParentShards: [s.ParentShardId, s.AdjacentParentShardId].filter((p): p is string => Boolean(p)),
      HashKeyRange: s.HashKeyRange,
    }));
  }
}

/** The records of one read cut into events of at most `maxBytes` (a record larger goes alone). */
function eventBatches(records: readonly JsonRecord[], maxBytes: number): JsonRecord[][] {
  if (records.length === 0) return [[]];
  const batches: JsonRecord[][] = [];
  let current: JsonRecord[] = [];
  let bytes = 0;
  for (const record of records) {
    const size = bytesOf([record]);
    if (current.length > 0 && bytes + size > maxBytes) {
      batches.push(current);
      current = [];
      bytes = 0;
    }
    current.push(record);
    bytes += size;
  }
  batches.push(current);
  return batches;
}

/** The bytes a batch counts against the consumer's 2 MiB/s: data and partition keys. */
function bytesOf(records: readonly JsonRecord[]): number {
  let bytes = 0;
  for (const record of records)
    bytes += Buffer.byteLength(record.Data, 'base64') + Buffer.byteLength(record.PartitionKey);
  return bytes;
}

/** The event stream carries only its modelled exceptions; anything else is an internal failure. */
function streamExceptionOf(code: string): string {
  return code === 'ResourceNotFoundException' || code === 'ResourceInUseException'
    ? code
    : 'InternalFailureException';
}
