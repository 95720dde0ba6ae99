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

  constructor(
    readonly ratePerSecond: number,
    readonly capacity: number,
    now: number,
  ) {
    this.tokens = capacity;
    this.updatedAt = now;
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
    return needed <= 0 ? 0 : Math.ceil((needed * 1000) / this.ratePerSecond);
  }

  take(amount: number, now: number): void {
    this.refill(now);
    this.tokens -= amount;
  }

  private refill(now: number): void {
    if (now > this.updatedAt) {
      this.tokens = Math.min(
        this.capacity,
        this.tokens + ((now - this.updatedAt) * this.ratePerSecond) / 1000,
      );
      this.updatedAt = now;
    }
  }
}

export interface ShardRateLimiterOptions {
  readonly clock: Clock;
  /** Percent of the shard limits to allow (the KPL's RateLimit). @default - RateLimit's default */
  readonly rateLimitPercent?: number;
  /** @default 1000 */
  readonly recordsPerSecond?: number;
  /** @default 1 MiB */
  readonly bytesPerSecond?: number;
}

/**
 * The KPL's per-shard limiter: a records bucket and a bytes bucket per shard, scaled by RateLimit.
 * It lives as long as the Lambda container, so consecutive batches share one budget per shard.
 */
export class ShardRateLimiter {
  private readonly buckets = new Map<string, { records: TokenBucket; bytes: TokenBucket; usedAt: number }>();
  private readonly recordsPerSecond: number;
  private readonly bytesPerSecond: number;

  constructor(private readonly options: ShardRateLimiterOptions) {
    const scale = (options.rateLimitPercent ?? PRODUCER_DEFAULTS.rateLimitPercent) / 100;
    this.recordsPerSecond = (options.recordsPerSecond ?? SHARD_RECORDS_PER_SECOND) * scale;
    this.bytesPerSecond = (options.bytesPerSecond ?? SHARD_BYTES_PER_SECOND) * scale;
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

  private bucket(shardKey: string, now: number) {
    let bucket = this.buckets.get(shardKey);
    if (!bucket) {
      if (this.buckets.size >= 10000) this.prune(now);
      bucket = {
        records: new TokenBucket(this.recordsPerSecond, this.recordsPerSecond, now),
        bytes: new TokenBucket(this.bytesPerSecond, this.bytesPerSecond, now),
        usedAt: now,
      };
      this.buckets.set(shardKey, bucket);
    }
    bucket.usedAt = now;
    return bucket;
  }

  // A full bucket is what a new one would be, so forgetting it changes nothing.
  private prune(now: number): void {
    for (const [key, bucket] of this.buckets) {
      if (
        bucket.records.available(now) >= bucket.records.capacity &&
        bucket.bytes.available(now) >= bucket.bytes.capacity
      ) {
        this.buckets.delete(key);
      }
    }
  }
}
