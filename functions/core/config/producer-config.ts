import { AWS_SETTINGS, AWS_UNSUPPORTED, readAwsConfig } from './aws-config';
import type * as ConsumerSettings from './consumer-settings';
import {
  loadEnv,
  loadProperties,
  loadTyped,
  type PropertiesSource,
  type Schema,
  type UnsupportedKey,
} from './loader';
import {
  PRODUCER_SETTINGS,
  PRODUCER_SETTINGS_LIST,
  type ProducerConfig,
  type ProducerOptions,
} from './producer-settings';
import { checkStreamRegions, read, type Problems, type Reader, type Setting } from './validate';

const KPL_NATIVE = 'configures the KPL native process, which this producer does not have; remove it.';
const KPL_METRICS =
  'configures KPL CloudWatch metrics; this producer publishes its metrics through Powertools instead. Remove it.';

/** KPL keys a ported file may carry that have no effect here, each with what to do instead. */
const KPL_UNSUPPORTED: readonly UnsupportedKey[] = [
  {
    key: 'ThreadingModel',
    accepted: ['POOLED'],
    reason:
      `PER_REQUEST has no equivalent: the producer keeps at most ${PRODUCER_SETTINGS.threadPoolSize.key} requests in flight. ` +
      'Remove it or set it to POOLED.',
  },
  {
    key: 'MaxConnections',
    reason: `has no separate equivalent: ${PRODUCER_SETTINGS.threadPoolSize.key} bounds concurrent requests; use it.`,
  },
  {
    key: 'aws.producer.maxConnections',
    reason: `has no separate equivalent: use ${PRODUCER_SETTINGS.threadPoolSize.key}.`,
  },
  { key: 'MinConnections', reason: 'has no equivalent; remove it.' },
  { key: 'ConnectTimeout', reason: `is ${AWS_SETTINGS.connectionTimeoutMillis.key} here; use that key.` },
  { key: 'Region', reason: `is ${AWS_SETTINGS.region.key} here; use that key.` },
  { key: 'KinesisEndpoint', reason: `is ${AWS_SETTINGS.endpoint.key} here (a full URL); use that key.` },
  { key: 'KinesisPort', reason: `is part of ${AWS_SETTINGS.endpoint.key} here (a full URL); use that key.` },
  {
    key: 'StsEndpoint',
    reason: 'is aws.credentials.provider.role.stsEndpoint here (a full URL); use that key.',
  },
  { key: 'StsPort', reason: 'is part of aws.credentials.provider.role.stsEndpoint here; use that key.' },
  { key: 'CloudwatchEndpoint', reason: KPL_METRICS },
  { key: 'CloudwatchPort', reason: KPL_METRICS },
  { key: 'MetricsLevel', reason: KPL_METRICS },
  { key: 'MetricsGranularity', reason: KPL_METRICS },
  { key: 'MetricsNamespace', reason: KPL_METRICS },
  { key: 'MetricsUploadDelay', reason: KPL_METRICS },
  {
    key: 'VerifyCertificate',
    accepted: ['true'],
    reason: 'turns off TLS certificate checks, which this producer never does; remove it.',
  },
  { key: 'LogLevel', reason: 'configures the KPL native log; set POWERTOOLS_LOG_LEVEL instead.' },
  { key: 'NativeExecutable', reason: KPL_NATIVE },
  { key: 'TempDirectory', reason: KPL_NATIVE },
  { key: 'EnableCoreDumps', reason: KPL_NATIVE },
  {
    key: 'CredentialsRefreshDelay',
    reason: 'has no equivalent: the SDK refreshes credentials itself; remove it.',
  },
];

const PRODUCER_SCHEMA: Schema<ProducerConfig> = {
  subject: 'producer',
  settings: PRODUCER_SETTINGS_LIST,
  aliases: {
    'aws.producer.collectionMaxCount': PRODUCER_SETTINGS.collectionMaxCount.key,
    'aws.producer.aggregationMaxCount': PRODUCER_SETTINGS.aggregationMaxCount.key,
    'aws.producer.rateLimit': PRODUCER_SETTINGS.rateLimitPercent.key,
  },
  unsupported: [...AWS_UNSUPPORTED, ...KPL_UNSUPPORTED],
  // Required when first needed (see Schema.otherSettings): a producer's cold start never builds them.
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- see above
  otherSettings: () => (require('./consumer-settings') as typeof ConsumerSettings).CONSUMER_SETTINGS_LIST,
  build: buildProducerConfig,
};

