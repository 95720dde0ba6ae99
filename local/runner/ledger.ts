import type { DeliveredBatch } from './consumer-protocol';

/**
 * Per shard: distinct records the producer wrote to it and distinct records the consumer delivered
 * from it (a record the producer wrote to two shards, as it may around a resharding, counts on both).
 */
export interface ShardCounts {
  readonly stream: string;
  readonly shardId: string;
  readonly written: number;
  readonly consumed: number;
  /** Written and not yet delivered from this shard. */
  readonly lag: number;
  /** Closed by a resharding. */
  readonly closed: boolean;
}

/** The running totals of a local run. */
export interface LedgerCounts {
  /** Records the producer's queue accepted. */
  readonly sent: number;
  /** Records `ProducerClient` refused or could not send. */
  readonly rejected: number;
  /** User records written to the streams (a record the producer wrote twice counts twice). */
  readonly written: number;
  /** Distinct sent records the consumer delivered. */
  readonly consumed: number;
  /** Deliveries beyond the first of a record. */
  readonly duplicates: number;
  /** Deliveries of data that was not a record this run sent. */
  readonly unknown: number;
}

/** Percentiles of end-to-end latency (send to delivery), in milliseconds. */
export interface LatencyPercentiles {
  readonly p50: number;
  readonly p99: number;
  readonly max: number;
}

/**
 * What a run sent, wrote and consumed, record by record: the ids the generator sent and when, the
 * user records written per shard, and every delivery, so that missing records, duplicates and
 * latency come from the records themselves.
 */
export class RunLedger {
  private readonly sentAt = new Map<string, number>();
  /** First delivery time of each delivered record. */
  private readonly firstDelivery = new Map<string, number>();
  private readonly shardCounts = new Map<
    string,
    { written: Set<string>; consumed: Set<string>; closed: boolean }
  >();
  private rejectedCount = 0;
  private writtenCount = 0;
  private duplicateCount = 0;
  private unknownCount = 0;
  private waiters: { count: number; resolve: () => void }[] = [];

  /** A record handed to the producer's queue at `at`. */
  sent(id: string, at: number): void {
    this.sentAt.set(id, at);
  }

  /** Records the queue did not accept after all: they were never sent. */
  rejected(ids: readonly string[]): void {
    for (const id of ids) if (this.sentAt.delete(id)) this.rejectedCount++;
  }

  /** Records the producer wrote to one shard, by id ('' for data that is not a record of this run). */
  written(stream: string, shardId: string, ids: readonly string[]): void {
    this.writtenCount += ids.length;
    const shard = this.shard(stream, shardId);
    for (const id of ids) if (this.sentAt.has(id)) shard.written.add(id);
  }

  /** Marks shards closed by a resharding. */
  closed(stream: string, shardIds: readonly string[]): void {
    for (const shardId of shardIds) this.shard(stream, shardId).closed = true;
  }

  /** A batch the consumer's processor received. */
  delivered(batch: DeliveredBatch): void {
    const shard = this.shard(batch.stream, batch.shardId);
    for (const [id] of batch.records) {
      if (!this.sentAt.has(id)) {
        this.unknownCount++;
        continue;
      }
      if (this.firstDelivery.has(id)) this.duplicateCount++;
      else this.firstDelivery.set(id, batch.deliveredAt);
      shard.consumed.add(id);
    }
    this.wake();
  }

  get counts(): LedgerCounts {
    return {
      sent: this.sentAt.size,
      rejected: this.rejectedCount,
      written: this.writtenCount,
      consumed: this.firstDelivery.size,
      duplicates: this.duplicateCount,
      unknown: this.unknownCount,
    };
  }

  /** Every shard seen, by stream and shard id. */
  shards(): ShardCounts[] {
    return [...this.shardCounts.entries()]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([key, c]) => {
        const slash = key.indexOf('/');
        return {
          stream: key.slice(0, slash),
          shardId: key.slice(slash + 1),
          written: c.written.size,
          consumed: c.consumed.size,
          lag: Math.max(0, c.written.size - c.consumed.size),
          closed: c.closed,
        };
      });
  }

  /** Sent records never delivered, in id order. */
  missing(): string[] {
    return [...this.sentAt.keys()].filter((id) => !this.firstDelivery.has(id)).sort();
  }

  /** End-to-end latency of every delivered record: first delivery less the moment it was sent. */
  latency(): LatencyPercentiles | undefined {
    const latencies: number[] = [];
    for (const [id, deliveredAt] of this.firstDelivery) {
      latencies.push(deliveredAt - (this.sentAt.get(id) ?? deliveredAt));
    }
    if (latencies.length === 0) return undefined;
    latencies.sort((a, b) => a - b);
    return {
      p50: percentile(latencies, 0.5),
      p99: percentile(latencies, 0.99),
      max: latencies[latencies.length - 1] as number,
    };
  }

  /** Every record sent, with when it was sent and first delivered (if it was). */
  *records(): Generator<{ readonly id: string; readonly sentAt: number; readonly deliveredAt?: number }> {
    for (const [id, sentAt] of this.sentAt) {
      const deliveredAt = this.firstDelivery.get(id);
      yield deliveredAt === undefined ? { id, sentAt } : { id, sentAt, deliveredAt };
    }
  }

  /** Whether the producer wrote the record to some shard. */
  isWritten(id: string): boolean {
    for (const shard of this.shardCounts.values()) if (shard.written.has(id)) return true;
    return false;
  }

  /** Resolves once `count` distinct records are consumed. */
  whenConsumed(count: number): Promise<void> {
    if (this.firstDelivery.size >= count) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ count, resolve }));
  }

  private shard(stream: string, shardId: string) {
    const key = `${stream}/${shardId}`;
    let counts = this.shardCounts.get(key);
    if (!counts) {
      counts = { written: new Set<string>(), consumed: new Set<string>(), closed: false };
      this.shardCounts.set(key, counts);
    }
    return counts;
  }

  private wake(): void {
    const consumed = this.firstDelivery.size;
    const ready = this.waiters.filter((w) => consumed >= w.count);
    if (ready.length === 0) return;
    this.waiters = this.waiters.filter((w) => consumed < w.count);
    for (const waiter of ready) waiter.resolve();
  }
}

/** The nearest-rank percentile of sorted values. */
export function percentile(sorted: readonly number[], fraction: number): number {
  if (sorted.length === 0) throw new RangeError('No values to take a percentile of.');
  const rank = Math.ceil(fraction * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1] as number;
}
