import { Duration, Token } from 'aws-cdk-lib';
import type * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kinesis from 'aws-cdk-lib/aws-kinesis';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import type * as logs from 'aws-cdk-lib/aws-logs';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { createAlarm, queueDepthMetric } from './alarms';
import { PRODUCER_BUNDLE_DEFINE } from './bundling';
import { ProducerMetricName, producerMetric, producerStreamMetric } from './metrics';
import { ConnectorFunction, checkFunctionChoices } from './connector-function';
import {
  PRODUCER_CONSTRUCT_DEFAULTS as DEFAULTS,
  defaultProducerBatchSize,
  producerVisibilityTimeoutSeconds,
} from './construct-defaults';
import { PRODUCER_DEFAULTS, PRODUCER_SETTINGS, type ProducerOptions } from '../functions/core/config';
import { checkSettingProps, millis, producerFunctionEnvironment } from './runtime-environment';
import { isOtherAccount, streamIdentifier } from './stream-access';
import {
  checkDuration,
  checkNumber,
  checkPattern,
  checkShorter,
  configError,
  describeDuration,
} from './validation';

const OWNER = 'KinesisProducer';

/** Props of `KinesisProducer`. */
export interface KinesisProducerProps {
  /**
   * The streams the producer may write to (at least one); a message naming any other stream is rejected.
   * One in another account (say `Stream.fromStreamArn`) is written by its ARN, under the resource policy
   * its owner attached (docs/cross-account.md): messages name it by that ARN. Every stream must be in this
   * stack's region.
   */
  readonly streams: readonly kinesis.IStream[];
  /**
   * Where a message that names no stream goes; must be one of `streams`.
   * @default - the first of `streams`
   */
  readonly defaultStream?: kinesis.IStream;
  /**
   * Name of the producer in logs and metric dimensions.
   * @default - the construct's id
   */
  readonly producerName?: string;
  /**
   * Your handler file, built with the runtime's `createProducerHandler({ partitioner, targetStream })`,
   * for a custom partitioner or target-stream selector; esbuild bundles it as it bundles the built-in
   * handler, and it reads the same settings.
   * @default - the built-in handler: routing from the settings and the messages alone
   */
  readonly handlerEntry?: string;
  /**
   * The export of `handlerEntry` to run.
   * @default 'handler'
   */
  readonly handlerName?: string;

  /**
   * Whether the queue is FIFO (ordered per message group, batches of at most 10, no batching window).
   * @default false
   */
  readonly fifo?: boolean;
  /**
   * FIFO only: deduplicate on a hash of the body instead of a deduplication id in each message.
   * @default false
   */
  readonly contentBasedDeduplication?: boolean;
  /**
   * Customer managed key for both queues.
   * @default - SQS managed server-side encryption (SSE-SQS)
   */
  readonly queueEncryptionKey?: kms.IKey;
  /**
   * How long an unprocessed message stays in the queue.
   * @default Duration.days(4)
   */
  readonly queueRetentionPeriod?: Duration;
  /**
   * How long a message stays in the dead-letter queue.
   * @default Duration.days(14)
   */
  readonly deadLetterQueueRetentionPeriod?: Duration;
  /**
   * Receives before a message moves to the dead-letter queue.
   * @default 5
   */
  readonly maxReceiveCount?: number;
  /**
   * Queue visibility timeout; at least 6 times `functionTimeout` so a retried batch is not
   * received again while the first attempt still runs.
   * @default - 6 x functionTimeout
   */
  readonly visibilityTimeout?: Duration;

  /**
   * Messages per invocation. Standard queues: 1 to 10,000; FIFO: 1 to 10.
   * @default - 100 for a standard queue, 10 for FIFO
   */
  readonly batchSize?: number;
  /**
   * How long Lambda gathers messages before invoking, 0 to 300 seconds; standard queues only.
   * @default - 1 second for a standard queue (larger batches aggregate better), none for FIFO
   */
  readonly maxBatchingWindow?: Duration;
  /**
   * Most concurrent invocations the queue drives, 2 to 1,000. It bounds how many instances share
   * a shard's write budget, which each instance's rate limiter assumes it mostly has to itself.
   * @default 10
   */
  readonly maxConcurrency?: number;

