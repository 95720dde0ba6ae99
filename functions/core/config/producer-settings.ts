import { AWS_ENDPOINT_SETTINGS, AWS_SETTINGS, type AwsConfig, type AwsOptions } from './aws-config';
import { heapGrowingPercentRow, RUNTIME_DEFAULTS } from './runtime-settings';
import {
  boolean,
  integer,
  longInteger,
  numberFrom,
  setting,
  streamRef,
  streamRefs,
  text,
  url,
  type Kind,
  type Setting,
} from './validate';

/** The producer's configuration: validated once, every default filled in, frozen. */
export interface ProducerConfig {
  readonly aws: AwsConfig;
  readonly aggregationEnabled: boolean;
  readonly aggregationMaxCount: number;
  readonly aggregationMaxSizeBytes: number;
  readonly collectionMaxCount: number;
  readonly collectionMaxSizeBytes: number;
  readonly recordMaxBufferedTimeMillis: number;
  readonly recordTtlMillis: number;
  readonly requestTimeoutMillis: number;
  /** Percent of a shard's write limits the per-shard limiter allows. */
  readonly rateLimitPercent: number;
  readonly threadPoolSize: number;
  readonly failIfThrottled: boolean;
  readonly defaultStream?: string;
  /** Unset means a random partition key per record. */
  readonly defaultPartitionKey?: string;
  /** Unset means any stream. */
  readonly allowedStreams?: readonly string[];
  readonly raw: boolean;
  readonly maxRecordSizeBytes: number;
  readonly failOnError: boolean;
  /** Names the producer in metrics (dimension ProducerName). */
  readonly producerName: string;
  /** Where malformed messages go at once; unset means they take the source queue's redrive path. */
  readonly deadLetterQueueUrl?: string;
  /** The queue the producer is fed from; its in-flight count divides each shard's budget among containers. */
  readonly sourceQueueUrl?: string;
  /** The source queue's maxReceiveCount: at the last receive a failed message is dead-lettered with its reason. */
  readonly maxReceiveCount?: number;
  /** Full-jitter backoff between retries of failed PutRecords entries. */
  readonly retryBaseMillis: number;
  readonly retryMaxMillis: number;
  readonly retryExpConst: number;
  /** How long a stream's shard map is trusted before it is listed again. */
  readonly shardMapTtlMillis: number;
  /** V8's heap growing percent set in a Lambda function's process; 0 leaves V8's own. */
  readonly heapGrowingPercent: number;
}

/** The producer's settings as typed options; only `aws.region` is required at load. */
export interface ProducerOptions {
  readonly aws?: AwsOptions;
  /** KPL AggregationEnabled. @default true */
  readonly aggregationEnabled?: boolean;
  /** KPL AggregationMaxCount. @default 4294967295 */
  readonly aggregationMaxCount?: number;
  /** KPL AggregationMaxSize. @default 51200 */
  readonly aggregationMaxSizeBytes?: number;
  /** KPL CollectionMaxCount. @default 500 */
  readonly collectionMaxCount?: number;
  /** KPL CollectionMaxSize. @default 5242880 */
  readonly collectionMaxSizeBytes?: number;
  /** KPL RecordMaxBufferedTime. @default 100 */
  readonly recordMaxBufferedTimeMillis?: number;
  /** KPL RecordTtl. @default 30000 */
  readonly recordTtlMillis?: number;
  /** KPL RequestTimeout. @default 6000 */
  readonly requestTimeoutMillis?: number;
  /** KPL RateLimit. @default 100 */
  readonly rateLimitPercent?: number;
  /** KPL ThreadPoolSize. @default 10 */
  readonly threadPoolSize?: number;
  /** KPL FailIfThrottled. @default false */
  readonly failIfThrottled?: boolean;
  /** @default - messages must name their stream */
  readonly defaultStream?: string;
  /** @default - a random partition key per record */
  readonly defaultPartitionKey?: string;
  /** @default - any stream */
  readonly allowedStreams?: readonly string[];
  /** @default false */
  readonly raw?: boolean;
  /** @default 1048576 */
  readonly maxRecordSizeBytes?: number;
  /** @default false */
  readonly failOnError?: boolean;
  /** @default 'kinesis-producer' */
  readonly producerName?: string;
  /** @default - none: malformed messages take the source queue's redrive path */
  readonly deadLetterQueueUrl?: string;
  /** @default - none: each container takes the whole RateLimit budget, as if it wrote alone */
  readonly sourceQueueUrl?: string;
  /** @default - none: a message failed at its last receive takes the queue's redrive path */
  readonly maxReceiveCount?: number;
  /** @default 100 */
  readonly retryBaseMillis?: number;
  /** @default 2000 */
  readonly retryMaxMillis?: number;
  /** @default 2 */
  readonly retryExpConst?: number;
  /** @default 60000 */
  readonly shardMapTtlMillis?: number;
  /** @default 300 */
  readonly heapGrowingPercent?: number;
}

