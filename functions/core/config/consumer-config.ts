import { AWS_UNSUPPORTED, readAwsConfig } from './aws-config';
import { readBackoff } from './backoff';
import {
  CONSUMER_BACKOFF_KEYS,
  CONSUMER_SETTINGS,
  CONSUMER_SETTINGS_LIST,
  timestampInput,
  type ConsumerConfig,
  type ConsumerOptions,
  type InitialPosition,
} from './consumer-settings';
import { loadEnv, loadProperties, loadTyped, type PropertiesSource, type Schema } from './loader';
import type * as ProducerSettings from './producer-settings';
import { parseTimestamp } from './timestamp';
import { invalidMessage, read, type Problems, type Reader, type Setting } from './validate';

const EFO =
  'configures enhanced fan-out, which this connector does not use (it polls with GetRecords); remove it.';

const CONSUMER_SCHEMA: Schema<ConsumerConfig> = {
  subject: 'consumer',
  settings: CONSUMER_SETTINGS_LIST,
  aliases: {
    'flink.stream.describe.backoff.base': CONSUMER_BACKOFF_KEYS.listShards.baseMillis.key,
    'flink.stream.describe.backoff.max': CONSUMER_BACKOFF_KEYS.listShards.maxMillis.key,
    'flink.stream.describe.backoff.expconst': CONSUMER_BACKOFF_KEYS.listShards.expConst.key,
  },
  unsupported: [
    ...AWS_UNSUPPORTED,
    {
      key: 'flink.stream.recordpublisher',
      accepted: ['POLLING'],
      reason:
        'selects enhanced fan-out, which this connector does not use (it polls with GetRecords); ' +
        'remove it or set it to POLLING.',
    },
    { key: 'flink.stream.efo.', prefix: true, reason: EFO },
    { key: 'flink.stream.registerstreamconsumer.', prefix: true, reason: EFO },
    { key: 'flink.stream.deregisterstreamconsumer.', prefix: true, reason: EFO },
    { key: 'flink.stream.describestreamconsumer.', prefix: true, reason: EFO },
    { key: 'flink.shard.subscribetoshard.', prefix: true, reason: EFO },
    {
      key: 'flink.watermark.',
      prefix: true,
      reason:
        'configures Flink watermark alignment across subtasks, which has no equivalent here; remove it.',
    },
    {
      key: 'flink.dynamodbstreams.',
      prefix: true,
      reason: 'configures the DynamoDB Streams consumer, which this connector does not provide; remove it.',
    },
  ],
  // Required when first needed (see Schema.otherSettings): a consumer's cold start never builds them.
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- see above
  otherSettings: () => (require('./producer-settings') as typeof ProducerSettings).PRODUCER_SETTINGS_LIST,
  build: buildConsumerConfig,
};

