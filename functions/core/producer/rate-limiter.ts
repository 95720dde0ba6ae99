import { PRODUCER_DEFAULTS } from '../config/producer-settings';
import type { Clock } from '../time/clock';

/** Kinesis's write limits for one shard. */
export const SHARD_RECORDS_PER_SECOND = 1000;
export const SHARD_BYTES_PER_SECOND = 1024 * 1024;

/**
 * A token bucket that refills continuously and holds at most one second of tokens. A request larger than
 * the whole bucket is let through once the bucket is full, leaving it in debt, so it is never stuck.
 */
export class TokenBucket {
  private tokens: number;
  private updatedAt: number;

  /** Starts full, or with `tokens`. */
  constructor(
    private rate: number,
    private size: number,
    now: number,
    tokens = size,
  ) {
    this.tokens = Math.min(tokens, size);
    this.updatedAt = now;
  }

  get ratePerSecond(): number {
    return this.rate;
  }

  get capacity(): number {
    return this.size;
  }

  /**
   * Changes the rate and capacity from `now` on: tokens earned so far at the old rate are kept, and
   * cut to the new capacity when it is smaller, so a shrinking share cannot be spent in one burst.
   */
  reshape(ratePerSecond: number, capacity: number, now: number): void {
    this.refill(now);
    this.rate = ratePerSecond;
    this.size = capacity;
    this.tokens = Math.min(this.tokens, capacity);
  }

  /** Tokens held at `now`. */
  available(now: number): number {
    this.refill(now);
    return this.tokens;
  }

  /** Milliseconds from `now` until `amount` could be taken. */
  waitMillis(amount: number, now: number): number {
    this.refill(now);
    const needed = Math.min(amount, this.capacity) - this.tokens;
    return needed <= 0 ? 0 : Math.ceil((needed * 1000) / this.rate);
  }

  take(amount: number, now: number): void {
    this.refill(now);
    this.tokens -= amount;
  }

  /** Refills up to `from`, then earns nothing from `from` to `now`: time the bucket did not run. */
  skip(from: number, now: number): void {
    this.refill(from);
    if (now > this.updatedAt) this.updatedAt = now;
  }

  private refill(now: number): void {
    if (now > this.updatedAt) {
      this.tokens = Math.min(this.size, this.tokens + ((now - this.updatedAt) * this.rate) / 1000);
      this.updatedAt = now;
    }
  }
}

/**
 * The part of a pause between batches a container sharing the budget earns tokens for when its messages'
 * receive times are unknown. Between two invocations its poller gathers the next batch, whose messages
 * enter the queue's in-flight count one receive at a time: on average it held half a batch over the
 * gathering, and the others' shares, made smaller by those messages, left the rest to it.
 */
export const PAUSE_CREDIT = 0.5;

/** How a throttled shard's rate falls: halved, as congestion control does on loss. */
export const THROTTLE_RATE_DECREASE = 0.5;
/** How a throttled shard's rate comes back: this fraction of its budget per second, up to all of it. */
export const THROTTLE_RATE_RECOVERY_PER_SECOND = 0.05;
/** The least a shard's rate falls to on throttling, as a fraction of its budget. */
export const THROTTLE_RATE_FLOOR = 1 / 16;

export interface ShardRateLimiterOptions {
  readonly clock: Clock;
  /**
   * Percent of the shard limits the whole deployment may use (the KPL's RateLimit).
   * @default - RateLimit's default
   */
  readonly rateLimitPercent?: number;
  /** @default 1000 */
  readonly recordsPerSecond?: number;
  /** @default 1 MiB */
  readonly bytesPerSecond?: number;
  /**
   * The container shares each shard's budget with others (its share is set with `setShare`). Its
   * buckets then start empty, since a shard's tokens belong to the containers already writing it, and
   * earn between batches (`pause`) only for the part of the pause its messages were in the count the
   * others' shares come from (`resume`).
   * @default false: buckets start full and refill always, as for a writer alone
   */
  readonly sharesBudget?: boolean;
}

interface ShardBuckets {
  readonly records: TokenBucket;
  readonly bytes: TokenBucket;
  usedAt: number;
  /** The fraction of the budget left after throttles, and when it was last cut. */
  throttleFactor: number;
  throttledAt: number;
  /** When the rate was last cut: entries sent before it were answered at the old rate. */
  cutAt: number;
  /** The scale the buckets were last shaped to. */
  scale: number;
}

/**
 * The per-shard limiter: a records bucket and a bytes bucket per shard, each holding one second of its
 * rate. A shard's rate is its write limits x RateLimit (the deployment's budget) x this container's
 * share of the deployment (`setShare`) x a throttle factor that halves on each throttled entry and
 * recovers additively (AIMD), so a share that turned out too large (a stale count) corrects itself.
 * Shared, its buckets start empty and earn between batches only while its messages are counted
 * (see `sharesBudget`).
 * It lives as long as the Lambda container, so consecutive batches share one budget per shard.
 */
export class ShardRateLimiter {
  private readonly buckets = new Map<string, ShardBuckets>();
  private readonly recordsPerSecond: number;
  private readonly bytesPerSecond: number;
  private share = 1;
  /** When the limiter was paused; undefined while it runs. */
  private pausedAt: number | undefined;
  private wakeOnShareChange: () => void = () => undefined;
  private shareChange = new Promise<void>((resolve) => (this.wakeOnShareChange = resolve));

  constructor(private readonly options: ShardRateLimiterOptions) {
    const budget = (options.rateLimitPercent ?? PRODUCER_DEFAULTS.rateLimitPercent) / 100;
    this.recordsPerSecond = (options.recordsPerSecond ?? SHARD_RECORDS_PER_SECOND) * budget;
    this.bytesPerSecond = (options.bytesPerSecond ?? SHARD_BYTES_PER_SECOND) * budget;
  }