  /**
   * Function timeout.
   * @default Duration.seconds(60)
   */
  readonly functionTimeout?: Duration;
  /**
   * Function memory in MB.
   * @default 512
   */
  readonly memorySizeMb?: number;
  /**
   * Instruction set of the function.
   * @default lambda.Architecture.ARM_64
   */
  readonly architecture?: lambda.Architecture;
  /**
   * Retention of the function's log group.
   * @default logs.RetentionDays.ONE_MONTH
   */
  readonly logRetention?: logs.RetentionDays;

  /**
   * Pack user records into KPL aggregated records (KPL `AggregationEnabled`).
   * @default true
   */
  readonly aggregationEnabled?: boolean;
  /**
   * Most user records in one aggregated record (KPL `AggregationMaxCount`).
   * @default 4294967295
   */
  readonly aggregationMaxCount?: number;
  /**
   * Largest aggregated record in bytes, 64 to 10 MiB and at most `maxRecordSizeBytes` (KPL `AggregationMaxSize`).
   * @default 51200
   */
  readonly aggregationMaxSizeBytes?: number;
  /**
   * Most records in one PutRecords request, 1 to 500 (KPL `CollectionMaxCount`).
   * @default 500
   */
  readonly collectionMaxCount?: number;
  /**
   * Largest PutRecords request in bytes (5 MiB by default), at least `maxRecordSizeBytes` (KPL `CollectionMaxSize`).
   * @default 5242880
   */
  readonly collectionMaxSizeBytes?: number;
  /**
   * Longest a record waits for a fuller request (KPL `RecordMaxBufferedTime`).
   * @default Duration.millis(100)
   */
  readonly recordMaxBufferedTime?: Duration;
  /**
   * Longest a record may take to be put, counted from when its message was sent, before it is
   * reported as failed; shorter than `functionTimeout` (KPL `RecordTtl`).
   * @default Duration.seconds(30)
   */
  readonly recordTtl?: Duration;
  /**
   * Longest one PutRecords request may take (KPL `RequestTimeout`).
   * @default Duration.seconds(6)
   */
  readonly requestTimeout?: Duration;
  /**
   * Percent of each shard's write limits (1 MiB/s, 1,000 records/s) the producer allows itself (KPL `RateLimit`).
   * @default 100
   */
  readonly rateLimitPercent?: number;
  /**
   * Most PutRecords requests in flight at once, 1 to 256 (KPL `ThreadPoolSize`).
   * @default 10
   */
  readonly threadPoolSize?: number;
  /**
   * Report a throttled record as failed at once instead of retrying it (KPL `FailIfThrottled`).
   * @default false
   */
  readonly failIfThrottled?: boolean;
  /**
   * Partition key of messages that give none.
   * @default - a random key per record
   */
  readonly defaultPartitionKey?: string;
  /**
   * Take each message body as the record data for `defaultStream`, with no envelope.
   * @default false
   */
  readonly rawMessages?: boolean;
  /**
   * Largest record (data and partition key) the streams accept, 1 MiB to 10 MiB (raised with UpdateMaxRecordSize).
   * @default 1048576
   */
  readonly maxRecordSizeBytes?: number;
  /**
   * Fail the whole batch on a record error instead of reporting just that message as failed.
   * @default false
   */
  readonly failOnError?: boolean;