function buildConsumerConfig(reader: Reader, problems: Problems): ConsumerConfig {
  const S = CONSUMER_SETTINGS;
  const r = <T>(s: Setting<T> & { default: T }) => read(s, reader, problems);
  const initialPosition = r(S.initialPosition);
  const initialTimestamp = readInitialTimestamp(reader, problems, initialPosition);
  return {
    aws: readAwsConfig(reader, problems),
    streams: read(S.streams, reader, problems) ?? [],
    initialPosition,
    ...(initialTimestamp ? { initialTimestamp } : {}),
    getRecords: {
      maxRecordCount: r(S.maxRecordCount),
      intervalMillis: r(S.getRecordsIntervalMillis),
      backoff: readBackoff(CONSUMER_BACKOFF_KEYS.getRecords, reader, problems),
    },
    getShardIterator: { backoff: readBackoff(CONSUMER_BACKOFF_KEYS.getShardIterator, reader, problems) },
    listShards: { backoff: readBackoff(CONSUMER_BACKOFF_KEYS.listShards, reader, problems) },
    discoveryIntervalMillis: r(S.discoveryIntervalMillis),
    adaptiveReads: r(S.adaptiveReads),
    shardIdleIntervalMillis: r(S.shardIdleIntervalMillis),
    parallelism: r(S.parallelism),
    checkpointIntervalMillis: r(S.checkpointIntervalMillis),
    timeBudgetMillis: r(S.timeBudgetMillis),
    batchSize: r(S.batchSize),
    maxBatchingMillis: r(S.maxBatchingMillis),
    checkpoint: readCheckpoint(reader, problems),
    failOnError: r(S.failOnError),
    deserializer: r(S.deserializer),
    consumerName: r(S.consumerName),
    delivery: {
      backoff: readBackoff(CONSUMER_BACKOFF_KEYS.delivery, reader, problems),
      bisect: r(S.bisect),
      ...optional('targetFunction', read(S.targetFunction, reader, problems)),
    },
    onFailure: {
      ...optional('queueUrl', read(S.onFailureQueueUrl, reader, problems)),
      maxMessageBytes: r(S.onFailureMaxMessageBytes),
    },
    costMode: r(S.costMode),
    idleReturnMillis: r(S.idleReturnMillis),
    exactlyOnce: readExactlyOnce(reader, problems),
    leaseSettleMillis: r(S.leaseSettleMillis),
    shutdownReserveMillis: r(S.shutdownReserveMillis),
  };
}

/** Exactly-once mode needs the DynamoDB checkpoint store (its lease's fencing token) and a state table. */
function readExactlyOnce(reader: Reader, problems: Problems): ConsumerConfig['exactlyOnce'] {
  const S = CONSUMER_SETTINGS;
  const enabled = read(S.exactlyOnce, reader, problems);
  const table = read(S.stateTable, reader, problems);
  const modeName = reader.nameOf(S.exactlyOnce.key, S.exactlyOnce.path);
  if (!enabled) {
    const given = reader.get(S.stateTable.key, S.stateTable.path);
    if (given) problems.add(given.name, `${given.name} is only used when ${modeName} is true.`);
    return { enabled: false };
  }
  const store = read(S.checkpointStore, reader, problems);
  if (store !== 'dynamodb') {
    const storeName = reader.nameOf(S.checkpointStore.key, S.checkpointStore.path);
    problems.add(
      S.exactlyOnce.key,
      `${modeName} is true but ${storeName} is ${store}: exactly-once commits the state with the checkpoint in one ` +
        `DynamoDB transaction fenced by the lease, which SSM cannot do. Set ${storeName} to dynamodb.`,
    );
  }
  if (table === undefined && !reader.get(S.stateTable.key, S.stateTable.path)) {
    const name = reader.nameOf(S.stateTable.key, S.stateTable.path);
    problems.add(S.stateTable.key, `${name} is required when ${modeName} is true: name the state table.`);
  }
  return { enabled: true, ...(table !== undefined ? { stateTable: table } : {}) };
}

function optional<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}

/** The store and its own settings: a DynamoDB table and an explicit consumer name go with dynamodb. */
function readCheckpoint(reader: Reader, problems: Problems): ConsumerConfig['checkpoint'] {
  const S = CONSUMER_SETTINGS;
  const store = read(S.checkpointStore, reader, problems);
  const table = read(S.dynamoDbTable, reader, problems);
  const storeName = reader.nameOf(S.checkpointStore.key, S.checkpointStore.path);
  if (store === 'dynamodb') {
    if (table === undefined && !reader.get(S.dynamoDbTable.key, S.dynamoDbTable.path)) {
      const name = reader.nameOf(S.dynamoDbTable.key, S.dynamoDbTable.path);
      problems.add(S.dynamoDbTable.key, `${name} is required when ${storeName} is dynamodb: name the table.`);
    }
    if (!reader.get(S.consumerName.key, S.consumerName.path)) {
      const name = reader.nameOf(S.consumerName.key, S.consumerName.path);
      problems.add(
        S.consumerName.key,
        `${name} is required when ${storeName} is dynamodb: it keys this consumer's items, so two consumers ` +
          'sharing a table must not both take the default.',
      );
    }
  } else {
    const given = reader.get(S.dynamoDbTable.key, S.dynamoDbTable.path);
    if (given)
      problems.add(given.name, `${given.name} is only used when ${storeName} is dynamodb; it is ${store}.`);
  }
  return {
    store,
    ssmPrefix: read(S.ssmPrefix, reader, problems),
    ssmTier: read(S.ssmTier, reader, problems),
    ...(store === 'dynamodb' && table !== undefined ? { dynamoDbTable: table } : {}),
  };
}