  /** This container's share of the deployment's budget, in (0, 1]; 1 when it writes alone. */
  get currentShare(): number {
    return this.share;
  }

  /** Sets this container's share of every shard's budget from now on. */
  setShare(share: number): void {
    if (!(share > 0) || share > 1) throw new RangeError(`A budget share must be in (0, 1]; got ${share}.`);
    if (share === this.share) return;
    this.share = share;
    const wake = this.wakeOnShareChange;
    this.shareChange = new Promise((resolve) => (this.wakeOnShareChange = resolve));
    wake();
  }

  /**
   * The container has finished its batches: until `resume` (or the next use) its buckets earn only for
   * the part of the time `resume` is given. Only with `sharesBudget`; a writer alone keeps earning, as
   * the shard does.
   */
  pause(): void {
    if (!this.options.sharesBudget || this.pausedAt !== undefined) return;
    this.pausedAt = this.options.clock.now();
  }

  /** When the limiter was paused, while it is. */
  get pausedSince(): number | undefined {
    return this.pausedAt;
  }

  /**
   * Lets the buckets refill fully again from now, with `credit` (0 to 1) of the pause earned: the part
   * of it this container's messages were in the queue's count.
   */
  resume(credit = PAUSE_CREDIT): void {
    const pausedAt = this.pausedAt;
    if (pausedAt === undefined) return;
    this.pausedAt = undefined;
    const now = this.options.clock.now();
    const earnedUntil = pausedAt + (now - pausedAt) * Math.min(1, Math.max(0, credit));
    for (const bucket of this.buckets.values()) {
      bucket.records.skip(earnedUntil, now);
      bucket.bytes.skip(earnedUntil, now);
    }
  }

  /**
   * Settles when the share next changes: a writer waiting for tokens at the old rate waits on this too,
   * so a larger share is spent at once rather than when the old rate would have refilled the bucket.
   */
  get nextShareChange(): Promise<void> {
    return this.shareChange;
  }

  /**
   * A shard refused an entry for throughput: its rate is cut at once. Given when the entry was sent, a
   * refusal of an entry sent no later than the last cut is not cut for again: the entries of one call
   * (or of calls in flight together) were all sent at the old rate, so the first of their refusals says
   * all they can, as congestion control reacts once per round trip rather than once per lost packet.
   */
  throttled(shardKey: string, sentAt?: number): void {
    const now = this.options.clock.now();
    const bucket = this.bucket(shardKey, now);
    if (sentAt !== undefined && sentAt <= bucket.cutAt) return;
    bucket.cutAt = now;
    bucket.throttleFactor = Math.max(THROTTLE_RATE_FLOOR, this.factor(bucket, now) * THROTTLE_RATE_DECREASE);
    bucket.throttledAt = now;
    this.shape(bucket, now);
  }

  /** Takes `records` and `bytes` from the shard's buckets if both hold enough, all or nothing. */
  tryAcquire(shardKey: string, records: number, bytes: number): boolean {
    const now = this.options.clock.now();
    const bucket = this.bucket(shardKey, now);
    if (bucket.records.waitMillis(records, now) > 0 || bucket.bytes.waitMillis(bytes, now) > 0) return false;
    bucket.records.take(records, now);
    bucket.bytes.take(bytes, now);
    return true;
  }

  /** Milliseconds until `tryAcquire(shardKey, records, bytes)` would succeed. */
  waitMillis(shardKey: string, records: number, bytes: number): number {
    const now = this.options.clock.now();
    const bucket = this.bucket(shardKey, now);
    return Math.max(bucket.records.waitMillis(records, now), bucket.bytes.waitMillis(bytes, now));
  }

  private factor(bucket: ShardBuckets, now: number): number {
    if (bucket.throttleFactor >= 1) return 1;
    const recovered = ((now - bucket.throttledAt) / 1000) * THROTTLE_RATE_RECOVERY_PER_SECOND;
    return Math.min(1, bucket.throttleFactor + recovered);
  }

  private shape(bucket: ShardBuckets, now: number): void {
    const scale = this.share * this.factor(bucket, now);
    if (scale === bucket.scale) return;
    bucket.scale = scale;
    bucket.records.reshape(this.recordsPerSecond * scale, this.recordsPerSecond * scale, now);
    bucket.bytes.reshape(this.bytesPerSecond * scale, this.bytesPerSecond * scale, now);
  }

  private bucket(shardKey: string, now: number): ShardBuckets {
    this.resume();
    let bucket = this.buckets.get(shardKey);
    if (!bucket) {
      if (this.buckets.size >= 10000) this.prune(now);
      const scale = this.share;
      const records = this.recordsPerSecond * scale;
      const bytes = this.bytesPerSecond * scale;
      const empty = this.options.sharesBudget === true;
      bucket = {
        records: new TokenBucket(records, records, now, empty ? 0 : records),
        bytes: new TokenBucket(bytes, bytes, now, empty ? 0 : bytes),
        usedAt: now,
        throttleFactor: 1,
        throttledAt: now,
        cutAt: Number.NEGATIVE_INFINITY,
        scale,
      };
      this.buckets.set(shardKey, bucket);
    }
    bucket.usedAt = now;
    this.shape(bucket, now);
    return bucket;
  }

  // A full, unthrottled bucket is what a new one would be (or more, when new ones start empty), so
  // forgetting it never lets more through.
  private prune(now: number): void {
    for (const [key, bucket] of this.buckets) {
      if (
        this.factor(bucket, now) >= 1 &&
        bucket.records.available(now) >= bucket.records.capacity &&
        bucket.bytes.available(now) >= bucket.bytes.capacity
      ) {
        this.buckets.delete(key);
      }
    }
  }
}
