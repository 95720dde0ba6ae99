// TEMPORARY: replaced by the loaders of functions/core/config when they land on main.
import type { AwsSettings } from '../core/aws/clients';
import { ConfigurationError } from '../core/errors';
import type { MessageFormat } from '../core/producer/message-contract';
import type { ProducerSettings } from '../core/producer/producer';

export interface ProducerEnvironment {
  readonly aws: AwsSettings;
  readonly settings: ProducerSettings;
  readonly deadLetterQueueUrl?: string;
  readonly failOnError: boolean;
  readonly metricsNamespace: string;
}

const NUMBER_KEYS = {
  AggregationMaxCount: 'aggregationMaxCount',
  AggregationMaxSize: 'aggregationMaxSize',
  CollectionMaxCount: 'collectionMaxCount',
  CollectionMaxSize: 'collectionMaxSize',
  RecordTtl: 'recordTtlMillis',
  RequestTimeout: 'requestTimeoutMillis',
  RateLimit: 'rateLimit',
  ThreadPoolSize: 'threadPoolSize',
  MaxRecordSize: 'maxRecordSizeBytes',
} as const;

/** The producer Lambda's settings from its environment: KPL keys as `KPL_<Key>`, the rest as `PRODUCER_*`. */
export function producerEnvironment(env: NodeJS.ProcessEnv): ProducerEnvironment {
  const region = env.AWS_REGION ?? env.AWS_DEFAULT_REGION;
  if (!region)
    throw new ConfigurationError('AWS_REGION is not set; the producer needs a region.', 'AWS_REGION');
  const settings: Record<string, unknown> = {};
  for (const [key, field] of Object.entries(NUMBER_KEYS)) {
    const raw = env[`KPL_${key}`];
    if (raw === undefined || raw === '') continue;
    const value = Number(raw);
    if (!Number.isFinite(value)) {
      throw new ConfigurationError(`KPL_${key} is "${raw}"; it must be a number.`, `KPL_${key}`);
    }
    settings[field] = value;
  }
  for (const [key, field] of [
    ['AggregationEnabled', 'aggregationEnabled'],
    ['FailIfThrottled', 'failIfThrottled'],
  ] as const) {
    const raw = env[`KPL_${key}`];
    if (raw !== undefined && raw !== '') settings[field] = parseBoolean(raw, `KPL_${key}`);
  }
  const format = env.PRODUCER_MESSAGE_FORMAT as MessageFormat | undefined;
  if (format !== undefined && format !== 'envelope' && format !== 'raw') {
    throw new ConfigurationError(
      `PRODUCER_MESSAGE_FORMAT is "${format}"; it must be envelope or raw.`,
      'PRODUCER_MESSAGE_FORMAT',
    );
  }
  const allowed = env.PRODUCER_ALLOWED_STREAMS?.split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  return {
    aws: {
      region,
      ...(env.AWS_ENDPOINT_URL ? { endpoint: env.AWS_ENDPOINT_URL } : {}),
    },
    settings: {
      ...(settings as Partial<ProducerSettings>),
      ...(env.PRODUCER_DEFAULT_STREAM ? { defaultStream: env.PRODUCER_DEFAULT_STREAM } : {}),
      ...(env.PRODUCER_DEFAULT_PARTITION_KEY
        ? { defaultPartitionKey: env.PRODUCER_DEFAULT_PARTITION_KEY }
        : {}),
      ...(format ? { messageFormat: format } : {}),
      ...(allowed && allowed.length > 0 ? { allowedStreams: allowed } : {}),
    },
    ...(env.PRODUCER_DEAD_LETTER_QUEUE_URL ? { deadLetterQueueUrl: env.PRODUCER_DEAD_LETTER_QUEUE_URL } : {}),
    failOnError: parseBoolean(env.PRODUCER_FAIL_ON_ERROR ?? 'false', 'PRODUCER_FAIL_ON_ERROR'),
    metricsNamespace: env.POWERTOOLS_METRICS_NAMESPACE ?? 'ServerlessKinesisConnector',
  };
}

function parseBoolean(raw: string, key: string): boolean {
  if (/^(true|1)$/i.test(raw)) return true;
  if (/^(false|0)$/i.test(raw)) return false;
  throw new ConfigurationError(`${key} is "${raw}"; it must be true or false.`, key);
}