  /**
   * Where every alarm sends its ALARM and OK notifications.
   * @default - the alarms notify nobody
   */
  readonly alarmAction?: cloudwatch.IAlarmAction;
  /**
   * Alarm when any message reaches the dead-letter queue.
   * @default true
   */
  readonly deadLetterQueueAlarm?: boolean;
  /**
   * Alarm when the oldest message in the queue is older than `oldestMessageAgeThreshold`.
   * @default true
   */
  readonly oldestMessageAlarm?: boolean;
  /**
   * Age of the oldest queued message that sets off the oldest-message alarm.
   * @default Duration.minutes(5)
   */
  readonly oldestMessageAgeThreshold?: Duration;
  /**
   * Alarm per stream when writes are throttled for 15 minutes running.
   * @default true
   */
  readonly throttledWritesAlarm?: boolean;
  /**
   * Throttled records per 5 minutes that count as throttling.
   * @default 1
   */
  readonly throttledWritesThreshold?: number;
}

/** Default function timeout of the producer. */
export const DEFAULT_PRODUCER_TIMEOUT = Duration.seconds(DEFAULTS.functionTimeoutSeconds);
const MAX_VISIBILITY = Duration.hours(12);

/**
 * The SQS-fronted producer: an encrypted, TLS-only queue (standard or FIFO) with a dead-letter
 * queue, and the producer function reading it through an event source mapping with partial batch
 * responses, writing to the allowed Kinesis streams.
 */
export class KinesisProducer extends Construct {
  /** The queue that services send messages to. */
  readonly queue: sqs.Queue;
  /** Where messages go after `maxReceiveCount` receives, or at once when they are malformed. */
  readonly deadLetterQueue: sqs.Queue;
  /** The producer function. */
  readonly function: lambda.IFunction;
  /** The streams this producer may write to. */
  readonly streams: readonly kinesis.IStream[];
  /** What the function is told of each stream, in stream order: its name, or its ARN in another account. */
  private readonly streamIds: readonly string[];
  /** The alarms created (those not turned off). */
  readonly alarms: readonly cloudwatch.Alarm[];
  /** Name of the producer in logs and metric dimensions. */
  readonly producerName: string;

  constructor(scope: Construct, id: string, props: KinesisProducerProps) {
    super(scope, id);
    const fifo = props.fifo ?? false;
    validate(props, fifo);
    this.streams = props.streams;
    this.streamIds = props.streams.map((stream) => streamIdentifier(this, OWNER, 'streams', stream));
    this.producerName = props.producerName ?? id;
    // The name becomes the runtime's producer.name (a metric dimension), so it obeys that setting's rule.
    checkSettingProps(OWNER, [
      { prop: 'producerName', setting: PRODUCER_SETTINGS.producerName, value: this.producerName },
    ]);
    const defaultStream = props.defaultStream ?? props.streams[0];
    const functionTimeout = props.functionTimeout ?? DEFAULT_PRODUCER_TIMEOUT;
    const encryption = props.queueEncryptionKey ? sqs.QueueEncryption.KMS : sqs.QueueEncryption.SQS_MANAGED;

    this.deadLetterQueue = new sqs.Queue(this, 'DeadLetterQueue', {
      fifo: fifo || undefined,
      retentionPeriod:
        props.deadLetterQueueRetentionPeriod ?? Duration.days(DEFAULTS.deadLetterQueueRetentionDays),
      encryption,
      encryptionMasterKey: props.queueEncryptionKey,
      enforceSSL: true,
    });
    this.queue = new sqs.Queue(this, 'Queue', {
      fifo: fifo || undefined,
      contentBasedDeduplication: props.contentBasedDeduplication,
      retentionPeriod: props.queueRetentionPeriod ?? Duration.days(DEFAULTS.queueRetentionDays),
      visibilityTimeout:
        props.visibilityTimeout ??
        Duration.seconds(producerVisibilityTimeoutSeconds(functionTimeout.toSeconds())),
      encryption,
      encryptionMasterKey: props.queueEncryptionKey,
      enforceSSL: true,
      deadLetterQueue: {
        queue: this.deadLetterQueue,
        maxReceiveCount: props.maxReceiveCount ?? DEFAULTS.maxReceiveCount,
      },
    });

    const fn = new ConnectorFunction(this, 'Producer', {
      builtIn: 'producer',
      choices: props,
      description: `Kinesis producer ${this.producerName}: SQS messages to Kinesis records`,
      timeout: functionTimeout,
      environment: producerFunctionEnvironment({
        ...producerOptions(props, this.streamIds, props.streams.indexOf(defaultStream as kinesis.IStream)),
        producerName: this.producerName,
        deadLetterQueueUrl: this.deadLetterQueue.queueUrl,
        // Each container's share of a shard's budget comes from this queue's in-flight count (the
        // event source's grant includes sqs:GetQueueAttributes), and a message failing at its last
        // receive is dead-lettered by the producer with its reason.
        sourceQueueUrl: this.queue.queueUrl,
        maxReceiveCount: props.maxReceiveCount ?? DEFAULTS.maxReceiveCount,
      }),
      define: PRODUCER_BUNDLE_DEFINE,
    });
    this.function = fn.function;
    this.grantWriteToStreams(fn.role);
    this.grantSendTo(this.deadLetterQueue, fn.role);

    fn.function.addEventSource(
      new SqsEventSource(this.queue, {
        batchSize: props.batchSize ?? defaultProducerBatchSize(fifo),
        maxBatchingWindow: fifo
          ? undefined
          : (props.maxBatchingWindow ?? Duration.seconds(DEFAULTS.maxBatchingWindowSeconds)),
        maxConcurrency: props.maxConcurrency ?? DEFAULTS.maxConcurrency,
        reportBatchItemFailures: true,
      }),
    );

    this.alarms = this.createAlarms(props);
  }

