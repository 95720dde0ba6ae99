import { ConfigurationError } from '../../functions/core/errors';
import { ShardMap, type ListedShard } from '../../functions/core/record-format/shard-map';
import { systemClock, type Clock } from '../../functions/core/time/clock';

/** Kinesis's write limits for one shard. */
export const KINESIS_SHARD_WRITE_RECORDS_PER_SECOND = 1000;
export const KINESIS_SHARD_WRITE_BYTES_PER_SECOND = 1024 * 1024;

/** Operations after which a stream's shards may have changed, so its cached ranges are dropped. */
const RESHAPING_OPERATIONS = new Set([
  'SplitShard',
  'MergeShards',
  'UpdateShardCount',
  'CreateStream',
  'DeleteStream',
]);

export interface ShardWriteLimitsOptions {
  /** The time the buckets refill on. @default systemClock */
  readonly clock?: Clock;
  /** @default 1000 */
  readonly recordsPerSecond?: number;
  /** @default 1 MiB */
  readonly bytesPerSecond?: number;
}

/** One entry of a PutRecords (or the input of a PutRecord) as sent on the wire: Data is base64. */
export interface WireEntry {
  readonly Data?: unknown;
  readonly PartitionKey?: unknown;
  readonly ExplicitHashKey?: unknown;
}

/** What one shard was offered and what it let through. */
export interface ShardWriteUsage {
  readonly stream: string;
  readonly shardId: string;
  readonly recordsAccepted: number;
  readonly bytesAccepted: number;
  readonly entriesThrottled: number;
  /** Clock time of the first and the last entry offered to the shard. */
  readonly firstAt: number;
  readonly lastAt: number;
}

interface ShardState {
  records: number;
  bytes: number;
  updatedAt: number;
  usage: {
    stream: string;
    shardId: string;
    recordsAccepted: number;
    bytesAccepted: number;
    entriesThrottled: number;
    firstAt: number;
    lastAt: number;
  };
}

/** Lists a stream's shards (all of them, as kinesalite's ListShards answers without paging). */
export type ShardLister = (stream: string) => Promise<readonly ListedShard[]>;

/**
 * Kinesis's per-shard write limits, which kinesalite does not enforce: a records bucket and a bytes
 * bucket per shard, each refilling continuously at the limit on an injected clock and holding one
 * second of it. An entry is accepted only when both buckets hold enough for it (an aggregated record
 * counts once for records and with its full size, data plus partition key, for bytes); otherwise it
 * fails with ProvisionedThroughputExceededException and takes nothing. Deterministic: the same calls at
 * the same clock times get the same answers. The entry's shard is found as Kinesis finds it, from the
 * MD5 of its partition key or its ExplicitHashKey, against the stream's open shards' ranges.
 */
export class ShardWriteLimits {
  readonly recordsPerSecond: number;
  readonly bytesPerSecond: number;
  private readonly clock: Clock;
  private readonly shards = new Map<string, ShardState>();
  private readonly maps = new Map<string, ShardMap>();
  /** Entries throttled in each second of the clock (its milliseconds over 1,000, rounded down). */
  private readonly throttledBySecond = new Map<number, number>();

  constructor(options: ShardWriteLimitsOptions = {}) {
    this.clock = options.clock ?? systemClock;
    this.recordsPerSecond = positive(
      options.recordsPerSecond ?? KINESIS_SHARD_WRITE_RECORDS_PER_SECOND,
      'recordsPerSecond',
    );
    this.bytesPerSecond = positive(
      options.bytesPerSecond ?? KINESIS_SHARD_WRITE_BYTES_PER_SECOND,
      'bytesPerSecond',
    );
  }

  /** Tells the limits about a call the proxy forwards, so a reshaped stream's ranges are listed again. */
  observe(operation: string, input: Readonly<Record<string, unknown>>): void {
    if (!RESHAPING_OPERATIONS.has(operation)) return;
    if (typeof input.StreamName === 'string') this.maps.delete(input.StreamName);
    else this.maps.clear();
  }

  /**
   * Decides each entry of a PutRecords: `true` where the shard's limits let it through. Undefined when
   * the request cannot be judged (an unknown stream, a malformed entry): kinesalite's own validation
   * then answers it.
   */
  async admitEntries(
    stream: unknown,
    entries: readonly WireEntry[],
    listShards: ShardLister,
  ): Promise<boolean[] | undefined> {
    if (typeof stream !== 'string') return undefined;
    const map = await this.mapOf(stream, listShards);
    if (!map) return undefined;
    const placed: { shardId: string; bytes: number }[] = [];
    for (const entry of entries) {
      const place = placeEntry(map, entry);
      if (!place) return undefined;
      placed.push(place);
    }
    const now = this.clock.now();
    return placed.map(({ shardId, bytes }) => this.admit(stream, shardId, bytes, now));
  }