function buildProducerConfig(reader: Reader, problems: Problems): ProducerConfig {
  const S = PRODUCER_SETTINGS;
  const r = <T>(s: Setting<T> & { default: T }) => read(s, reader, problems);
  const name = (s: Setting<unknown>) => reader.nameOf(s.key, s.path);
  const defaultStream = read(S.defaultStream, reader, problems);
  const defaultPartitionKey = read(S.defaultPartitionKey, reader, problems);
  const allowedStreams = read(S.allowedStreams, reader, problems);
  const deadLetterQueueUrl = read(S.deadLetterQueueUrl, reader, problems);
  const sourceQueueUrl = read(S.sourceQueueUrl, reader, problems);
  const maxReceiveCount = read(S.maxReceiveCount, reader, problems);
  const config: ProducerConfig = {
    aws: readAwsConfig(reader, problems),
    aggregationEnabled: r(S.aggregationEnabled),
    aggregationMaxCount: r(S.aggregationMaxCount),
    aggregationMaxSizeBytes: r(S.aggregationMaxSizeBytes),
    collectionMaxCount: r(S.collectionMaxCount),
    collectionMaxSizeBytes: r(S.collectionMaxSizeBytes),
    recordMaxBufferedTimeMillis: r(S.recordMaxBufferedTimeMillis),
    recordTtlMillis: r(S.recordTtlMillis),
    requestTimeoutMillis: r(S.requestTimeoutMillis),
    rateLimitPercent: r(S.rateLimitPercent),
    threadPoolSize: r(S.threadPoolSize),
    failIfThrottled: r(S.failIfThrottled),
    ...(defaultStream !== undefined ? { defaultStream } : {}),
    ...(defaultPartitionKey !== undefined ? { defaultPartitionKey } : {}),
    ...(allowedStreams !== undefined ? { allowedStreams } : {}),
    raw: r(S.raw),
    maxRecordSizeBytes: r(S.maxRecordSizeBytes),
    failOnError: r(S.failOnError),
    producerName: r(S.producerName),
    ...(deadLetterQueueUrl !== undefined ? { deadLetterQueueUrl } : {}),
    ...(sourceQueueUrl !== undefined ? { sourceQueueUrl } : {}),
    ...(maxReceiveCount !== undefined ? { maxReceiveCount } : {}),
    retryBaseMillis: r(S.retryBaseMillis),
    retryMaxMillis: r(S.retryMaxMillis),
    retryExpConst: r(S.retryExpConst),
    shardMapTtlMillis: r(S.shardMapTtlMillis),
    heapGrowingPercent: r(S.heapGrowingPercent),
  };

  if (config.aggregationMaxSizeBytes > config.maxRecordSizeBytes) {
    problems.add(
      S.aggregationMaxSizeBytes.key,
      `${name(S.aggregationMaxSizeBytes)} must be at most ${name(S.maxRecordSizeBytes)} ` +
        `(${config.maxRecordSizeBytes}), since an aggregated record is one Kinesis record; got ${config.aggregationMaxSizeBytes}.`,
    );
  }
  if (config.collectionMaxSizeBytes < config.maxRecordSizeBytes) {
    problems.add(
      S.collectionMaxSizeBytes.key,
      `${name(S.collectionMaxSizeBytes)} must be at least ${name(S.maxRecordSizeBytes)} ` +
        `(${config.maxRecordSizeBytes}), so the largest record fits in a request; got ${config.collectionMaxSizeBytes}.`,
    );
  }
  if (defaultStream !== undefined)
    checkStreamRegions(
      [defaultStream],
      config.aws.region,
      name(S.defaultStream),
      S.defaultStream.key,
      problems,
    );
  if (allowedStreams !== undefined)
    checkStreamRegions(
      allowedStreams,
      config.aws.region,
      name(S.allowedStreams),
      S.allowedStreams.key,
      problems,
    );
  if (config.raw && defaultStream === undefined) {
    problems.add(
      S.defaultStream.key,
      `${name(S.defaultStream)} is required when ${name(S.raw)} is true: raw messages carry no stream name.`,
    );
  }
  if (
    defaultStream !== undefined &&
    allowedStreams !== undefined &&
    !allowedStreams.includes(defaultStream)
  ) {
    problems.add(
      S.defaultStream.key,
      `${name(S.defaultStream)} must be one of ${name(S.allowedStreams)} (${allowedStreams.join(', ')}); ` +
        `got "${defaultStream}".`,
    );
  }
  return config;
}

/** Validates typed producer options once, fills in every default and freezes the result. */
export function producerConfig(options: ProducerOptions): ProducerConfig {
  return loadTyped(PRODUCER_SCHEMA, options);
}

/**
 * Loads a producer configuration written with the reference connector's and the KPL's property keys:
 * the text of a `.properties` file or its key/value pairs, plus optional typed options from code.
 */
export function producerConfigFromProperties(
  source: PropertiesSource,
  overrides?: ProducerOptions,
): ProducerConfig {
  return loadProperties(PRODUCER_SCHEMA, source, overrides);
}

/** Loads a producer configuration from `SKC_*` environment variables (docs/configuration.md lists them). */
export function producerConfigFromEnv(
  env: Readonly<Record<string, string | undefined>> = process.env,
  overrides?: ProducerOptions,
): ProducerConfig {
  return loadEnv(PRODUCER_SCHEMA, env, overrides);
}