  /**
   * Lets a service send messages to the producer's queue (and use its customer key, if any).
   * Scoped actions only: sqs:SendMessage, sqs:GetQueueAttributes, sqs:GetQueueUrl.
   */
  grantSend(grantee: iam.IGrantable): iam.Grant {
    return this.grantSendTo(this.queue, grantee);
  }

  /** Age of the oldest message waiting in the queue, in seconds (maximum per period). */
  metricOldestMessageAge(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.queue.metricApproximateAgeOfOldestMessage({ statistic: 'Maximum', ...props });
  }

  /** Messages waiting in the dead-letter queue (maximum per period). */
  metricDeadLetterQueueDepth(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.deadLetterQueue.metricApproximateNumberOfMessagesVisible({ statistic: 'Maximum', ...props });
  }

  /** Messages waiting in the queue (maximum per period). */
  metricQueueDepth(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.queue.metricApproximateNumberOfMessagesVisible({ statistic: 'Maximum', ...props });
  }

  /**
   * A metric this producer's handler publishes (sum per period), e.g. `ProducerMetricName.USER_RECORDS_PUT`;
   * its ProducerName dimension keeps it apart from other producers in the account and region.
   */
  metricRuntime(metricName: ProducerMetricName, props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return producerMetric(metricName, this.producerName, { statistic: 'Sum', ...props });
  }

  /**
   * PutRecords entries this producer had throttled on one stream (sum per period): its shards are short
   * of room for what the deployment sends (each entry is retried).
   */
  metricThrottledEntries(stream: kinesis.IStream, props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    // The runtime's StreamName dimension is what it was told: the ARN of another account's stream.
    const index = this.streams.indexOf(stream);
    const dimension = index >= 0 ? (this.streamIds[index] as string) : stream.streamName;
    return producerStreamMetric(ProducerMetricName.THROTTLED_ENTRIES, this.producerName, dimension, {
      statistic: 'Sum',
      ...props,
    });
  }

  /** Failed invocations of the producer function (sum per period). */
  metricErrors(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.function.metricErrors({ statistic: 'Sum', ...props });
  }

