import type { BackoffSettings } from '../aws/retry';
import { AWS_ENDPOINT_SETTINGS, AWS_SETTINGS, type AwsConfig, type AwsOptions } from './aws-config';
import { backoffSettings, type BackoffKeys } from './backoff';
import { DEFAULT_TIMESTAMP_FORMAT } from './timestamp';
import { heapGrowingPercentRow, RUNTIME_DEFAULTS } from './runtime-settings';
import {
  boolean,
  integer,
  list,
  offOrPositive,
  oneOf,
  setting,
  streamRefs,
  text,
  url,
  type Kind,
  type Setting,
} from './validate';

export type InitialPosition = 'LATEST' | 'TRIM_HORIZON' | 'AT_TIMESTAMP';
export type Deserializer = 'string' | 'json' | 'bytes';
export type SsmTier = 'Standard' | 'Advanced' | 'Intelligent-Tiering';
export type CheckpointStoreKind = 'ssm' | 'dynamodb';
export type RecordPublisher = 'POLLING' | 'EFO';
export type EfoRegistration = 'LAZY' | 'EAGER' | 'NONE';

/** The consumer's configuration: validated once, every default filled in, frozen. */
export interface ConsumerConfig {
  readonly aws: AwsConfig;
  readonly streams: readonly string[];
  readonly initialPosition: InitialPosition;
  /** Set exactly when `initialPosition` is AT_TIMESTAMP. */
  readonly initialTimestamp?: Date;
  readonly getRecords: {
    readonly maxRecordCount: number;
    readonly intervalMillis: number;
    readonly backoff: BackoffSettings;
  };
  readonly getShardIterator: { readonly backoff: BackoffSettings };
  readonly listShards: { readonly backoff: BackoffSettings };
  readonly discoveryIntervalMillis: number;
  readonly adaptiveReads: boolean;
  /** -1 when off. */
  readonly shardIdleIntervalMillis: number;
  readonly parallelism: number;
  readonly checkpointIntervalMillis: number;
  readonly timeBudgetMillis: number;
  readonly batchSize: number;
  readonly maxBatchingMillis: number;
  readonly checkpoint: {
    readonly store: CheckpointStoreKind;
    readonly ssmPrefix: string;
    readonly ssmTier: SsmTier;
    /** Set exactly when `store` is dynamodb. */
    readonly dynamoDbTable?: string;
  };
  readonly failOnError: boolean;
  readonly deserializer: Deserializer;
  /** Names the consumer in metrics and in a DynamoDB checkpoint table. */
  readonly consumerName: string;
  readonly delivery: {
    readonly backoff: BackoffSettings;
    readonly bisect: boolean;
    /** A Lambda function (name or ARN) that receives the batches instead of in-process code. */
    readonly targetFunction?: string;
  };
  readonly onFailure: { readonly queueUrl?: string; readonly maxMessageBytes: number };
  readonly costMode: boolean;
  readonly idleReturnMillis: number;
  /** Continuous mode: each invocation starts its successor and hands the lease over to it. */
  readonly continuous: boolean;
  readonly handoverLeadMillis: number;
  readonly leaseExpiryMillis: number;
  /** Exactly-once mode: keyed state and table writes committed with the checkpoint (DynamoDB store only). */
  readonly exactlyOnce: {
    readonly enabled: boolean;
    /** Set exactly when `enabled`. */
    readonly stateTable?: string;
  };
  /** The SSM lease's settle delay. */
  readonly leaseSettleMillis: number;
  /** V8's heap growing percent set in a Lambda function's process; 0 leaves V8's own. */
  readonly heapGrowingPercent: number;
  /** Time kept back from the function's remaining time for the last delivery, checkpoint and lease release. */
  readonly shutdownReserveMillis: number;
  /** How shards are read: GetRecords polling, or enhanced fan-out (SubscribeToShard). */
  readonly recordPublisher: RecordPublisher;
  readonly efo: EfoConfig;
}

/** Enhanced fan-out: the stream consumer and the retries of its calls. */
export interface EfoConfig {
  /** Set when a stream has no consumer ARN below (required then with EFO). */
  readonly consumerName?: string;
  readonly registration: EfoRegistration;
  /** Consumer ARN per stream (`flink.stream.efo.consumerarn.<stream>`); such a stream is never registered. */
  readonly consumerArns: Readonly<Record<string, string>>;
  readonly subscribeToShard: { readonly backoff: BackoffSettings; readonly timeoutMillis: number };
  readonly registerStreamConsumer: { readonly backoff: BackoffSettings; readonly timeoutMillis: number };
  readonly describeStreamConsumer: { readonly backoff: BackoffSettings };
}