/** One MiB, the default Kinesis record size limit. */
export const MIB = 1024 * 1024;
/** The largest record Kinesis accepts on a stream raised with UpdateMaxRecordSize. */
export const MAX_RECORD_SIZE_LIMIT_BYTES = 10 * MIB;
/** KPL's lower bound for AggregationMaxSize. */
export const MIN_AGGREGATION_MAX_SIZE_BYTES = 64;
/** KPL's lower bound for CollectionMaxSize: an aggregated record of the default size and its overhead fit. */
export const MIN_COLLECTION_MAX_SIZE_BYTES = 52224;
/**
 * PutRecords calls in flight at once: KPL's ThreadPoolSize has no maximum of its own, but each call in
 * flight holds a connection, and KPL's MaxConnections allows at most 256.
 */
export const MAX_THREAD_POOL_SIZE = 256;

/** The producer defaults: KPL's, with RateLimit 100 as the reference connector sets it. */
export const PRODUCER_DEFAULTS = Object.freeze({
  aggregationEnabled: true,
  aggregationMaxCount: 4294967295,
  aggregationMaxSizeBytes: 51200,
  collectionMaxCount: 500,
  collectionMaxSizeBytes: 5 * MIB,
  recordMaxBufferedTimeMillis: 100,
  recordTtlMillis: 30000,
  requestTimeoutMillis: 6000,
  rateLimitPercent: 100,
  threadPoolSize: 10,
  failIfThrottled: false,
  raw: false,
  maxRecordSizeBytes: MIB,
  failOnError: false,
  producerName: 'kinesis-producer',
  retryBaseMillis: 100,
  retryMaxMillis: 2000,
  retryExpConst: 2,
  shardMapTtlMillis: 60000,
  heapGrowingPercent: RUNTIME_DEFAULTS.heapGrowingPercent,
});

const D = PRODUCER_DEFAULTS;

/** A partition key: 1 to 256 Unicode characters. */
export const partitionKey: Kind<string> = {
  allowed: 'a partition key of 1 to 256 Unicode characters',
  parse(value) {
    if (typeof value !== 'string') return undefined;
    const length = [...value].length;
    return length >= 1 && length <= 256 ? value : undefined;
  },
};