function readInitialTimestamp(
  reader: Reader,
  problems: Problems,
  position: InitialPosition,
): Date | undefined {
  const S = CONSUMER_SETTINGS;
  const positionName = reader.nameOf(S.initialPosition.key, S.initialPosition.path);
  const raw = reader.get(S.initialTimestamp.key, S.initialTimestamp.path);
  const rawFormat = reader.get(S.initialTimestampFormat.key, S.initialTimestampFormat.path);
  if (position !== 'AT_TIMESTAMP') {
    for (const given of [raw, rawFormat]) {
      if (given) {
        problems.add(
          given.name,
          `${given.name} is only used when ${positionName} is AT_TIMESTAMP; ${positionName} is ${position}.`,
        );
      }
    }
    return undefined;
  }
  const format = read(S.initialTimestampFormat, reader, problems);
  const name = reader.nameOf(S.initialTimestamp.key, S.initialTimestamp.path);
  const expected = `a date in the pattern ${format} or epoch seconds such as 1459799926.480`;
  if (!raw) {
    problems.add(
      S.initialTimestamp.key,
      `${name} is required when ${positionName} is AT_TIMESTAMP: ${expected}.`,
    );
    return undefined;
  }
  const value = timestampInput.parse(raw.value, raw.fromText);
  if (value instanceof Date) {
    if (rawFormat) {
      problems.add(rawFormat.name, `${rawFormat.name} is only used when ${name} is text; ${name} is a Date.`);
    }
    return new Date(value.getTime());
  }
  if (value === undefined) {
    problems.add(S.initialTimestamp.key, invalidMessage(raw.name, expected, raw.value));
    return undefined;
  }
  const result = parseTimestamp(value, format);
  if (result.ok) return result.date;
  if (result.badPattern !== undefined) {
    const formatName =
      rawFormat?.name ?? reader.nameOf(S.initialTimestampFormat.key, S.initialTimestampFormat.path);
    problems.add(
      S.initialTimestampFormat.key,
      invalidMessage(
        formatName,
        `a Java SimpleDateFormat pattern this parser supports (${result.reason})`,
        format,
      ),
    );
  } else {
    // The result's reason is the expected text, or says why a pattern cannot be read in this bundle.
    problems.add(S.initialTimestamp.key, invalidMessage(raw.name, result.reason, raw.value));
  }
  return undefined;
}

/** Validates typed consumer options once, fills in every default and freezes the result. */
export function consumerConfig(options: ConsumerOptions): ConsumerConfig {
  return loadTyped(CONSUMER_SCHEMA, options);
}

/**
 * Loads a consumer configuration written with the reference connector's property keys: the text of a
 * `.properties` file or its key/value pairs. `overrides` adds typed options from code (the streams, as
 * the reference connector takes them); a setting given in both places is reported.
 */
export function consumerConfigFromProperties(
  source: PropertiesSource,
  overrides?: ConsumerOptions,
): ConsumerConfig {
  return loadProperties(CONSUMER_SCHEMA, source, overrides);
}

/** Loads a consumer configuration from `SKC_*` environment variables (docs/configuration.md lists them). */
export function consumerConfigFromEnv(
  env: Readonly<Record<string, string | undefined>> = process.env,
  overrides?: ConsumerOptions,
): ConsumerConfig {
  return loadEnv(CONSUMER_SCHEMA, env, overrides);
}
