import { ConfigurationError } from '../errors';

/**
 * The producer's settings, with the KPL's names and defaults (RateLimit as the reference connector sets it).
 * The typed `ProducerConfig` of `core/config` maps into this.
 */
export interface ProducerOptions {
  /** Aggregate user records per predicted shard in the KPL format. @default true */
  readonly aggregationEnabled: boolean;
  /** User records per aggregated record. @default 4294967295 */
  readonly aggregationMaxCount: number;
  /** Bytes of one aggregated record. @default 51200 */
  readonly aggregationMaxSize: number;
  /** Records per PutRecords call. @default 500 */
  readonly collectionMaxCount: number;
  /** Bytes (data plus partition keys) per PutRecords call. @default 5 MiB */
  readonly collectionMaxSize: number;
  /** Kinesis's per-record limit, data plus partition key; a stream can be raised to 10 MiB. @default 1 MiB */
  readonly maxRecordSizeBytes: number;
  /** How long a record may wait, counted from when its message was sent. @default 30000 */
  readonly recordTtlMillis: number;
  /** How long one PutRecords call may take before it is abandoned and its records retried. @default 6000 */
  readonly requestTimeoutMillis: number;
  /** Percent of a shard's write limits (1 MiB/s, 1,000 records/s) the producer allows itself. @default 100 */
  readonly rateLimit: number;
  /** PutRecords calls in flight at once. @default 10 */
  readonly threadPoolSize: number;
  /** A throttled record fails at once instead of being retried. @default false */
  readonly failIfThrottled: boolean;
  /** Backoff between retries of failed entries; full jitter. @default 100 ms base, 2000 ms max, x2 */
  readonly retryBaseMillis: number;
  readonly retryMaxMillis: number;
  readonly retryExpConst: number;
  /** How long a stream's shard map is trusted before it is listed again. @default 60000 */
  readonly shardMapTtlMillis: number;
}

export const DEFAULT_PRODUCER_OPTIONS: ProducerOptions = {
  aggregationEnabled: true,
  aggregationMaxCount: 4294967295,
  aggregationMaxSize: 51200,
  collectionMaxCount: 500,
  collectionMaxSize: 5 * 1024 * 1024,
  maxRecordSizeBytes: 1024 * 1024,
  recordTtlMillis: 30000,
  requestTimeoutMillis: 6000,
  rateLimit: 100,
  threadPoolSize: 10,
  failIfThrottled: false,
  retryBaseMillis: 100,
  retryMaxMillis: 2000,
  retryExpConst: 2,
  shardMapTtlMillis: 60000,
};

const RANGES: Partial<Record<keyof ProducerOptions, readonly [number, number]>> = {
  aggregationMaxCount: [1, 4294967295],
  aggregationMaxSize: [64, 10 * 1024 * 1024],
  collectionMaxCount: [1, 500],
  collectionMaxSize: [1, 10 * 1024 * 1024],
  maxRecordSizeBytes: [1024, 10 * 1024 * 1024],
  recordTtlMillis: [100, Number.MAX_SAFE_INTEGER],
  requestTimeoutMillis: [100, 600000],
  rateLimit: [1, Number.MAX_SAFE_INTEGER],
  threadPoolSize: [1, 1000],
  retryBaseMillis: [0, 600000],
  retryMaxMillis: [0, 600000],
  retryExpConst: [1, 100],
  shardMapTtlMillis: [0, 86400000],
};

/** The defaults overlaid with `overrides`, each number checked against its allowed range. */
export function resolveProducerOptions(overrides: Partial<ProducerOptions> = {}): ProducerOptions {
  const options: ProducerOptions = { ...DEFAULT_PRODUCER_OPTIONS, ...stripUndefined(overrides) };
  for (const [key, [min, max]] of Object.entries(RANGES) as [keyof ProducerOptions, [number, number]][]) {
    const value = options[key];
    if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max) {
      throw new ConfigurationError(
        `Producer setting ${key} is ${String(value)}; it must be a number from ${min} to ${max}.`,
        key,
      );
    }
  }
  return options;
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