/** The consumer's settings as typed options; `streams` and `aws.region` are required at load. */
export interface ConsumerOptions {
  readonly aws?: AwsOptions;
  /** Required: the streams to read, by name or by ARN (another account's stream by ARN). */
  readonly streams?: readonly string[];
  /** @default 'LATEST' */
  readonly initialPosition?: InitialPosition;
  /** Required with AT_TIMESTAMP: a Date, or text in `initialTimestampFormat` or epoch seconds. */
  readonly initialTimestamp?: Date | string;
  /** A Java SimpleDateFormat pattern. @default "yyyy-MM-dd'T'HH:mm:ss.SSSXXX" */
  readonly initialTimestampFormat?: string;
  readonly getRecords?: {
    /** @default 10000 */
    readonly maxRecordCount?: number;
    /** @default 200 */
    readonly intervalMillis?: number;
    /** @default { maxRetries: 3, baseMillis: 300, maxMillis: 1000, expConst: 1.5 } */
    readonly backoff?: Partial<BackoffSettings>;
  };
  /** @default { backoff: { maxRetries: 3, baseMillis: 300, maxMillis: 1000, expConst: 1.5 } } */
  readonly getShardIterator?: { readonly backoff?: Partial<BackoffSettings> };
  /** @default { backoff: { maxRetries: 10, baseMillis: 1000, maxMillis: 5000, expConst: 1.5 } } */
  readonly listShards?: { readonly backoff?: Partial<BackoffSettings> };
  /** @default 10000 */
  readonly discoveryIntervalMillis?: number;
  /** @default false */
  readonly adaptiveReads?: boolean;
  /** @default -1 (off) */
  readonly shardIdleIntervalMillis?: number;
  /** @default 1 */
  readonly parallelism?: number;
  /** @default 10000 */
  readonly checkpointIntervalMillis?: number;
  /** @default 50000 */
  readonly timeBudgetMillis?: number;
  /** @default 100 */
  readonly batchSize?: number;
  /** @default 0 */
  readonly maxBatchingMillis?: number;
  /** @default { store: 'ssm', ssmPrefix: '/serverless-kinesis-connector/checkpoints', ssmTier: 'Standard' } */
  readonly checkpoint?: {
    readonly store?: CheckpointStoreKind;
    readonly ssmPrefix?: string;
    readonly ssmTier?: SsmTier;
    /** Required with the dynamodb store. */
    readonly dynamoDbTable?: string;
  };
  /** @default false */
  readonly failOnError?: boolean;
  /** @default 'string' */
  readonly deserializer?: Deserializer;
  /** Required with the dynamodb store. @default 'kinesis-consumer' */
  readonly consumerName?: string;
  readonly delivery?: {
    /** @default { maxRetries: 3, baseMillis: 300, maxMillis: 1000, expConst: 1.5 } */
    readonly backoff?: Partial<BackoffSettings>;
    /** @default true */
    readonly bisect?: boolean;
    /** @default - none: batches go to the handler in the function's own code */
    readonly targetFunction?: string;
  };
  readonly onFailure?: {
    /** @default - none: a record that keeps failing stops its shard */
    readonly queueUrl?: string;
    /** @default 262144 */
    readonly maxMessageBytes?: number;
  };
  readonly exactlyOnce?: {
    /** Needs the dynamodb checkpoint store. @default false */
    readonly enabled?: boolean;
    /** Required when enabled: a table with string keys `pk` and `sk`. */
    readonly stateTable?: string;
  };
  /** @default false */
  readonly costMode?: boolean;
  /** @default 5000 */
  readonly idleReturnMillis?: number;
  /** @default true */
  readonly continuous?: boolean;
  /** @default 5000 */
  readonly handoverLeadMillis?: number;
  /** @default 20000 */
  readonly leaseExpiryMillis?: number;
  /** @default 2000 */
  readonly leaseSettleMillis?: number;
  /** @default 5000 */
  readonly shutdownReserveMillis?: number;
  /** @default 300 */
  readonly heapGrowingPercent?: number;
  /** @default 'POLLING' */
  readonly recordPublisher?: RecordPublisher;
  /** Enhanced fan-out, with recordPublisher EFO. */
  readonly efo?: {
    /** Required with EFO unless every stream has a consumer ARN. */
    readonly consumerName?: string;
    /** @default 'LAZY' */
    readonly registration?: EfoRegistration;
    /** Consumer ARN by stream; such a stream is never registered. @default - none */
    readonly consumerArns?: Readonly<Record<string, string>>;
    /** Consumer ARNs, each for the stream its ARN begins with; such a stream is never registered. @default - none */
    readonly consumerArnList?: readonly string[];
    /** @default { establishWithinSeconds: 60, backoff: { maxRetries: 10, baseMillis: 1000, maxMillis: 2000, expConst: 1.5 } } */
    readonly subscribeToShard?: {
      readonly establishWithinSeconds?: number;
      readonly backoff?: Partial<BackoffSettings>;
    };
    /** @default { activeWithinSeconds: 60, backoff: { maxRetries: 10, baseMillis: 500, maxMillis: 2000, expConst: 1.5 } } */
    readonly registerStreamConsumer?: {
      readonly activeWithinSeconds?: number;
      readonly backoff?: Partial<BackoffSettings>;
    };
    /** @default { backoff: { maxRetries: 50, baseMillis: 2000, maxMillis: 5000, expConst: 1.5 } } */
    readonly describeStreamConsumer?: { readonly backoff?: Partial<BackoffSettings> };
  };
}