  private grantWriteToStreams(role: iam.IRole): void {
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['kinesis:PutRecords', 'kinesis:ListShards'],
        resources: this.streams.map((stream) => stream.streamArn),
      }),
    );
    for (const key of uniqueKeys(this.streams.map((stream) => stream.encryptionKey))) {
      key.grant(role, 'kms:GenerateDataKey');
    }
  }

  private grantSendTo(queue: sqs.IQueue, grantee: iam.IGrantable): iam.Grant {
    const grant = iam.Grant.addToPrincipalOrResource({
      grantee,
      actions: ['sqs:SendMessage', 'sqs:GetQueueAttributes', 'sqs:GetQueueUrl'],
      resourceArns: [queue.queueArn],
      resource: queue,
    });
    // Sending to an SSE-KMS queue needs a data key and the right to decrypt it.
    queue.encryptionMasterKey?.grant(grantee, 'kms:GenerateDataKey', 'kms:Decrypt');
    return grant;
  }

  private createAlarms(props: KinesisProducerProps): cloudwatch.Alarm[] {
    const alarms: cloudwatch.Alarm[] = [];
    const action = props.alarmAction;
    if (props.deadLetterQueueAlarm ?? true) {
      alarms.push(
        createAlarm(
          this,
          {
            id: 'DeadLetterQueueNotEmpty',
            metric: queueDepthMetric(this.deadLetterQueue),
            threshold: 1,
            description: `Producer ${this.producerName}: messages reached the dead-letter queue (malformed, or failed ${props.maxReceiveCount ?? DEFAULTS.maxReceiveCount} times).`,
          },
          action,
        ),
      );
    }
    if (props.oldestMessageAlarm ?? true) {
      const threshold = props.oldestMessageAgeThreshold ?? Duration.minutes(5);
      alarms.push(
        createAlarm(
          this,
          {
            id: 'OldestMessageAge',
            metric: this.metricOldestMessageAge(),
            threshold: threshold.toSeconds(),
            description: `Producer ${this.producerName}: the oldest queued message is ${describeDuration(threshold)} old or more; the producer is falling behind.`,
          },
          action,
        ),
      );
    }
    if (props.throttledWritesAlarm ?? true) {
      this.streams.forEach((stream, index) => {
        alarms.push(
          createAlarm(
            this,
            {
              id: `ThrottledWrites${index}`,
              // Another account's stream publishes its metrics in that account: count our own throttled entries.
              metric: isOtherAccount(this, stream)
                ? this.metricThrottledEntries(stream, { period: Duration.minutes(5) })
                : stream.metricWriteProvisionedThroughputExceeded({
                    statistic: 'Sum',
                    period: Duration.minutes(5),
                  }),
              threshold: props.throttledWritesThreshold ?? 1,
              evaluationPeriods: 3,
              description: `Producer ${this.producerName}: writes to stream ${stream.streamName} were throttled for 15 minutes; add shards or make the stream on-demand.`,
            },
            action,
          ),
        );
      });
    }
    return alarms;
  }
}

/** The runtime settings the props give; unset ones keep the runtime's (KPL) defaults. */
function producerOptions(
  props: KinesisProducerProps,
  streamIds: readonly string[],
  defaultIndex: number,
): ProducerOptions {
  return {
    defaultStream: streamIds[defaultIndex],
    allowedStreams: streamIds,
    aggregationEnabled: props.aggregationEnabled,
    aggregationMaxCount: props.aggregationMaxCount,
    aggregationMaxSizeBytes: props.aggregationMaxSizeBytes,
    collectionMaxCount: props.collectionMaxCount,
    collectionMaxSizeBytes: props.collectionMaxSizeBytes,
    recordMaxBufferedTimeMillis: millis(props.recordMaxBufferedTime),
    recordTtlMillis: millis(props.recordTtl),
    requestTimeoutMillis: millis(props.requestTimeout),
    rateLimitPercent: props.rateLimitPercent,
    threadPoolSize: props.threadPoolSize,
    failIfThrottled: props.failIfThrottled,
    defaultPartitionKey: props.defaultPartitionKey,
    raw: props.rawMessages,
    maxRecordSizeBytes: props.maxRecordSizeBytes,
    failOnError: props.failOnError,
  };
}

