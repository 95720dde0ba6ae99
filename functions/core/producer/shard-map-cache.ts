import { PRODUCER_DEFAULTS } from '../config/producer-settings';
import type { Shard } from '@aws-sdk/client-kinesis';
import { isRetryable, withRetries, type BackoffSettings } from '../aws/retry';
import type { Clock, Random } from '../time/clock';
import { ShardMap } from '../record-format';
import { ValidationError } from '../errors';

/** A stream's shards as listed at one moment. */
export interface StreamShards {
  readonly stream: string;
  /** Open shards only: where new records go. */
  readonly map: ShardMap;
  /** Every shard listed, by id, including closed ones. */
  readonly byId: ReadonlyMap<string, Shard>;
  /** Grows by one at every listing, so callers can tell whether a refresh already happened. */
  readonly version: number;
  readonly listedAt: number;
}

export interface ShardMapCacheOptions {
  readonly listShards: (stream: string) => Promise<Shard[]>;
  readonly clock: Clock;
  readonly random: Random;
  /** How long a listing is trusted. @default - producer.shardmap.ttlmillis's default */
  readonly ttlMillis?: number;
  /** @default 5 retries, 200 ms base, 2000 ms max, x2 */
  readonly backoff?: BackoffSettings;
}

const DEFAULT_BACKOFF: BackoffSettings = { maxRetries: 5, baseMillis: 200, maxMillis: 2000, expConst: 2 };

/**
 * Shard maps per stream, kept for the life of the Lambda container: listed on first use, again after
 * `ttlMillis`, and again at once when a put lands on a shard other than the one predicted.
 */
export class ShardMapCache {
  private readonly entries = new Map<string, StreamShards>();
  private readonly inFlight = new Map<string, Promise<StreamShards>>();
  private versions = 0;

  constructor(private readonly options: ShardMapCacheOptions) {}

  /** The stream's shards, listed now if there is no listing or it is older than the TTL. */
  async get(stream: string): Promise<StreamShards> {
    const cached = this.entries.get(stream);
    if (
      cached &&
      this.options.clock.now() - cached.listedAt <
        (this.options.ttlMillis ?? PRODUCER_DEFAULTS.shardMapTtlMillis)
    )
      return cached;
    return this.refresh(stream);
  }

  /** The version of the stream's newest listing; 0 before the first. */
  version(stream: string): number {
    return this.entries.get(stream)?.version ?? 0;
  }

  /**
   * Lists the stream again unless a listing newer than `seenVersion` exists; concurrent callers share
   * one ListShards.
   */
  async refresh(stream: string, seenVersion?: number): Promise<StreamShards> {
    const cached = this.entries.get(stream);
    if (cached && seenVersion !== undefined && cached.version > seenVersion) return cached;
    let pending = this.inFlight.get(stream);
    if (!pending) {
      pending = this.list(stream).finally(() => this.inFlight.delete(stream));
      this.inFlight.set(stream, pending);
    }
    return pending;
  }

  private async list(stream: string): Promise<StreamShards> {
    const { shards, map } = await withRetries(
      `ListShards(${stream})`,
      async () => {
        const listed = await this.options.listShards(stream);
        return { shards: listed, map: ShardMap.fromShards(listed) };
      },
      {
        settings: this.options.backoff ?? DEFAULT_BACKOFF,
        clock: this.options.clock,
        random: this.options.random,
        // A listing taken mid-reshard may not cover the hash key space yet; the next one will.
        retryable: (error) => error instanceof ValidationError || isRetryable(error),
      },
    );
    const entry: StreamShards = {
      stream,
      map,
      byId: new Map(shards.map((s) => [s.ShardId ?? '', s])),
      version: ++this.versions,
      listedAt: this.options.clock.now(),
    };
    this.entries.set(stream, entry);
    return entry;
  }
}