const GET_RECORDS_BACKOFF: BackoffSettings = {
  maxRetries: 3,
  baseMillis: 300,
  maxMillis: 1000,
  expConst: 1.5,
};
const LIST_SHARDS_BACKOFF: BackoffSettings = {
  maxRetries: 10,
  baseMillis: 1000,
  maxMillis: 5000,
  expConst: 1.5,
};

/**
 * The SSM path every checkpoint path of this toolkit starts with: the runtime's default prefix, and the
 * constructs' per-consumer path (consumerCheckpointPath in checkpoints/checkpoint-path.ts).
 */
export const CHECKPOINT_PATH_ROOT = '/serverless-kinesis-connector';

/**
 * The consumer defaults: the reference connector's for its keys, and this design's for its own.
 * Docs and the CDK constructs use these same numbers.
 */
export const CONSUMER_DEFAULTS = Object.freeze({
  initialPosition: 'LATEST' as InitialPosition,
  initialTimestampFormat: DEFAULT_TIMESTAMP_FORMAT,
  getRecords: Object.freeze({
    maxRecordCount: 10000,
    intervalMillis: 200,
    backoff: Object.freeze(GET_RECORDS_BACKOFF),
  }),
  getShardIterator: Object.freeze({ backoff: Object.freeze({ ...GET_RECORDS_BACKOFF }) }),
  listShards: Object.freeze({ backoff: Object.freeze(LIST_SHARDS_BACKOFF) }),
  discoveryIntervalMillis: 10000,
  adaptiveReads: false,
  shardIdleIntervalMillis: -1,
  parallelism: 1,
  checkpointIntervalMillis: 10000,
  timeBudgetMillis: 50000,
  batchSize: 100,
  maxBatchingMillis: 0,
  checkpoint: Object.freeze({
    store: 'ssm' as CheckpointStoreKind,
    ssmPrefix: `${CHECKPOINT_PATH_ROOT}/checkpoints`,
    ssmTier: 'Standard' as SsmTier,
  }),
  failOnError: false,
  deserializer: 'string' as Deserializer,
  consumerName: 'kinesis-consumer',
  delivery: Object.freeze({ backoff: Object.freeze({ ...GET_RECORDS_BACKOFF }), bisect: true }),
  onFailure: Object.freeze({ maxMessageBytes: 262144 }),
  costMode: false,
  idleReturnMillis: 5000,
  continuous: true,
  handoverLeadMillis: 5000,
  leaseExpiryMillis: 20000,
  exactlyOnce: Object.freeze({ enabled: false }),
  leaseSettleMillis: 2000,
  shutdownReserveMillis: 5000,
  heapGrowingPercent: RUNTIME_DEFAULTS.heapGrowingPercent,
  recordPublisher: 'POLLING' as RecordPublisher,
  efo: Object.freeze({
    registration: 'LAZY' as EfoRegistration,
    subscribeToShard: Object.freeze({
      backoff: Object.freeze({ maxRetries: 10, baseMillis: 1000, maxMillis: 2000, expConst: 1.5 }),
      establishWithinSeconds: 60,
    }),
    registerStreamConsumer: Object.freeze({
      backoff: Object.freeze({ maxRetries: 10, baseMillis: 500, maxMillis: 2000, expConst: 1.5 }),
      activeWithinSeconds: 60,
    }),
    describeStreamConsumer: Object.freeze({
      backoff: Object.freeze({ maxRetries: 50, baseMillis: 2000, maxMillis: 5000, expConst: 1.5 }),
    }),
  }),
});

/** How long a shard iterator lives; the GetRecords interval must stay below it. */
export const SHARD_ITERATOR_EXPIRY_MILLIS = 300000;

const D = CONSUMER_DEFAULTS;