function validateRuntimeSettings(props: KinesisProducerProps): void {
  const S = PRODUCER_SETTINGS;
  checkSettingProps(OWNER, [
    { prop: 'aggregationMaxCount', setting: S.aggregationMaxCount, value: props.aggregationMaxCount },
    {
      prop: 'aggregationMaxSizeBytes',
      setting: S.aggregationMaxSizeBytes,
      value: props.aggregationMaxSizeBytes,
    },
    { prop: 'collectionMaxCount', setting: S.collectionMaxCount, value: props.collectionMaxCount },
    {
      prop: 'collectionMaxSizeBytes',
      setting: S.collectionMaxSizeBytes,
      value: props.collectionMaxSizeBytes,
    },
    {
      prop: 'recordMaxBufferedTime',
      setting: S.recordMaxBufferedTimeMillis,
      value: props.recordMaxBufferedTime,
    },
    { prop: 'recordTtl', setting: S.recordTtlMillis, value: props.recordTtl },
    { prop: 'requestTimeout', setting: S.requestTimeoutMillis, value: props.requestTimeout },
    { prop: 'rateLimitPercent', setting: S.rateLimitPercent, value: props.rateLimitPercent },
    { prop: 'threadPoolSize', setting: S.threadPoolSize, value: props.threadPoolSize },
    { prop: 'defaultPartitionKey', setting: S.defaultPartitionKey, value: props.defaultPartitionKey },
    { prop: 'maxRecordSizeBytes', setting: S.maxRecordSizeBytes, value: props.maxRecordSizeBytes },
  ]);
  const maxRecord = props.maxRecordSizeBytes ?? PRODUCER_DEFAULTS.maxRecordSizeBytes;
  const aggregate = props.aggregationMaxSizeBytes ?? PRODUCER_DEFAULTS.aggregationMaxSizeBytes;
  const collection = props.collectionMaxSizeBytes ?? PRODUCER_DEFAULTS.collectionMaxSizeBytes;
  if (!Token.isUnresolved(maxRecord) && !Token.isUnresolved(aggregate) && aggregate > maxRecord) {
    throw configError(
      OWNER,
      'aggregationMaxSizeBytes',
      `aggregationMaxSizeBytes is ${aggregate}; it must be at most maxRecordSizeBytes (${maxRecord}), since an aggregated record is one Kinesis record.`,
    );
  }
  if (!Token.isUnresolved(maxRecord) && !Token.isUnresolved(collection) && collection < maxRecord) {
    throw configError(
      OWNER,
      'collectionMaxSizeBytes',
      `collectionMaxSizeBytes is ${collection}; it must be at least maxRecordSizeBytes (${maxRecord}), so the largest record fits in a request.`,
    );
  }
  checkShorter(
    OWNER,
    'recordTtl',
    props.recordTtl ?? Duration.millis(PRODUCER_DEFAULTS.recordTtlMillis),
    'functionTimeout',
    props.functionTimeout ?? DEFAULT_PRODUCER_TIMEOUT,
    'so a record is reported as put or failed before the invocation ends',
  );
}