/** Every producer setting by name (the AWS ones are in AWS_SETTINGS). */
export const PRODUCER_SETTINGS = {
  aggregationEnabled: setting({
    key: 'AggregationEnabled',
    path: ['aggregationEnabled'],
    kind: boolean,
    default: D.aggregationEnabled,
    description: 'pack user records into KPL aggregated records',
  }),
  aggregationMaxCount: setting({
    key: 'AggregationMaxCount',
    path: ['aggregationMaxCount'],
    kind: longInteger(1),
    default: D.aggregationMaxCount,
    description: 'most user records in one aggregated record',
  }),
  aggregationMaxSizeBytes: setting({
    key: 'AggregationMaxSize',
    path: ['aggregationMaxSizeBytes'],
    kind: integer(
      MIN_AGGREGATION_MAX_SIZE_BYTES,
      MAX_RECORD_SIZE_LIMIT_BYTES,
      'bytes; at most producer.maxrecordsizebytes',
    ),
    default: D.aggregationMaxSizeBytes,
    description: 'largest aggregated record in bytes',
  }),
  collectionMaxCount: setting({
    key: 'CollectionMaxCount',
    path: ['collectionMaxCount'],
    kind: integer(1, 500, 'PutRecords takes at most 500 records'),
    default: D.collectionMaxCount,
    description: 'most records in one PutRecords request',
  }),
  collectionMaxSizeBytes: setting({
    key: 'CollectionMaxSize',
    path: ['collectionMaxSizeBytes'],
    kind: integer(
      MIN_COLLECTION_MAX_SIZE_BYTES,
      MAX_RECORD_SIZE_LIMIT_BYTES,
      'bytes; PutRecords takes at most 5 MiB, 10 MiB where AWS raised it',
    ),
    default: D.collectionMaxSizeBytes,
    description: 'largest PutRecords request in bytes',
  }),
  recordMaxBufferedTimeMillis: setting({
    key: 'RecordMaxBufferedTime',
    path: ['recordMaxBufferedTimeMillis'],
    kind: longInteger(0, 'milliseconds'),
    default: D.recordMaxBufferedTimeMillis,
    description: 'longest a record waits for a fuller batch before it is sent',
  }),
  recordTtlMillis: setting({
    key: 'RecordTtl',
    path: ['recordTtlMillis'],
    kind: longInteger(100, 'milliseconds'),
    default: D.recordTtlMillis,
    description:
      "longest one invocation keeps trying to put a record, counted from the invocation's start, not from " +
      'when the message was sent (the queue is the buffer); a record not put by then goes back to the queue',
  }),
  requestTimeoutMillis: setting({
    key: 'RequestTimeout',
    path: ['requestTimeoutMillis'],
    kind: integer(100, 600000, 'milliseconds'),
    default: D.requestTimeoutMillis,
    description: 'longest one PutRecords request may take',
  }),
  rateLimitPercent: setting({
    key: 'RateLimit',
    path: ['rateLimitPercent'],
    kind: longInteger(1, 'percent of the 1 MiB/s and 1,000 records/s per shard'),
    default: D.rateLimitPercent,
    description:
      "the share of each shard's write limits the whole deployment may use, however many containers run " +
      "(KPL's default is 150)",
  }),
  threadPoolSize: setting({
    key: 'ThreadPoolSize',
    path: ['threadPoolSize'],
    kind: integer(1, MAX_THREAD_POOL_SIZE),
    default: D.threadPoolSize,
    description: 'most PutRecords requests in flight at once',
  }),
  failIfThrottled: setting({
    key: 'FailIfThrottled',
    path: ['failIfThrottled'],
    kind: boolean,
    default: D.failIfThrottled,
    description: 'report a throttled record as failed at once instead of retrying it',
  }),
  defaultStream: setting({
    key: 'producer.defaultstream',
    path: ['defaultStream'],
    kind: streamRef,
    defaultText: '- messages must name their stream',
    description:
      'the stream (by name, or by ARN for a stream in another account) for messages that name none; required in raw mode',
  }),
  defaultPartitionKey: setting({
    key: 'producer.defaultpartitionkey',
    path: ['defaultPartitionKey'],
    kind: partitionKey,
    defaultText: '- a random key per record',
    description: 'the partition key for messages that give none',
  }),
  allowedStreams: setting({
    key: 'producer.allowedstreams',
    path: ['allowedStreams'],
    kind: streamRefs,
    defaultText: '- any stream',
    description:
      'the only streams (names or ARNs, as messages name them) messages may name; others fail validation',
  }),
  raw: setting({
    key: 'producer.raw',
    path: ['raw'],
    kind: boolean,
    default: D.raw,
    description: 'take each message body as the record data for the default stream, with no envelope',
  }),
  maxRecordSizeBytes: setting({
    key: 'producer.maxrecordsizebytes',
    path: ['maxRecordSizeBytes'],
    kind: integer(
      MIB,
      MAX_RECORD_SIZE_LIMIT_BYTES,
      'bytes; 1 MiB unless the stream was raised with UpdateMaxRecordSize',
    ),
    default: D.maxRecordSizeBytes,
    description: 'largest record (data and partition key) the streams accept',
  }),
  failOnError: setting({
    key: 'producer.failonerror',
    path: ['failOnError'],
    kind: boolean,
    default: D.failOnError,
    description:
      'fail the whole invocation on a record error instead of reporting that message as a batch item failure',
  }),
  producerName: setting({
    key: 'producer.name',
    path: ['producerName'],
    kind: text('1 to 128 letters, digits, "_", "." or "-"', /^[a-zA-Z0-9_.-]+$/, 1, 128),
    default: D.producerName,
    description:
      'names the producer in metrics (dimension ProducerName), so producers in one region stay apart',
  }),
  deadLetterQueueUrl: setting({
    key: 'producer.deadletterqueueurl',
    path: ['deadLetterQueueUrl'],
    kind: url,
    defaultText: "- none: malformed messages take the source queue's redrive path",
    description:
      "SQS queue that receives malformed messages at once (the CDK construct sets the source queue's DLQ)",
  }),
  sourceQueueUrl: setting({
    key: 'producer.sourcequeueurl',
    path: ['sourceQueueUrl'],
    kind: url,
    defaultText: '- none: each container takes the whole RateLimit budget, as if it wrote alone',
    description:
      "the SQS queue the producer is fed from: its in-flight message count divides each shard's budget " +
      'among the containers running (the CDK construct sets it)',
  }),
  maxReceiveCount: setting({
    key: 'producer.maxreceivecount',
    path: ['maxReceiveCount'],
    kind: integer(1, 1000),
    defaultText:
      "- none: a message that fails at its last receive takes the queue's redrive path, without a reason",
    description:
      "the source queue's maxReceiveCount: a message still not written at that receive goes to the dead-letter " +
      'queue from the producer, with its reason (the CDK construct sets it)',
  }),
  retryBaseMillis: setting({
    key: 'producer.retry.backoff.base',
    path: ['retryBaseMillis'],
    kind: integer(0, 600000, 'milliseconds'),
    default: D.retryBaseMillis,
    description:
      'backoff base between retries of PutRecords entries Kinesis failed (retried until RecordTtl)',
  }),
  retryMaxMillis: setting({
    key: 'producer.retry.backoff.max',
    path: ['retryMaxMillis'],
    kind: integer(0, 600000, 'milliseconds'),
    default: D.retryMaxMillis,
    description: 'backoff ceiling between retries of failed PutRecords entries',
  }),
  retryExpConst: setting({
    key: 'producer.retry.backoff.expconst',
    path: ['retryExpConst'],
    kind: numberFrom(1, 100),
    default: D.retryExpConst,
    description: 'backoff growth: sleep = random x min(max, base x expconst^attempt)',
  }),
  shardMapTtlMillis: setting({
    key: 'producer.shardmap.ttlmillis',
    path: ['shardMapTtlMillis'],
    kind: integer(0, 86400000, 'milliseconds'),
    default: D.shardMapTtlMillis,
    description:
      "how long a stream's shard map is trusted before it is listed again (a put landing on an unexpected shard " +
      'lists it at once)',
  }),
  heapGrowingPercent: setting({
    key: 'producer.heapgrowingpercent',
    path: ['heapGrowingPercent'],
    ...heapGrowingPercentRow('PutRecords calls'),
  }),
};

/** Every producer setting, the AWS ones included, in documentation order. */
export const PRODUCER_SETTINGS_LIST: readonly Setting<unknown>[] = [
  ...Object.values(AWS_SETTINGS),
  ...Object.values(AWS_ENDPOINT_SETTINGS),
  ...Object.values(PRODUCER_SETTINGS),
] as readonly Setting<unknown>[];
