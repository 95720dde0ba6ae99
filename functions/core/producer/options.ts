import { PRODUCER_DEFAULTS, type ProducerConfig } from '../config/producer-settings';
import { ConfigurationError } from '../errors';

/**
 * What the producer core runs with: the limits of `ProducerConfig` (the KPL's settings and defaults,
 * RateLimit as the reference connector sets it) plus the core's own retry and shard-map timings.
 */
export interface ProducerRuntimeOptions {
  /** Aggregate user records per predicted shard in the KPL format. @default true */
  readonly aggregationEnabled: boolean;
  /** User records per aggregated record. @default 4294967295 */
  readonly aggregationMaxCount: number;
  /** Bytes of one aggregated record. @default 51200 */
  readonly aggregationMaxSizeBytes: number;
  /** Records per PutRecords call. @default 500 */
  readonly collectionMaxCount: number;
  /** Bytes (data plus partition keys) per PutRecords call. @default 5 MiB */
  readonly collectionMaxSizeBytes: number;
  /** Kinesis's per-record limit, data plus partition key; a stream can be raised to 10 MiB. @default 1 MiB */
  readonly maxRecordSizeBytes: number;
  /** How long a record may wait, counted from when its message was sent. @default 30000 */
  readonly recordTtlMillis: number;
  /** How long one PutRecords call may take before it is abandoned and its records retried. @default 6000 */
  readonly requestTimeoutMillis: number;
  /** Percent of a shard's write limits (1 MiB/s, 1,000 records/s) the producer allows itself. @default 100 */
  readonly rateLimitPercent: number;
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

export const DEFAULT_PRODUCER_OPTIONS: ProducerRuntimeOptions = {
  aggregationEnabled: PRODUCER_DEFAULTS.aggregationEnabled,
  aggregationMaxCount: PRODUCER_DEFAULTS.aggregationMaxCount,
  aggregationMaxSizeBytes: PRODUCER_DEFAULTS.aggregationMaxSizeBytes,
  collectionMaxCount: PRODUCER_DEFAULTS.collectionMaxCount,
  collectionMaxSizeBytes: PRODUCER_DEFAULTS.collectionMaxSizeBytes,
  maxRecordSizeBytes: PRODUCER_DEFAULTS.maxRecordSizeBytes,
  recordTtlMillis: PRODUCER_DEFAULTS.recordTtlMillis,
  requestTimeoutMillis: PRODUCER_DEFAULTS.requestTimeoutMillis,
  rateLimitPercent: PRODUCER_DEFAULTS.rateLimitPercent,
  threadPoolSize: PRODUCER_DEFAULTS.threadPoolSize,
  failIfThrottled: PRODUCER_DEFAULTS.failIfThrottled,
  retryBaseMillis: 100,
  retryMaxMillis: 2000,
  retryExpConst: 2,
  shardMapTtlMillis: 60000,
};

/** The limits a validated `ProducerConfig` sets; the rest keep their defaults. */
export function runtimeOptionsFromConfig(config: ProducerConfig): Partial<ProducerRuntimeOptions> {
  return {
    aggregationEnabled: config.aggregationEnabled,
    aggregationMaxCount: config.aggregationMaxCount,
    aggregationMaxSizeBytes: config.aggregationMaxSizeBytes,
    collectionMaxCount: config.collectionMaxCount,
    collectionMaxSizeBytes: config.collectionMaxSizeBytes,
    maxRecordSizeBytes: config.maxRecordSizeBytes,
    recordTtlMillis: config.recordTtlMillis,
    requestTimeoutMillis: config.requestTimeoutMillis,
    rateLimitPercent: config.rateLimitPercent,
    threadPoolSize: config.threadPoolSize,
    failIfThrottled: config.failIfThrottled,
  };
}

const RANGES: Partial<Record<keyof ProducerRuntimeOptions, readonly [number, number]>> = {
  aggregationMaxCount: [1, 4294967295],
  aggregationMaxSizeBytes: [64, 10 * 1024 * 1024],
  collectionMaxCount: [1, 500],
  collectionMaxSizeBytes: [1, 10 * 1024 * 1024],
  // Kinesis's limit is 1 MiB unless a stream was raised; the codec refuses anything below it.
  maxRecordSizeBytes: [1024 * 1024, 10 * 1024 * 1024],
  recordTtlMillis: [100, Number.MAX_SAFE_INTEGER],
  requestTimeoutMillis: [100, 600000],
  rateLimitPercent: [1, Number.MAX_SAFE_INTEGER],
  threadPoolSize: [1, 1000],
  retryBaseMillis: [0, 600000],
  retryMaxMillis: [0, 600000],
  retryExpConst: [1, 100],
  shardMapTtlMillis: [0, 86400000],
};

/** The defaults overlaid with `overrides`, each number checked against its allowed range. */
export function resolveProducerOptions(
  overrides: Partial<ProducerRuntimeOptions> = {},
): ProducerRuntimeOptions {
  const options: ProducerRuntimeOptions = { ...DEFAULT_PRODUCER_OPTIONS, ...stripUndefined(overrides) };
  for (const [key, [min, max]] of Object.entries(RANGES) as [
    keyof ProducerRuntimeOptions,
    [number, number],
  ][]) {
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