/** Raw timestamp input: text from a file, or a Date or text from code; parsed once the format is known. */
export const timestampInput: Kind<Date | string> = {
  allowed: 'a date in the timestamp format, or epoch seconds such as 1459799926.480',
  parse(value, fromText) {
    if (typeof value === 'string') return value.trim() === '' ? undefined : value;
    if (!fromText && value instanceof Date && !Number.isNaN(value.getTime())) return value;
    return undefined;
  },
};

/** The reference's key of a stream's consumer ARN, followed by `.<stream>`. */
export const EFO_CONSUMER_ARN_PREFIX = 'flink.stream.efo.consumerarn';

const CONSUMER_ARN =
  /^arn:aws[a-z-]*:kinesis:[a-z0-9-]+:\d{12}:stream\/[a-zA-Z0-9_.-]{1,128}\/consumer\/[a-zA-Z0-9_.-]{1,128}:\d+$/;

/** The stream ARN a stream consumer ARN begins with. */
export function streamArnOfConsumer(consumerArn: string): string {
  return consumerArn.slice(0, consumerArn.indexOf('/consumer/'));
}

const CONSUMER_ARN_ALLOWED =
  'a stream consumer ARN (arn:aws:kinesis:<region>:<account>:stream/<stream>/consumer/<name>:<timestamp>)';