function validate(props: KinesisProducerProps, fifo: boolean): void {
  validateRuntimeSettings(props);
  checkFunctionChoices(OWNER, props);
  if (props.streams.length === 0) {
    throw configError(
      OWNER,
      'streams',
      'streams is empty; give at least one stream the producer may write to.',
    );
  }
  if (props.defaultStream && !props.streams.includes(props.defaultStream)) {
    throw configError(OWNER, 'defaultStream', 'defaultStream is not one of streams; add it to streams.');
  }
  checkPattern(
    OWNER,
    'producerName',
    props.producerName,
    /^[a-zA-Z0-9_.-]{1,64}$/,
    'use 1 to 64 letters, digits, underscores, hyphens or periods',
  );
  if (!fifo && props.contentBasedDeduplication !== undefined) {
    throw configError(
      OWNER,
      'contentBasedDeduplication',
      'contentBasedDeduplication applies only to FIFO queues; set fifo: true or leave it unset.',
    );
  }
  checkNumber(OWNER, 'maxReceiveCount', props.maxReceiveCount, { min: 1, max: 1000 });
  checkNumber(OWNER, 'maxConcurrency', props.maxConcurrency, { min: 2, max: 1000 });
  checkNumber(OWNER, 'throttledWritesThreshold', props.throttledWritesThreshold, {
    min: 1,
    max: Number.MAX_SAFE_INTEGER,
  });
  checkDuration(OWNER, 'functionTimeout', props.functionTimeout, {
    min: Duration.seconds(1),
    max: Duration.minutes(15),
    wholeUnit: 'seconds',
  });
  const retention = { min: Duration.seconds(60), max: Duration.days(14), wholeUnit: 'seconds' } as const;
  checkDuration(OWNER, 'queueRetentionPeriod', props.queueRetentionPeriod, retention);
  checkDuration(OWNER, 'deadLetterQueueRetentionPeriod', props.deadLetterQueueRetentionPeriod, retention);
  checkDuration(OWNER, 'oldestMessageAgeThreshold', props.oldestMessageAgeThreshold, {
    min: Duration.minutes(1),
    max: Duration.days(14),
    wholeUnit: 'seconds',
  });

  const timeout = props.functionTimeout ?? DEFAULT_PRODUCER_TIMEOUT;
  if (timeout.isUnresolved() && props.visibilityTimeout === undefined) {
    throw configError(
      OWNER,
      'visibilityTimeout',
      'functionTimeout is a Token, so the visibility timeout cannot be derived from it; give visibilityTimeout (at least 6 x functionTimeout).',
    );
  }
  if (props.visibilityTimeout && !props.visibilityTimeout.isUnresolved() && !timeout.isUnresolved()) {
    const min = Duration.seconds(producerVisibilityTimeoutSeconds(timeout.toSeconds()));
    checkDuration(OWNER, 'visibilityTimeout', props.visibilityTimeout, {
      min,
      max: MAX_VISIBILITY,
      wholeUnit: 'seconds',
    });
  }
  if (fifo) {
    checkNumber(OWNER, 'batchSize', props.batchSize, { min: 1, max: 10 });
    if (props.maxBatchingWindow !== undefined) {
      throw configError(
        OWNER,
        'maxBatchingWindow',
        'maxBatchingWindow is not supported on FIFO queues; leave it unset.',
      );
    }
    return;
  }
  checkNumber(OWNER, 'batchSize', props.batchSize, { min: 1, max: 10_000 });
  checkDuration(OWNER, 'maxBatchingWindow', props.maxBatchingWindow, {
    min: Duration.seconds(0),
    max: Duration.seconds(300),
    wholeUnit: 'seconds',
  });
  const batchSize = props.batchSize ?? defaultProducerBatchSize(false);
  const window = props.maxBatchingWindow;
  if (
    !Token.isUnresolved(batchSize) &&
    batchSize > 10 &&
    window !== undefined &&
    !window.isUnresolved() &&
    window.toSeconds() === 0
  ) {
    throw configError(
      OWNER,
      'maxBatchingWindow',
      `maxBatchingWindow is 0 seconds but batchSize is ${batchSize}; Lambda needs a batching window of at least 1 second for batches over 10.`,
    );
  }
}

function uniqueKeys(keys: readonly (kms.IKey | undefined)[]): kms.IKey[] {
  return [...new Set(keys.filter((key): key is kms.IKey => key !== undefined))];
}
