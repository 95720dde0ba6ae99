import { isArnForm, streamNameOf } from '../aws/stream-ref';
import { AWS_UNSUPPORTED, readAwsConfig } from './aws-config';
import { readBackoff } from './backoff';
import {
  CONSUMER_BACKOFF_KEYS,
  CONSUMER_SETTINGS,
  CONSUMER_SETTINGS_LIST,
  EFO_CONSUMER_ARN_PREFIX,
  streamArnOfConsumer,
  timestampInput,
  type ConsumerConfig,
  type ConsumerOptions,
  type InitialPosition,
} from './consumer-settings';
import { loadEnv, loadProperties, loadTyped, type PropertiesSource, type Schema } from './loader';
import type * as ProducerSettings from './producer-settings';
import { envVarName } from './env';
import { parseTimestamp } from './timestamp';
import {
  checkStreamRegions,
  invalidMessage,
  read,
  type Problems,
  type Reader,
  type Setting,
} from './validate';

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
      key: 'flink.stream.deregisterstreamconsumer.',
      prefix: true,
      reason:
        'has no effect: the consumer never deregisters its stream consumer (the construct owns it with EAGER; ' +
        'with LAZY, deregister it yourself when the application is retired); remove it.',
    },
    {
      key: 'flink.stream.efo.http-client.',
      prefix: true,
      reason:
        'configures the Java SDK HTTP client; the Node.js HTTP/2 client needs no tuning here; remove it.',
    },
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
  perStreamKeys: [EFO_CONSUMER_ARN_PREFIX],
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
  const aws = readAwsConfig(reader, problems);
  const streams = read(S.streams, reader, problems) ?? [];
  checkStreamRegions(
    streams,
    aws.region,
    reader.nameOf(S.streams.key, S.streams.path),
    S.streams.key,
    problems,
  );
  return {
    aws,
    streams,
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
    continuous: r(S.continuous),
    handoverLeadMillis: r(S.handoverLeadMillis),
    leaseExpiryMillis: r(S.leaseExpiryMillis),
    exactlyOnce: readExactlyOnce(reader, problems),
    leaseSettleMillis: r(S.leaseSettleMillis),
    shutdownReserveMillis: r(S.shutdownReserveMillis),
    heapGrowingPercent: r(S.heapGrowingPercent),
    ...readEfo(reader, problems, streams),
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

/** The record publisher and, with EFO, the stream consumer: a name to find or register, or an ARN per stream. */
function readEfo(
  reader: Reader,
  problems: Problems,
  streams: readonly string[],
): Pick<ConsumerConfig, 'recordPublisher' | 'efo'> {
  const S = CONSUMER_SETTINGS;
  const recordPublisher = read(S.recordPublisher, reader, problems);
  const registration = read(S.efoRegistration, reader, problems);
  const consumerName = read(S.efoConsumerName, reader, problems);
  const consumerArns: Record<string, string> = {};
  const arnSetting = S.efoConsumerArns;
  const whole = reader.get(arnSetting.key, arnSetting.path);
  if (whole && typeof whole.value === 'object') {
    const parsed = read(arnSetting, reader, problems);
    if (parsed && typeof parsed === 'object') Object.assign(consumerArns, parsed);
  } else if (whole) {
    problems.add(arnSetting.key, `${whole.name} needs the stream it is for: ${arnSetting.key}.`);
  }
  // A stream given by ARN may still have its consumer ARN keyed by the stream's name, as the reference does.
  const keysOf = (stream: string) => [...new Set([stream, streamNameOf(stream)])];
  for (const stream of streams) {
    for (const id of keysOf(stream)) {
      const key = `${EFO_CONSUMER_ARN_PREFIX}.${id}`;
      const raw = reader.get(key, [...arnSetting.path, id]) ?? reader.get(envAlias(key), []);
      if (!raw || typeof raw.value === 'object') continue;
      const arn = arnSetting.kind.parse(raw.value, raw.fromText);
      if (typeof arn === 'string') consumerArns[id] = arn;
      else problems.add(key, invalidMessage(raw.name, arnSetting.kind.allowed, raw.value));
    }
  }
  for (const arn of read(S.efoConsumerArnList, reader, problems) ?? []) {
    const streamArn = streamArnOfConsumer(arn);
    const stream = streams.find((s) => s === streamArn || (!isArnForm(s) && s === streamNameOf(streamArn)));
    if (stream === undefined) {
      const name = reader.nameOf(S.efoConsumerArnList.key, S.efoConsumerArnList.path);
      problems.add(
        S.efoConsumerArnList.key,
        `${name} has ${arn}, a consumer of a stream the consumer does not read.`,
      );
    } else consumerArns[stream] = arn;
  }
  for (const stream of Object.keys(consumerArns)) {
    if (!streams.some((s) => keysOf(s).includes(stream))) {
      problems.add(
        arnSetting.key,
        `${EFO_CONSUMER_ARN_PREFIX}.${stream} names a stream the consumer does not read.`,
      );
    }
  }
  const publisherName = reader.nameOf(S.recordPublisher.key, S.recordPublisher.path);
  if (recordPublisher === 'EFO') {
    const unnamed = streams.filter((stream) => !keysOf(stream).some((id) => consumerArns[id]));
    if (registration === 'NONE' && unnamed.length > 0) {
      problems.add(
        arnSetting.key,
        `${reader.nameOf(S.efoRegistration.key, S.efoRegistration.path)} is NONE, so every stream needs ` +
          `${arnSetting.key}; missing for ${unnamed.join(', ')}.`,
      );
    } else if (unnamed.length > 0 && consumerName === undefined) {
      problems.add(
        S.efoConsumerName.key,
        `${reader.nameOf(S.efoConsumerName.key, S.efoConsumerName.path)} is required when ${publisherName} is ` +
          `EFO: it names the stream consumer of ${unnamed.join(', ')}.`,
      );
    }
  }
  return {
    recordPublisher,
    efo: {
      ...optional('consumerName', consumerName),
      registration,
      consumerArns,
      subscribeToShard: {
        backoff: readBackoff(CONSUMER_BACKOFF_KEYS.subscribeToShard, reader, problems),
        timeoutMillis: read(S.subscribeToShardTimeoutSeconds, reader, problems) * 1000,
      },
      registerStreamConsumer: {
        backoff: readBackoff(CONSUMER_BACKOFF_KEYS.registerStreamConsumer, reader, problems),
        timeoutMillis: read(S.registerStreamConsumerTimeoutSeconds, reader, problems) * 1000,
      },
      describeStreamConsumer: {
        backoff: readBackoff(CONSUMER_BACKOFF_KEYS.describeStreamConsumer, reader, problems),
      },
    },
  };
}

/** The environment's name for a per-stream key, kept by the loader under this alias (see loadEnv). */
export function envAlias(key: string): string {
  return `env:${envVarName(key)}`;
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