/** One stream consumer ARN (from text, per stream), or a map of them by stream (from code). */
export const consumerArnsByStream: Kind<string | Readonly<Record<string, string>>> = {
  allowed: CONSUMER_ARN_ALLOWED,
  parse(value, fromText) {
    if (typeof value === 'string') return CONSUMER_ARN.test(value.trim()) ? value.trim() : undefined;
    if (fromText || typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
    const entries = Object.entries(value as Record<string, unknown>);
    return entries.every(([, arn]) => typeof arn === 'string' && CONSUMER_ARN.test(arn))
      ? Object.fromEntries(entries as [string, string][])
      : undefined;
  },
};

/** Every consumer setting by name (the AWS ones are in AWS_SETTINGS). */
export const CONSUMER_SETTINGS = {
  streams: setting({
    key: 'streams',
    path: ['streams'],
    kind: streamRefs,
    required: true,
    description:
      "the streams to read, each by name or by ARN (another account's stream, in the client's region); a constructor argument in the reference connector",
  }),
  initialPosition: setting({
    key: 'flink.stream.initpos',
    path: ['initialPosition'],
    kind: oneOf<InitialPosition>(['LATEST', 'TRIM_HORIZON', 'AT_TIMESTAMP']),
    default: D.initialPosition,
    description: 'where a shard without a checkpoint starts',
  }),
  initialTimestamp: setting({
    key: 'flink.stream.initpos.timestamp',
    path: ['initialTimestamp'],
    kind: timestampInput,
    defaultText: '- required with AT_TIMESTAMP',
    description:
      'the start time for AT_TIMESTAMP: a date in the format below, or epoch seconds (1459799926.480)',
  }),
  initialTimestampFormat: setting({
    key: 'flink.stream.initpos.timestamp.format',
    path: ['initialTimestampFormat'],
    kind: text('a Java SimpleDateFormat pattern', /\S/),
    default: D.initialTimestampFormat,
    description: 'the Java SimpleDateFormat pattern of the timestamp',
  }),
  maxRecordCount: setting({
    key: 'flink.shard.getrecords.maxrecordcount',
    path: ['getRecords', 'maxRecordCount'],
    kind: integer(1, 10000),
    default: D.getRecords.maxRecordCount,
    description: 'records asked for per GetRecords call',
  }),
  getRecordsIntervalMillis: setting({
    key: 'flink.shard.getrecords.intervalmillis',
    path: ['getRecords', 'intervalMillis'],
    kind: integer(
      0,
      SHARD_ITERATOR_EXPIRY_MILLIS - 1,
      'milliseconds, below the 5-minute shard iterator expiry',
    ),
    default: D.getRecords.intervalMillis,
    description: 'pause between GetRecords calls on one shard',
  }),
  discoveryIntervalMillis: setting({
    key: 'flink.shard.discovery.intervalmillis',
    path: ['discoveryIntervalMillis'],
    kind: integer(1, undefined, 'milliseconds'),
    default: D.discoveryIntervalMillis,
    description: 'how often ListShards looks for new shards',
  }),
  adaptiveReads: setting({
    key: 'flink.shard.adaptivereads',
    path: ['adaptiveReads'],
    kind: boolean,
    default: D.adaptiveReads,
    description: "size each GetRecords call to stay within the shard's 2 MiB/s read limit",
  }),
  shardIdleIntervalMillis: setting({
    key: 'flink.shard.idle.interval',
    path: ['shardIdleIntervalMillis'],
    kind: offOrPositive('milliseconds'),
    default: D.shardIdleIntervalMillis,
    description: 'after this long without records a shard stops holding back the watermark',
  }),
  parallelism: setting({
    key: 'consumer.parallelism',
    path: ['parallelism'],
    kind: integer(1, 1000),
    default: D.parallelism,
    description: 'concurrent consumer invocations sharing the shards',
  }),
  checkpointIntervalMillis: setting({
    key: 'consumer.checkpoint.intervalmillis',
    path: ['checkpointIntervalMillis'],
    kind: integer(1000, undefined, 'milliseconds; SSM writes are scarce'),
    default: D.checkpointIntervalMillis,
    description: 'how often positions are written to the checkpoint store during a run',
  }),
  timeBudgetMillis: setting({
    key: 'consumer.timebudgetmillis',
    path: ['timeBudgetMillis'],
    kind: integer(1000, 900000, 'milliseconds; a Lambda invocation lasts at most 15 minutes'),
    default: D.timeBudgetMillis,
    description:
      'how long one invocation reads before its final checkpoint; keep it below the function timeout',
  }),
  batchSize: setting({
    key: 'consumer.batchsize',
    path: ['batchSize'],
    kind: integer(1, 10000),
    default: D.batchSize,
    description: 'most records handed to the record handler at once',
  }),
  maxBatchingMillis: setting({
    key: 'consumer.maxbatchingmillis',
    path: ['maxBatchingMillis'],
    kind: integer(0, 300000, 'milliseconds'),
    default: D.maxBatchingMillis,
    description: 'longest a partial batch waits to fill before it is delivered',
  }),
  ssmPrefix: setting({
    key: 'consumer.checkpoint.ssm.prefix',
    path: ['checkpoint', 'ssmPrefix'],
    kind: text(
      'an SSM parameter path such as /my-app/checkpoints ("/"-separated segments of letters, digits, "_", "." ' +
        'or "-", not under /aws or /ssm, at most 512 characters)',
      /^(?!\/(aws|ssm)(\/|$))(\/[a-zA-Z0-9_.-]+)+$/i,
      2,
      512,
    ),
    default: D.checkpoint.ssmPrefix,
    description:
      'SSM parameter path under which checkpoints are kept; give each consumer application its own',
  }),
  ssmTier: setting({
    key: 'consumer.checkpoint.ssm.tier',
    path: ['checkpoint', 'ssmTier'],
    kind: oneOf<SsmTier>(['Standard', 'Advanced', 'Intelligent-Tiering']),
    default: D.checkpoint.ssmTier,
    description: 'SSM tier of the checkpoint parameters (Standard: 4 KB values, free)',
  }),
  failOnError: setting({
    key: 'consumer.failonerror',
    path: ['failOnError'],
    kind: boolean,
    default: D.failOnError,
    description:
      'stop the shard at a record that fails to deserialize or deliver (retried from the last checkpoint ' +
      'by the next invocation) instead of sending it to the on-failure queue and moving on',
  }),
  deserializer: setting({
    key: 'consumer.deserializer',
    path: ['deserializer'],
    kind: oneOf<Deserializer>(['string', 'json', 'bytes']),
    default: D.deserializer,
    description: 'how record data reaches the handler: UTF-8 text, parsed JSON or raw bytes',
  }),
  consumerName: setting({
    key: 'consumer.name',
    path: ['consumerName'],
    kind: text('1 to 128 letters, digits, "_", "." or "-"', /^[a-zA-Z0-9_.-]+$/, 1, 128),
    default: D.consumerName,
    description:
      'names the consumer in metrics (dimension ConsumerName) and keys its items in a DynamoDB checkpoint ' +
      'table; must be set with the dynamodb store',
  }),
  bisect: setting({
    key: 'consumer.delivery.bisect',
    path: ['delivery', 'bisect'],
    kind: boolean,
    default: D.delivery.bisect,
    description:
      'after the retries, split a failing batch in halves to isolate the records that fail; false sends ' +
      'the whole batch to the on-failure queue',
  }),
  targetFunction: setting({
    key: 'consumer.target.function',
    path: ['delivery', 'targetFunction'],
    kind: text(
      'a Lambda function name, name:alias or function ARN',
      /^(arn:aws[a-zA-Z-]*:lambda:[a-z0-9-]+:\d{12}:function:)?[a-zA-Z0-9_-]{1,140}(:(\$LATEST|[a-zA-Z0-9_-]+))?$/,
      1,
      256,
    ),
    defaultText: "- none: batches go to the handler in the function's own code",
    description: 'a Lambda function invoked synchronously with each batch (docs/consumer.md has the event)',
  }),
  onFailureQueueUrl: setting({
    key: 'consumer.onfailure.queueurl',
    path: ['onFailure', 'queueUrl'],
    kind: url,
    defaultText: '- none: a record that keeps failing stops its shard',
    description: 'SQS queue that receives each record that keeps failing, with its metadata and the error',
  }),
  onFailureMaxMessageBytes: setting({
    key: 'consumer.onfailure.maxmessagebytes',
    path: ['onFailure', 'maxMessageBytes'],
    kind: integer(1024, 1048576, "bytes; at most the queue's MaximumMessageSize"),
    default: D.onFailure.maxMessageBytes,
    description: 'largest on-failure message; record data beyond it is cut and the message says so',
  }),
  checkpointStore: setting({
    key: 'consumer.checkpoint.store',
    path: ['checkpoint', 'store'],
    kind: oneOf<CheckpointStoreKind>(['ssm', 'dynamodb']),
    default: D.checkpoint.store,
    description:
      'where checkpoints and leases live: SSM Parameter Store, or a DynamoDB table for more writes per second',
  }),
  dynamoDbTable: setting({
    key: 'consumer.checkpoint.dynamodb.table',
    path: ['checkpoint', 'dynamoDbTable'],
    kind: text(
      'a DynamoDB table name (3 to 255 letters, digits, "_", "." or "-")',
      /^[a-zA-Z0-9_.-]+$/,
      3,
      255,
    ),
    defaultText: '- required with the dynamodb store',
    description: 'table with a string partition key `pk` and a string sort key `sk`',
  }),
  costMode: setting({
    key: 'consumer.costmode',
    path: ['costMode'],
    kind: boolean,
    default: D.costMode,
    description:
      'return early, after checkpointing, once every shard has been caught up for consumer.idlereturnmillis ' +
      '(lower cost, higher latency)',
  }),
  exactlyOnce: setting({
    key: 'consumer.exactlyonce',
    path: ['exactlyOnce', 'enabled'],
    kind: boolean,
    default: D.exactlyOnce.enabled,
    description:
      "exactly-once mode: the processor's keyed state and DynamoDB table writes commit with the checkpoint in one " +
      'transaction (needs consumer.checkpoint.store=dynamodb and consumer.state.dynamodb.table)',
  }),
  stateTable: setting({
    key: 'consumer.state.dynamodb.table',
    path: ['exactlyOnce', 'stateTable'],
    kind: text(
      'a DynamoDB table name (3 to 255 letters, digits, "_", "." or "-")',
      /^[a-zA-Z0-9_.-]+$/,
      3,
      255,
    ),
    defaultText: '- required in exactly-once mode',
    description:
      'the keyed state table of exactly-once mode, with a string partition key `pk` and a string sort key `sk`',
  }),
  recordPublisher: setting({
    key: 'flink.stream.recordpublisher',
    path: ['recordPublisher'],
    kind: oneOf<RecordPublisher>(['POLLING', 'EFO']),
    default: D.recordPublisher,
    description:
      "POLLING reads with GetRecords (sharing each shard's 2 MiB/s and 5 reads/s); EFO subscribes with " +
      'enhanced fan-out (SubscribeToShard over HTTP/2: 2 MiB/s per shard of its own, pushed)',
  }),
  efoConsumerName: setting({
    key: 'flink.stream.efo.consumername',
    path: ['efo', 'consumerName'],
    kind: text('1 to 128 letters, digits, "_", "." or "-"', /^[a-zA-Z0-9_.-]+$/, 1, 128),
    defaultText: '- required with EFO unless every stream has a consumer ARN',
    description: 'the stream consumer to read as (registered with each stream under this name)',
  }),
  efoRegistration: setting({
    key: 'flink.stream.efo.registration',
    path: ['efo', 'registration'],
    kind: oneOf<EfoRegistration>(['LAZY', 'EAGER', 'NONE']),
    default: D.efo.registration,
    description:
      'LAZY: the consumer registers the stream consumer when it finds none; EAGER: it is registered at ' +
      'deployment (the construct) and the runtime only waits for it to be ACTIVE; NONE: give ' +
      'flink.stream.efo.consumerarn.<stream> for every stream',
  }),
  efoConsumerArns: setting({
    key: `${EFO_CONSUMER_ARN_PREFIX}.<stream>`,
    path: ['efo', 'consumerArns'],
    kind: consumerArnsByStream,
    defaultText: '- none: found or registered by name',
    description:
      'the stream consumer ARN of one stream, which is then never registered (in the environment the stream ' +
      'name in upper snake case); typed options take { stream: arn }',
  }),
  efoConsumerArnList: setting({
    key: 'consumer.efo.consumerarns',
    path: ['efo', 'consumerArnList'],
    kind: list(text(CONSUMER_ARN_ALLOWED, CONSUMER_ARN), 'stream consumer ARNs'),
    defaultText: '- none: found or registered by name',
    description:
      'stream consumer ARNs, each for the stream its ARN begins with, which is then never registered (an ' +
      "extension: one setting for every stream, whose names a deployment may not know; the construct's EAGER and NONE)",
  }),
  subscribeToShardTimeoutSeconds: setting({
    key: 'flink.shard.subscribetoshard.timeout',
    path: ['efo', 'subscribeToShard', 'establishWithinSeconds'],
    kind: integer(1, 300, 'seconds'),
    default: D.efo.subscribeToShard.establishWithinSeconds,
    description: 'longest wait for a subscription to be established (its initial response)',
  }),
  registerStreamConsumerTimeoutSeconds: setting({
    key: 'flink.stream.registerstreamconsumer.timeout',
    path: ['efo', 'registerStreamConsumer', 'activeWithinSeconds'],
    kind: integer(1, 900, 'seconds'),
    default: D.efo.registerStreamConsumer.activeWithinSeconds,
    description: 'longest wait for a stream consumer to become ACTIVE',
  }),
  idleReturnMillis: setting({
    key: 'consumer.idlereturnmillis',
    path: ['idleReturnMillis'],
    kind: integer(0, 900000, 'milliseconds'),
    default: D.idleReturnMillis,
    description: 'in cost mode, how long every shard must be caught up before the invocation returns',
  }),
  continuous: setting({
    key: 'consumer.continuous',
    path: ['continuous'],
    kind: boolean,
    default: D.continuous,
    description:
      'continuous mode: before its time budget ends an invocation starts its successor and hands the lease ' +
      'over to it after its final checkpoint, so each subtask always has a reader (the schedule restarts a ' +
      'broken chain); false reads only while scheduled invocations run. Cost mode never hands over',
  }),
  handoverLeadMillis: setting({
    key: 'consumer.handover.leadmillis',
    path: ['handoverLeadMillis'],
    kind: integer(0, 60000, 'milliseconds'),
    default: D.handoverLeadMillis,
    description:
      "in continuous mode, how long before its time budget ends an invocation starts its successor: the successor's start-up (a cold start included) overlaps the last reads",
  }),
  leaseExpiryMillis: setting({
    key: 'consumer.lease.expirymillis',
    path: ['leaseExpiryMillis'],
    kind: integer(10000, 300000, 'milliseconds'),
    default: D.leaseExpiryMillis,
    description:
      "how long a subtask's lease lasts unless renewed; the reader renews it every third of this, so a crashed invocation's subtask is taken over by the next invocation once this has passed. Each renewal is one write to the checkpoint store",
  }),
  leaseSettleMillis: setting({
    key: 'consumer.lease.settlemillis',
    path: ['leaseSettleMillis'],
    kind: integer(100, 60000, 'milliseconds; longer than any SSM call takes'),
    default: D.leaseSettleMillis,
    description:
      "how long an invocation waits after claiming its subtask's SSM lease before it reads the claim again " +
      '(a contender that read the lease before the claim has written by then); comes out of the time budget',
  }),
  shutdownReserveMillis: setting({
    key: 'consumer.shutdown.reservemillis',
    path: ['shutdownReserveMillis'],
    kind: integer(100, 600000, 'milliseconds'),
    default: D.shutdownReserveMillis,
    description:
      "time kept back from the function's remaining time after reading stops, for the last delivery, the last " +
      'checkpoint and the lease release',
  }),
  heapGrowingPercent: setting({
    key: 'consumer.heapgrowingpercent',
    path: ['heapGrowingPercent'],
    ...heapGrowingPercentRow('GetRecords calls'),
  }),
};

export const CONSUMER_BACKOFF_KEYS: Record<
  | 'getRecords'
  | 'getShardIterator'
  | 'listShards'
  | 'delivery'
  | 'subscribeToShard'
  | 'registerStreamConsumer'
  | 'describeStreamConsumer',
  BackoffKeys
> = {
  subscribeToShard: backoffSettings(
    'flink.shard.subscribetoshard',
    ['efo', 'subscribeToShard', 'backoff'],
    'SubscribeToShard',
    D.efo.subscribeToShard.backoff,
  ),
  registerStreamConsumer: backoffSettings(
    'flink.stream.registerstreamconsumer',
    ['efo', 'registerStreamConsumer', 'backoff'],
    'RegisterStreamConsumer',
    D.efo.registerStreamConsumer.backoff,
  ),
  describeStreamConsumer: backoffSettings(
    'flink.stream.describestreamconsumer',
    ['efo', 'describeStreamConsumer', 'backoff'],
    'DescribeStreamConsumer',
    D.efo.describeStreamConsumer.backoff,
  ),
  getRecords: backoffSettings(
    'flink.shard.getrecords',
    ['getRecords', 'backoff'],
    'GetRecords',
    D.getRecords.backoff,
  ),
  getShardIterator: backoffSettings(
    'flink.shard.getiterator',
    ['getShardIterator', 'backoff'],
    'GetShardIterator',
    D.getShardIterator.backoff,
  ),
  listShards: backoffSettings(
    'flink.list.shards',
    ['listShards', 'backoff'],
    'ListShards',
    D.listShards.backoff,
  ),
  delivery: deliveryBackoff(),
};

/** The delivery retries: any handler error is retried, not only throttling. */
function deliveryBackoff(): BackoffKeys {
  const keys = backoffSettings('consumer.delivery', ['delivery', 'backoff'], 'Delivery', D.delivery.backoff);
  return {
    ...keys,
    maxRetries: {
      ...keys.maxRetries,
      description:
        'retries of a batch the handler or target failed, before bisection or the on-failure queue',
    },
  };
}

/** Every consumer setting, the AWS ones included, in documentation order. */
export const CONSUMER_SETTINGS_LIST: readonly Setting<unknown>[] = [
  ...Object.values(AWS_SETTINGS),
  ...Object.values(AWS_ENDPOINT_SETTINGS),
  CONSUMER_SETTINGS.streams,
  CONSUMER_SETTINGS.initialPosition,
  CONSUMER_SETTINGS.initialTimestamp,
  CONSUMER_SETTINGS.initialTimestampFormat,
  CONSUMER_SETTINGS.maxRecordCount,
  CONSUMER_SETTINGS.getRecordsIntervalMillis,
  ...Object.values(CONSUMER_BACKOFF_KEYS.getRecords),
  ...Object.values(CONSUMER_BACKOFF_KEYS.getShardIterator),
  CONSUMER_SETTINGS.discoveryIntervalMillis,
  ...Object.values(CONSUMER_BACKOFF_KEYS.listShards),
  CONSUMER_SETTINGS.adaptiveReads,
  CONSUMER_SETTINGS.shardIdleIntervalMillis,
  CONSUMER_SETTINGS.parallelism,
  CONSUMER_SETTINGS.checkpointIntervalMillis,
  CONSUMER_SETTINGS.timeBudgetMillis,
  CONSUMER_SETTINGS.shutdownReserveMillis,
  CONSUMER_SETTINGS.heapGrowingPercent,
  CONSUMER_SETTINGS.leaseSettleMillis,
  CONSUMER_SETTINGS.batchSize,
  CONSUMER_SETTINGS.maxBatchingMillis,
  ...Object.values(CONSUMER_BACKOFF_KEYS.delivery),
  CONSUMER_SETTINGS.bisect,
  CONSUMER_SETTINGS.failOnError,
  CONSUMER_SETTINGS.onFailureQueueUrl,
  CONSUMER_SETTINGS.onFailureMaxMessageBytes,
  CONSUMER_SETTINGS.targetFunction,
  CONSUMER_SETTINGS.consumerName,
  CONSUMER_SETTINGS.checkpointStore,
  CONSUMER_SETTINGS.ssmPrefix,
  CONSUMER_SETTINGS.ssmTier,
  CONSUMER_SETTINGS.dynamoDbTable,
  CONSUMER_SETTINGS.costMode,
  CONSUMER_SETTINGS.idleReturnMillis,
  CONSUMER_SETTINGS.continuous,
  CONSUMER_SETTINGS.handoverLeadMillis,
  CONSUMER_SETTINGS.leaseExpiryMillis,
  CONSUMER_SETTINGS.exactlyOnce,
  CONSUMER_SETTINGS.stateTable,
  CONSUMER_SETTINGS.deserializer,
  CONSUMER_SETTINGS.recordPublisher,
  CONSUMER_SETTINGS.efoConsumerName,
  CONSUMER_SETTINGS.efoRegistration,
  CONSUMER_SETTINGS.efoConsumerArns,
  CONSUMER_SETTINGS.efoConsumerArnList,
  CONSUMER_SETTINGS.subscribeToShardTimeoutSeconds,
  ...Object.values(CONSUMER_BACKOFF_KEYS.subscribeToShard),
  CONSUMER_SETTINGS.registerStreamConsumerTimeoutSeconds,
  ...Object.values(CONSUMER_BACKOFF_KEYS.registerStreamConsumer),
  ...Object.values(CONSUMER_BACKOFF_KEYS.describeStreamConsumer),
] as readonly Setting<unknown>[];