  /** Every shard offered a write so far, with what it accepted and throttled. */
  usage(): ShardWriteUsage[] {
    return [...this.shards.values()].map((state) => ({ ...state.usage }));
  }

  /**
   * When the throttled entries were refused: their count per second of the clock since `from`, as
   * [seconds after `from`, entries] for each second that had any. Says whether throttling came with
   * a start, a change or the steady state.
   */
  throttleTimeline(from: number): [number, number][] {
    const first = Math.floor(from / 1000);
    return [...this.throttledBySecond]
      .sort(([a], [b]) => a - b)
      .map(([second, count]) => [second - first, count]);
  }

  /** Entries throttled so far across all shards. */
  get throttledEntries(): number {
    let total = 0;
    for (const state of this.shards.values()) total += state.usage.entriesThrottled;
    return total;
  }

  private admit(stream: string, shardId: string, bytes: number, now: number): boolean {
    const state = this.state(stream, shardId, now);
    this.refill(state, now);
    state.usage.lastAt = now;
    // A record larger than a second of bytes (a stream raised past 1 MiB) goes once the bucket is
    // full, leaving it in debt, so it is never refused for good.
    const needBytes = Math.min(bytes, this.bytesPerSecond);
    if (state.records < 1 || state.bytes < needBytes) {
      state.usage.entriesThrottled++;
      const second = Math.floor(now / 1000);
      this.throttledBySecond.set(second, (this.throttledBySecond.get(second) ?? 0) + 1);
      return false;
    }
    state.records -= 1;
    state.bytes -= bytes;
    state.usage.recordsAccepted++;
    state.usage.bytesAccepted += bytes;
    return true;
  }

  private state(stream: string, shardId: string, now: number): ShardState {
    const key = `${stream}\u0000${shardId}`;
    let state = this.shards.get(key);
    if (!state) {
      state = {
        records: this.recordsPerSecond,
        bytes: this.bytesPerSecond,
        updatedAt: now,
        usage: {
          stream,
          shardId,
          recordsAccepted: 0,
          bytesAccepted: 0,
          entriesThrottled: 0,
          firstAt: now,
          lastAt: now,
        },
      };
      this.shards.set(key, state);
    }
    return state;
  }

  private refill(state: ShardState, now: number): void {
    const elapsed = now - state.updatedAt;
    if (elapsed <= 0) return;
    state.records = Math.min(this.recordsPerSecond, state.records + (elapsed * this.recordsPerSecond) / 1000);
    state.bytes = Math.min(this.bytesPerSecond, state.bytes + (elapsed * this.bytesPerSecond) / 1000);
    state.updatedAt = now;
  }

  private async mapOf(stream: string, listShards: ShardLister): Promise<ShardMap | undefined> {
    const cached = this.maps.get(stream);
    if (cached) return cached;
    try {
      const map = ShardMap.fromShards(await listShards(stream));
      this.maps.set(stream, map);
      return map;
    } catch {
      return undefined;
    }
  }
}

/** The open shard an entry lands on and the bytes it counts, or undefined for an entry Kinesis would refuse. */
function placeEntry(map: ShardMap, entry: WireEntry): { shardId: string; bytes: number } | undefined {
  const { Data, PartitionKey, ExplicitHashKey } = entry;
  if (typeof Data !== 'string' || typeof PartitionKey !== 'string' || PartitionKey.length === 0)
    return undefined;
  if (ExplicitHashKey !== undefined && typeof ExplicitHashKey !== 'string') return undefined;
  try {
    const shard = map.shardFor(PartitionKey, ExplicitHashKey);
    return {
      shardId: shard.shardId,
      bytes: Buffer.byteLength(Data, 'base64') + Buffer.byteLength(PartitionKey),
    };
  } catch {
    return undefined;
  }
}

function positive(value: number, field: string): number {
  if (!Number.isFinite(value) || value <= 0) {
    throw new ConfigurationError(`${field} must be a positive number; got ${value}.`, field);
  }
  return value;
}

/**
 * The share of the shards' write limits used between `from` and `to`: per shard, the larger of the
 * records and bytes fractions; averaged over `shardCount` shards (those never written count as 0).
 */
export function shardUtilisation(
  usage: readonly ShardWriteUsage[],
  limits: { readonly recordsPerSecond: number; readonly bytesPerSecond: number },
  window: { readonly from: number; readonly to: number; readonly shardCount: number },
): number {
  const seconds = (window.to - window.from) / 1000;
  if (seconds <= 0 || window.shardCount <= 0) return 0;
  let sum = 0;
  for (const shard of usage) {
    sum += Math.max(
      shard.recordsAccepted / (limits.recordsPerSecond * seconds),
      shard.bytesAccepted / (limits.bytesPerSecond * seconds),
    );
  }
  return sum / window.shardCount;
}
