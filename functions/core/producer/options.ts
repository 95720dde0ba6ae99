import { PRODUCER_DEFAULTS, PRODUCER_SETTINGS, type ProducerConfig } from '../config/producer-settings';
import type { Setting } from '../config/validate';
import { ConfigurationError } from '../errors';
import { resolveAggregationOptions } from '../record-format/aggregator';

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
  /** Backoff between retries of failed entries; full jitter. @default - producer.retry.backoff.* */
  readonly retryBaseMillis: number;
  readonly retryMaxMillis: number;
  readonly retryExpConst: number;
  /** How long a stream's shard map is trusted before it is listed again. @default - producer.shardmap.ttlmillis */
  readonly shardMapTtlMillis: number;
}

/** The settings table's row for each option: its default and its range are written there only. */
const SETTING_OF: Readonly<Record<keyof ProducerRuntimeOptions, Setting<unknown>>> = {
  aggregationEnabled: PRODUCER_SETTINGS.aggregationEnabled,
  aggregationMaxCount: PRODUCER_SETTINGS.aggregationMaxCount,
  aggregationMaxSizeBytes: PRODUCER_SETTINGS.aggregationMaxSizeBytes,
  collectionMaxCount: PRODUCER_SETTINGS.collectionMaxCount,
  collectionMaxSizeBytes: PRODUCER_SETTINGS.collectionMaxSizeBytes,
  maxRecordSizeBytes: PRODUCER_SETTINGS.maxRecordSizeBytes,
  recordTtlMillis: PRODUCER_SETTINGS.recordTtlMillis,
  requestTimeoutMillis: PRODUCER_SETTINGS.requestTimeoutMillis,
  rateLimitPercent: PRODUCER_SETTINGS.rateLimitPercent,
  threadPoolSize: PRODUCER_SETTINGS.threadPoolSize,
  failIfThrottled: PRODUCER_SETTINGS.failIfThrottled,
  retryBaseMillis: PRODUCER_SETTINGS.retryBaseMillis,
  retryMaxMillis: PRODUCER_SETTINGS.retryMaxMillis,
  retryExpConst: PRODUCER_SETTINGS.retryExpConst,
  shardMapTtlMillis: PRODUCER_SETTINGS.shardMapTtlMillis,
};

const KEYS = Object.keys(SETTING_OF) as (keyof ProducerRuntimeOptions)[];

export const DEFAULT_PRODUCER_OPTIONS: ProducerRuntimeOptions = Object.fromEntries(
  KEYS.map((key) => [key, (PRODUCER_DEFAULTS as Record<string, unknown>)[key]]),
) as unknown as ProducerRuntimeOptions;

/** The limits and timings a validated `ProducerConfig` sets. */
export function runtimeOptionsFromConfig(config: ProducerConfig): Partial<ProducerRuntimeOptions> {
  return Object.fromEntries(KEYS.map((key) => [key, config[key]])) as Partial<ProducerRuntimeOptions>;
}

/**
 * The defaults overlaid with `overrides`, each checked against its settings row, and the aggregation
 * limits against what the codec builds (so a bad value fails here, before any batch).
 */
export function resolveProducerOptions(
  overrides: Partial<ProducerRuntimeOptions> = {},
): ProducerRuntimeOptions {
  const options: ProducerRuntimeOptions = { ...DEFAULT_PRODUCER_OPTIONS, ...stripUndefined(overrides) };
  for (const key of KEYS) {
    const { kind } = SETTING_OF[key];
    const value = options[key];
    if (kind.parse(value, false) === undefined) {
      throw new ConfigurationError(
        `Producer setting ${key} is ${String(value)}; it must be ${kind.allowed}.`,
        key,
      );
    }
  }
  if (options.aggregationEnabled) {
    resolveAggregationOptions({
      maxCount: options.aggregationMaxCount,
      maxSize: options.aggregationMaxSizeBytes,
      maxRecordSizeBytes: options.maxRecordSizeBytes,
    });
  }
  return options;
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
