import { ArnFormat, Duration, RemovalPolicy, Stack, Token, Validations } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kinesis from 'aws-cdk-lib/aws-kinesis';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as logs from 'aws-cdk-lib/aws-logs';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as targets from 'aws-cdk-lib/aws-scheduler-targets';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import type * as ssm from 'aws-cdk-lib/aws-ssm';
import { Construct } from 'constructs';
import { ACKNOWLEDGEMENTS, RESOURCE_ACKNOWLEDGEMENT_REASONS, acknowledgeResource } from './acknowledgements';
import { createAlarm, queueDepthMetric } from './alarms';
import { consumerBundleDefine } from './bundling';
import { ConnectorFunction, checkFunctionChoices } from './connector-function';
import {
  CONSUMER_CONSTRUCT_DEFAULTS,
  CONTINUOUS_TIME_BUDGET_SECONDS,
  continuousFunctionTimeoutSeconds,
  consumerCheckpointPath,
  consumerFunctionTimeoutSeconds,
  consumerMinFunctionTimeoutSeconds,
  consumerTimeBudgetMillis,
} from './construct-defaults';
import { DEFAULT_STREAM_RETENTION, knownRetention } from './kinesis-streams';
import { ConsumerMetricName, MetricDimension, consumerStreamMetric, runtimeMetric } from './metrics';
import { CONSUMER_SERVICE } from '../functions/core/consumer/metrics';
import {
  CONSUMER_DEFAULTS,
  CONSUMER_SETTINGS,
  ENV_PREFIX,
  type ConsumerOptions,
  type Deserializer,
  type InitialPosition,
  type SsmTier,
} from '../functions/core/config';
import {
  DYNAMODB_CHECKPOINT_ACTIONS,
  SSM_CHECKPOINT_ACTIONS,
} from '../functions/core/checkpoints/permissions';
import { TABLE_KEY } from '../functions/core/checkpoints/table-key';
import {
  CONSUMER_BACKOFF_KEYS,
  type EfoRegistration,
  type RecordPublisher,
} from '../functions/core/config/consumer-settings';
import {
  EXACTLY_ONCE_STATE_ACTIONS,
  EXACTLY_ONCE_TABLE_ACTIONS,
} from '../functions/core/exactly-once/permissions';
import { checkSettingProps, consumerFunctionEnvironment, millis } from './runtime-environment';
import {
  grantEnhancedFanOut,
  isOtherAccount,
  planEnhancedFanOut,
  streamIdentifier,
  type EfoSetup,
} from './stream-access';
import {
  checkDuration,
  checkNumber,
  checkPattern,
  checkShorter,
  configError,
  describeDuration,
} from './validation';

const OWNER = 'KinesisConsumer';

/** Exactly-once mode of a KinesisConsumer. */
export interface ExactlyOnceProps {
  /**
   * The keyed state table: string partition key `pk`, string sort key `sk`.
   * @default - a new table (on demand, encrypted, point-in-time recovery, retained on delete)
   */
  readonly stateTable?: dynamodb.ITable;
  /**
   * The user's own tables the handler writes to (put, update, delete, condition checks).
   * @default - none
   */
  readonly tables?: readonly dynamodb.ITable[];
}

/** Props of `KinesisConsumer`. */
export interface KinesisConsumerProps {
  /** Name of the consumer: its checkpoint path, log and metric dimension. Letters, digits, `_.-`. */
  readonly consumerName: string;
  /**
   * The streams to read (at least one), created in this app or imported; one in another account (say
   * `Stream.fromStreamArn`) is read by its ARN, under the resource policy its owner attached
   * (docs/cross-account.md). Every stream must be in this stack's region.
   */
  readonly streams: readonly kinesis.IStream[];

  /**
   * Your handler file, built with the runtime's `createConsumerHandler(processor)`; esbuild bundles
   * it and the consumer runs your processor in-process. Give this or `target`.
   * @default - none: records are delivered to `target`
   */
  readonly handlerEntry?: string;
  /**
   * The export of `handlerEntry` to run.
   * @default 'handler'
   */
  readonly handlerName?: string;
  /**
   * An existing function that receives the records in batches (invoked synchronously). Give this
   * or `handlerEntry`.
   * @default - none: records go to the processor in `handlerEntry`
   */
  readonly target?: lambda.IFunction;
  /**
   * Records per delivered batch, 1 to 10,000.
   * @default 100
   */
  readonly batchSize?: number;
  /**
   * How long a partial batch waits to fill before it is delivered anyway, 0 to 300 seconds.
   * @default - none: the records of each read are delivered at once
   */
  readonly maxBatchingWindow?: Duration;
  /**
   * How record data reaches your processor: `'string'` (UTF-8 text), `'json'` (parsed) or `'bytes'`.
   * @default 'string'
   */
  readonly deserializer?: Deserializer;
  /**
   * How the consumer reads: `'POLLING'` (GetRecords, sharing each shard's 2 MiB/s and 5 reads/s with every
   * other reader) or `'EFO'` (enhanced fan-out: SubscribeToShard over HTTP/2, 2 MiB/s per shard of its own).
   * @default 'POLLING'
   */
  readonly recordPublisher?: RecordPublisher;
  /**
   * With EFO: the stream consumer's name, the same on every stream.
   * @default - the consumerName
   */
  readonly efoConsumerName?: string;
  /**
   * With EFO: who registers the stream consumer. `'EAGER'`: this construct, as an
   * `AWS::Kinesis::StreamConsumer` per stream, deregistered when it is removed; `'LAZY'`: the function,
   * when it finds none (it is then granted `kinesis:RegisterStreamConsumer`); `'NONE'`: someone else, such
   * as the owner of a stream in another account: give each in `efoConsumers`.
   * @default 'EAGER'
   */
  readonly efoRegistration?: EfoRegistration;
  /**
   * With EFO: stream consumers registered elsewhere, at most one per stream, read as they are (required
   * for a stream in another account, whose owner registers it).
   * @default - none: registered as `efoRegistration` says
   */
  readonly efoConsumers?: readonly kinesis.IStreamConsumer[];
  /**
   * Where a batch goes (as a reference to its records) when delivery keeps failing.
   * @default - a new SSE-SQS, TLS-only queue that keeps messages 14 days
   */
  readonly onFailureQueue?: sqs.IQueue;
  /**
   * Stop the run at a record that fails to deserialize or deliver (it is retried from the last
   * checkpoint on the next run) instead of reporting it to the on-failure queue and moving on.
   * @default false
   */
  readonly failOnError?: boolean;

  /**
   * Where a shard with no checkpoint starts.
   * @default lambda.StartingPosition.LATEST
   */
  readonly startingPosition?: lambda.StartingPosition;
  /**
   * The time to start from; required with `StartingPosition.AT_TIMESTAMP`, not allowed otherwise.
   * @default - none
   */
  readonly startingTimestamp?: Date;
  /**
   * Number of subtasks, 1 to 1,000: each is invoked on its own schedule and reads its share of the shards.
   * @default 1
   */
  readonly parallelism?: number;
  /**
   * Continuous mode (`consumer.continuous`): each invocation starts its successor before its time
   * budget ends and hands the lease over after its final checkpoint, so every subtask always has a
   * reader; the schedule is the watchdog that restarts a broken chain. False reads only while the
   * scheduled invocations run (a gap of about 10 seconds a minute at the defaults).
   * @default true
   */
  readonly continuous?: boolean;
  /**
   * How often every subtask is invoked, in whole minutes from 1 to 60. In continuous mode the ticks
   * are the watchdog: a tick that finds the subtask's chain alive leaves at once.
   * @default Duration.minutes(1)
   */
  readonly schedulePeriod?: Duration;
  /**
   * Function timeout. Scheduled mode: shorter than `schedulePeriod` so a subtask's invocations never
   * overlap. Continuous mode: longer than `timeBudget` (the lease, not the timeout, keeps invocations apart).
   * @default - continuous: timeBudget plus a minute, at most 15 minutes (15 minutes for the default budget);
   * scheduled: schedulePeriod minus 5 seconds (55 seconds for the default period)
   */
  readonly functionTimeout?: Duration;
  /**
   * How long an invocation reads before it stops, delivers what it holds and writes its last
   * checkpoint (and in continuous mode hands over); shorter than `functionTimeout`. A Token must be
   * given in milliseconds.
   * @default - continuous: 14 minutes; scheduled: functionTimeout minus 5 seconds (50 seconds for the
   * default period, the runtime's default)
   */
  readonly timeBudget?: Duration;
  /**
   * How long before its budget ends a continuous invocation starts its successor, 0 to 60 seconds
   * (`consumer.handover.leadmillis`).
   * @default Duration.seconds(5)
   */
  readonly handoverLead?: Duration;
  /**
   * How long a subtask's lease lasts unless its reader renews it (every third of it), 10 seconds to 5
   * minutes (`consumer.lease.expirymillis`): a crashed invocation's subtask is taken over by the next
   * tick after this has passed.
   * @default Duration.seconds(20)
   */
  readonly leaseExpiry?: Duration;
  /**
   * Time each invocation keeps back from the function's remaining time after reading stops, for the last
   * delivery, the last checkpoint and the lease release (`consumer.shutdown.reservemillis`); the default
   * `timeBudget` keeps it back from `functionTimeout` too.
   * @default - the runtime's default for consumer.shutdown.reservemillis
   */
  readonly shutdownReserve?: Duration;
  /**
   * How long an invocation waits after claiming its subtask's SSM lease before it reads the claim again
   * (`consumer.lease.settlemillis`); longer than any SSM call takes. Unused with `checkpointTable`.
   * @default - the runtime's default for consumer.lease.settlemillis
   */
  readonly leaseSettleDelay?: Duration;
  /**
   * Whether the schedules are enabled; disable to pause the consumer without losing its checkpoints.
   * @default true
   */
  readonly enabled?: boolean;
  /**
   * Records per GetRecords call, 1 to 10,000 (`flink.shard.getrecords.maxrecordcount`).
   * @default 10000
   */
  readonly getRecordsMaxRecords?: number;
  /**
   * Pause between GetRecords calls on a shard; below the 5-minute iterator expiry
   * (`flink.shard.getrecords.intervalmillis`).
   * @default Duration.millis(200)
   */
  readonly getRecordsInterval?: Duration;
  /**
   * GetRecords retries after the first attempt, on throttling or a transient error.
   * @default 3
   */
  readonly getRecordsMaxRetries?: number;
  /**
   * GetRecords backoff base: sleep = random x min(max, base x exponent^attempt).
   * @default Duration.millis(300)
   */
  readonly getRecordsBackoffBase?: Duration;
  /**
   * GetRecords backoff ceiling.
   * @default Duration.millis(1000)
   */
  readonly getRecordsBackoffMax?: Duration;
  /**
   * GetRecords backoff growth per attempt.
   * @default 1.5
   */
  readonly getRecordsBackoffExponent?: number;
  /**
   * GetShardIterator retries after the first attempt.
   * @default 3
   */
  readonly getShardIteratorMaxRetries?: number;
  /**
   * GetShardIterator backoff base.
   * @default Duration.millis(300)
   */
  readonly getShardIteratorBackoffBase?: Duration;
  /**
   * GetShardIterator backoff ceiling.
   * @default Duration.millis(1000)
   */
  readonly getShardIteratorBackoffMax?: Duration;
  /**
   * GetShardIterator backoff growth per attempt.
   * @default 1.5
   */
  readonly getShardIteratorBackoffExponent?: number;
  /**
   * ListShards retries after the first attempt.
   * @default 10
   */
  readonly listShardsMaxRetries?: number;
  /**
   * ListShards backoff base.
   * @default Duration.millis(1000)
   */
  readonly listShardsBackoffBase?: Duration;
  /**
   * ListShards backoff ceiling.
   * @default Duration.millis(5000)
   */
  readonly listShardsBackoffMax?: Duration;
  /**
   * ListShards backoff growth per attempt.
   * @default 1.5
   */
  readonly listShardsBackoffExponent?: number;
  /**
   * How often the subtask looks for new shards (after resharding) (`flink.shard.discovery.intervalmillis`).
   * @default Duration.seconds(10)
   */
  readonly shardDiscoveryInterval?: Duration;
  /**
   * Size each GetRecords call to stay within the shard's 2 MiB/s read limit (`flink.shard.adaptivereads`).
   * @default false
   */
  readonly adaptiveReads?: boolean;
  /**
   * Read GetRecords in Kinesis's CBOR protocol, which carries record data as raw bytes
   * (`aws.kinesis.cbor`); false reads it in the JSON protocol, as the AWS SDK for JavaScript does.
   * @default true
   */
  readonly kinesisCbor?: boolean;
  /**
   * After this long without records a shard stops holding back the watermark (`flink.shard.idle.interval`).
   * @default - off: an idle shard holds the watermark back
   */
  readonly idleShardInterval?: Duration;
  /**
   * How often checkpoints are written during an invocation (always at its end); at least 1 second,
   * since SSM writes are scarce.
   * @default Duration.seconds(10)
   */
  readonly checkpointInterval?: Duration;

  /**
   * SSM path under which each consumer keeps its checkpoints and leases, at `{prefix}/{consumerName}/...`.
   * @default '/serverless-kinesis-connector'
   */
  readonly checkpointParameterPrefix?: string;
  /**
   * SSM tier of the checkpoint parameters (Advanced holds 8 KB instead of 4 KB and is billed).
   * @default ssm.ParameterTier.STANDARD
   */
  readonly checkpointParameterTier?: ssm.ParameterTier;
  /**
   * Keep checkpoints and leases in this DynamoDB table instead of SSM.
   * @default - checkpoints in SSM Parameter Store
   */
  readonly checkpointTable?: dynamodb.ITable;
  /**
   * Exactly-once mode: the handler's keyed state and writes to DynamoDB tables commit with the shard's
   * checkpoint in one transaction fenced by the lease (docs/exactly-once.md). Needs `checkpointTable` and a
   * `handlerEntry` built with `createExactlyOnceHandler`.
   * @default - at-least-once delivery
   */
  readonly exactlyOnce?: ExactlyOnceProps;

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
   * Extra environment variables for your processor; may not reuse the connector's own names.
   * @default - none
   */
  readonly environment?: Record<string, string>;

  /**
   * Where every alarm sends its ALARM and OK notifications.
   * @default - the alarms notify nobody
   */
  readonly alarmAction?: cloudwatch.IAlarmAction;
  /**
   * Alarm per stream when reads fall `lagAlarmThreshold` behind the tip of the stream, on the
   * stream's `GetRecords.IteratorAgeMilliseconds` (which counts every reader of the stream; if other
   * applications read it, alarm on `metricMillisBehindLatest()` instead); with EFO, or for a stream in
   * another account (whose metrics stay in that account), on `metricMillisBehindLatest()`.
   * @default true
   */
  readonly lagAlarm?: boolean;
  /**
   * Iterator age that sets off the lag alarm.
   * @default - half the stream's retention; 12 hours for a stream not created by `KinesisStreams`
   */
  readonly lagAlarmThreshold?: Duration;
  /**
   * Alarm when invocations fail.
   * @default true
   */
  readonly errorsAlarm?: boolean;
  /**
   * Failed invocations per 5 minutes that set off the errors alarm.
   * @default 1
   */
  readonly errorsAlarmThreshold?: number;
  /**
   * Alarm when any batch reaches the on-failure queue.
   * @default true
   */
  readonly onFailureQueueAlarm?: boolean;
  /**
   * One alarm per subtask when it has had no reader (no `Heartbeat` metric) for 3 minutes in a row;
   * missing data is breaching, so a disabled schedule, dropped or throttled invocations, or a broken
   * chain all set it off.
   * @default true
   */
  readonly heartbeatAlarm?: boolean;
  /**
   * Alarm when invocations of the consumer function are throttled (a throttled scheduled invocation is
   * dropped after a minute).
   * @default true
   */
  readonly throttlesAlarm?: boolean;
}

/** Default SSM path prefix of checkpoints and leases. */
export const DEFAULT_CHECKPOINT_PREFIX = CONSUMER_CONSTRUCT_DEFAULTS.checkpointParameterPrefix;
/** Default schedule period of every subtask. */
export const DEFAULT_SCHEDULE_PERIOD = Duration.minutes(CONSUMER_CONSTRUCT_DEFAULTS.schedulePeriodMinutes);
// The shortest event age EventBridge Scheduler and Lambda's async invoke config accept.
const MAX_EVENT_AGE = Duration.minutes(1);
const MAX_LAMBDA_TIMEOUT = Duration.minutes(15);

/** Minutes in a row without a Heartbeat that set off a subtask's heartbeat alarm. */
export const HEARTBEAT_ALARM_MINUTES = 3;

/** The event every schedule sends: which subtask to run, of how many. */
export interface SubtaskEvent {
  readonly subtaskIndex: number;
  readonly parallelism: number;
}

/**
 * The scheduled consumer: `parallelism` EventBridge schedules invoke one function, each with its
 * subtask index; every invocation reads its shards for a time budget, delivers batches to your
 * processor or a target function, and checkpoints to SSM Parameter Store or DynamoDB.
 */
export class KinesisConsumer extends Construct {
  /** The consumer function (one for all subtasks). */
  readonly function: lambda.IFunction;
  /** The schedules, one per subtask, in subtask order. */
  readonly schedules: readonly scheduler.Schedule[];
  /** The group holding the schedules (and nothing else). */
  readonly scheduleGroup: scheduler.ScheduleGroup;
  /** Where failed batches go. */
  readonly onFailureQueue: sqs.IQueue;
  /** The SSM path of checkpoints and leases (`/{prefix}/{consumerName}`), when they live in SSM. */
  readonly checkpointParameterPath?: string;
  /** The table of checkpoints and leases, when they live in DynamoDB. */
  readonly checkpointTable?: dynamodb.ITable;
  /** Exactly-once mode's keyed state table (given or created). */
  readonly stateTable?: dynamodb.ITable;
  /** The streams read. */
  readonly streams: readonly kinesis.IStream[];
  /** With EFO and EAGER registration: the stream consumers this construct registered, in stream order. */
  readonly streamConsumers: readonly kinesis.StreamConsumer[];
  /** What the function is told of each stream, in stream order: its name, or its ARN in another account. */
  private readonly streamIds: readonly string[];
  private readonly efo?: EfoSetup;
  /** The alarms created (those not turned off). */
  readonly alarms: readonly cloudwatch.Alarm[];
  readonly consumerName: string;
  /** Number of subtasks. */
  readonly parallelism: number;

  /** Whether each invocation hands over to a successor it starts. */
  readonly continuous: boolean;

  constructor(scope: Construct, id: string, props: KinesisConsumerProps) {
    super(scope, id);
    this.continuous = props.continuous ?? CONSUMER_DEFAULTS.continuous;
    const timing = resolveTiming(props, this.continuous);
    validate(props);
    this.consumerName = props.consumerName;
    this.streams = props.streams;
    this.streamIds = props.streams.map((stream) => streamIdentifier(this, OWNER, 'streams', stream));
    if (props.recordPublisher === 'EFO') {
      this.efo = planEnhancedFanOut(this, OWNER, {
        streams: props.streams,
        consumerName: props.efoConsumerName ?? props.consumerName,
        registration: props.efoRegistration ?? CONSUMER_CONSTRUCT_DEFAULTS.efoRegistration,
        consumers: props.efoConsumers ?? [],
      });
    }
    this.parallelism = props.parallelism ?? CONSUMER_CONSTRUCT_DEFAULTS.parallelism;
    this.checkpointTable = props.checkpointTable;
    if (props.exactlyOnce) this.stateTable = props.exactlyOnce.stateTable ?? this.createStateTable();
    const path = consumerCheckpointPath(props.consumerName, props.checkpointParameterPrefix);
    if (!props.checkpointTable) this.checkpointParameterPath = path;

    this.onFailureQueue = props.onFailureQueue ?? this.createOnFailureQueue();

    const fn = new ConnectorFunction(this, 'Consumer', {
      builtIn: 'consumer',
      choices: props,
      description: `Kinesis consumer ${props.consumerName}: scheduled reader of ${props.streams.length} stream(s)`,
      timeout: timing.functionTimeout,
      environment: this.environment(props, timing, this.stateTable),
      // Only the clients this deployment uses go into the bundle (the on-failure queue always exists).
      define: consumerBundleDefine({
        checkpointTable: props.checkpointTable !== undefined,
        onFailureQueue: true,
        target: props.target !== undefined,
        continuous: this.continuous,
      }),
    });
    this.function = fn.function;
    this.streamConsumers = this.efo?.registered ?? [];
    if (this.continuous) {
      // A policy of its own: in the role's default policy, the function's ARN would make the function
      // depend on itself.
      new iam.Policy(this, 'StartSuccessor', {
        roles: [fn.role],
        statements: [
          new iam.PolicyStatement({
            actions: ['lambda:InvokeFunction'],
            resources: [fn.function.functionArn],
          }),
        ],
      });
    }
    // A retried or late event would start a second reader of the same shards; the lease catches
    // the rare duplicate, this keeps them rare.
    fn.function.configureAsyncInvoke({ retryAttempts: 0, maxEventAge: MAX_EVENT_AGE });

    this.grantRead(fn.role, this.efo !== undefined);
    if (this.efo) {
      grantEnhancedFanOut(fn.role, this.efo);
      for (const resource of this.efo.consumerResources.filter((r) => r.endsWith(':*'))) {
        Validations.of(fn.role).acknowledge(
          acknowledgeResource(
            RESOURCE_ACKNOWLEDGEMENT_REASONS.lazyStreamConsumer,
            flattenForNag(Stack.of(this).resolve(resource)),
          ),
        );
      }
    }
    this.grantCheckpoints(fn.role, path, props.checkpointTable);
    if (this.stateTable) this.grantExactlyOnce(fn.role, this.stateTable, props.exactlyOnce?.tables ?? []);
    this.grantDelivery(fn.role, props.target);
    // The group holds nothing but these schedules, so it goes with them.
    this.scheduleGroup = new scheduler.ScheduleGroup(this, 'Schedules', {
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.schedules = this.createSchedules(fn.function, timing.schedulePeriod, props.enabled ?? true);
    this.alarms = this.createAlarms(props);
  }

  /**
   * How far behind the tip of a stream this consumer's reads are, in milliseconds (maximum per
   * period); for one stream, or the maximum over all of them.
   */
  metricMillisBehindLatest(stream?: kinesis.IStream, props?: cloudwatch.MetricOptions): cloudwatch.IMetric {
    if (stream) {
      return this.streamMetric(ConsumerMetricName.MILLIS_BEHIND_LATEST, stream, {
        statistic: 'Maximum',
        ...props,
      });
    }
    return this.acrossStreams('MAX', ConsumerMetricName.MILLIS_BEHIND_LATEST, 'Maximum', props);
  }

  /** Records delivered to the processor or target (sum per period), for one stream or all. */
  metricRecordsDelivered(stream?: kinesis.IStream, props?: cloudwatch.MetricOptions): cloudwatch.IMetric {
    if (stream)
      return this.streamMetric(ConsumerMetricName.RECORDS_DELIVERED, stream, { statistic: 'Sum', ...props });
    return this.acrossStreams('SUM', ConsumerMetricName.RECORDS_DELIVERED, 'Sum', props);
  }

  /** Records read from the streams (sum per period), for one stream or all. */
  metricRecordsRead(stream?: kinesis.IStream, props?: cloudwatch.MetricOptions): cloudwatch.IMetric {
    if (stream)
      return this.streamMetric(ConsumerMetricName.RECORDS_READ, stream, { statistic: 'Sum', ...props });
    return this.acrossStreams('SUM', ConsumerMetricName.RECORDS_READ, 'Sum', props);
  }

  /** Batches that failed delivery after every retry (sum per period), for one stream or all. */
  metricDeliveryFailures(stream?: kinesis.IStream, props?: cloudwatch.MetricOptions): cloudwatch.IMetric {
    if (stream)
      return this.streamMetric(ConsumerMetricName.DELIVERY_FAILURES, stream, { statistic: 'Sum', ...props });
    return this.acrossStreams('SUM', ConsumerMetricName.DELIVERY_FAILURES, 'Sum', props);
  }

  /** Failed invocations of the consumer function (sum per period). */
  metricErrors(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.function.metricErrors({ statistic: 'Sum', ...props });
  }

  /** Throttled invocations of the consumer function (sum per period). */
  metricThrottles(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.function.metricThrottles({ statistic: 'Sum', ...props });
  }

  /** Heartbeats of one subtask's reader (sum per period; at least 3 a minute while it has a reader). */
  metricHeartbeat(subtaskIndex: number, props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return runtimeMetric(
      ConsumerMetricName.HEARTBEAT,
      {
        [MetricDimension.SERVICE]: CONSUMER_SERVICE,
        [MetricDimension.CONSUMER_NAME]: this.consumerName,
        [MetricDimension.SUBTASK]: String(subtaskIndex),
      },
      { statistic: 'Sum', ...props },
    );
  }

  /** Batches waiting in the on-failure queue (maximum per period). */
  metricOnFailureQueueDepth(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.onFailureQueue.metricApproximateNumberOfMessagesVisible({ statistic: 'Maximum', ...props });
  }

  private streamMetric(
    name: ConsumerMetricName,
    stream: kinesis.IStream,
    props: cloudwatch.MetricOptions,
  ): cloudwatch.Metric {
    const index = this.streams.indexOf(stream);
    // The runtime's StreamName dimension is what it was told: the ARN of another account's stream.
    const dimension = index >= 0 ? (this.streamIds[index] as string) : stream.streamName;
    return consumerStreamMetric(name, this.consumerName, dimension, props);
  }

  private acrossStreams(
    fn: 'MAX' | 'SUM',
    name: ConsumerMetricName,
    statistic: string,
    props?: cloudwatch.MetricOptions,
  ): cloudwatch.IMetric {
    const metrics = Object.fromEntries(
      this.streams.map((stream, index) => [
        `s${index}`,
        this.streamMetric(name, stream, { statistic, ...props }),
      ]),
    );
    return new cloudwatch.MathExpression({
      expression: `${fn}([${Object.keys(metrics).join(',')}])`,
      usingMetrics: metrics,
      label: `${name} (${this.consumerName})`,
      period: props?.period,
    });
  }

  private environment(
    props: KinesisConsumerProps,
    timing: Timing,
    stateTable: dynamodb.ITable | undefined,
  ): Record<string, string> {
    const own = consumerFunctionEnvironment({
      ...consumerOptions(
        props,
        timing,
        this.checkpointParameterPath,
        this.onFailureQueue,
        this.streamIds,
        this.efo,
      ),
      ...(stateTable ? { exactlyOnce: { enabled: true, stateTable: stateTable.tableName } } : {}),
    });
    for (const name of Object.keys(props.environment ?? {})) {
      if (name in own || name.startsWith(ENV_PREFIX)) {
        throw configError(
          OWNER,
          'environment',
          `environment sets ${name}, a name the connector reserves (${ENV_PREFIX}*, its settings); use a typed prop or rename it.`,
        );
      }
    }
    return { ...own, ...props.environment };
  }

  private createOnFailureQueue(): sqs.Queue {
    const queue = new sqs.Queue(this, 'OnFailureQueue', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(CONSUMER_CONSTRUCT_DEFAULTS.onFailureQueueRetentionDays),
    });
    Validations.of(queue).acknowledge(ACKNOWLEDGEMENTS.onFailureQueueIsTheDeadLetterQueue);
    return queue;
  }

  private grantRead(role: iam.IRole, efo: boolean): void {
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        // Enhanced fan-out reads through the stream consumer (its grants are the EFO set-up's).
        actions: efo
          ? ['kinesis:ListShards', 'kinesis:DescribeStreamSummary']
          : [
              'kinesis:ListShards',
              'kinesis:GetShardIterator',
              'kinesis:GetRecords',
              'kinesis:DescribeStreamSummary',
            ],
        resources: this.streams.map((stream) => stream.streamArn),
      }),
    );
    for (const key of uniqueKeys(this.streams.map((stream) => stream.encryptionKey))) {
      key.grant(role, 'kms:Decrypt');
    }
  }

  /** A state table with the keys the runtime uses, encrypted, with point-in-time recovery, kept on delete. */
  private createStateTable(): dynamodb.ITable {
    return new dynamodb.Table(this, 'StateTable', {
      partitionKey: { name: TABLE_KEY.partition, type: dynamodb.AttributeType.STRING },
      sortKey: { name: TABLE_KEY.sort, type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      encryption: dynamodb.TableEncryption.AWS_MANAGED,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      removalPolicy: RemovalPolicy.RETAIN,
    });
  }

  /** Exactly what exactly-once commits need: the state table's reads and writes, and the user's tables' writes. */
  private grantExactlyOnce(
    role: iam.IRole,
    state: dynamodb.ITable,
    tables: readonly dynamodb.ITable[],
  ): void {
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({ actions: [...EXACTLY_ONCE_STATE_ACTIONS], resources: [state.tableArn] }),
    );
    if (tables.length) {
      role.addToPrincipalPolicy(
        new iam.PolicyStatement({
          actions: [...EXACTLY_ONCE_TABLE_ACTIONS],
          resources: tables.map((t) => t.tableArn),
        }),
      );
    }
    for (const table of [state, ...tables]) {
      table.encryptionKey?.grant(
        role,
        'kms:Decrypt',
        'kms:Encrypt',
        'kms:GenerateDataKey',
        'kms:DescribeKey',
      );
    }
  }

  private grantCheckpoints(role: iam.IRole, path: string, table: dynamodb.ITable | undefined): void {
    if (table) {
      role.addToPrincipalPolicy(
        new iam.PolicyStatement({
          actions: [...DYNAMODB_CHECKPOINT_ACTIONS],
          resources: [table.tableArn],
        }),
      );
      table.encryptionKey?.grant(
        role,
        'kms:Decrypt',
        'kms:Encrypt',
        'kms:GenerateDataKey',
        'kms:DescribeKey',
      );
      return;
    }
    const stack = Stack.of(this);
    const pathArn = stack.formatArn({
      service: 'ssm',
      resource: 'parameter',
      // An SSM parameter ARN drops the path's leading slash.
      resourceName: path.slice(1),
      arnFormat: ArnFormat.SLASH_RESOURCE_NAME,
    });
    const below = `${pathArn}/*`;
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: [...SSM_CHECKPOINT_ACTIONS],
        resources: [pathArn, below],
      }),
    );
    Validations.of(role).acknowledge(
      acknowledgeResource(
        RESOURCE_ACKNOWLEDGEMENT_REASONS.checkpointParameters,
        flattenForNag(stack.resolve(below)),
      ),
    );
  }

  private grantDelivery(role: iam.IRole, target: lambda.IFunction | undefined): void {
    if (target) {
      role.addToPrincipalPolicy(
        new iam.PolicyStatement({ actions: ['lambda:InvokeFunction'], resources: [target.functionArn] }),
      );
    }
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({ actions: ['sqs:SendMessage'], resources: [this.onFailureQueue.queueArn] }),
    );
    this.onFailureQueue.encryptionMasterKey?.grant(role, 'kms:GenerateDataKey', 'kms:Decrypt');
  }

  private createSchedules(fn: lambda.IFunction, period: Duration, enabled: boolean): scheduler.Schedule[] {
    const group = this.scheduleGroup;
    const role = new iam.Role(this, 'SchedulerRole', {
      assumedBy: new iam.ServicePrincipal('scheduler.amazonaws.com', {
        conditions: {
          StringEquals: {
            'aws:SourceAccount': Stack.of(this).account,
            'aws:SourceArn': group.scheduleGroupArn,
          },
        },
      }),
      description: `Lets the schedules of consumer ${this.consumerName} invoke its function`,
    });
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({ actions: ['lambda:InvokeFunction'], resources: [fn.functionArn] }),
    );
    const schedules: scheduler.Schedule[] = [];
    for (let subtaskIndex = 0; subtaskIndex < this.parallelism; subtaskIndex++) {
      const event: SubtaskEvent = { subtaskIndex, parallelism: this.parallelism };
      const schedule = new scheduler.Schedule(this, `Subtask${subtaskIndex}`, {
        schedule: scheduler.ScheduleExpression.rate(period),
        scheduleGroup: group,
        timeWindow: scheduler.TimeWindow.off(),
        enabled,
        description: `Consumer ${this.consumerName}: subtask ${subtaskIndex} of ${this.parallelism}`,
        target: new InvokeUnqualified(fn, {
          role,
          input: scheduler.ScheduleTargetInput.fromObject(event),
          retryAttempts: 0,
          maxEventAge: MAX_EVENT_AGE,
        }),
      });
      // The schedule names its group by a literal name, which gives CloudFormation no ordering.
      schedule.node.addDependency(group);
      schedules.push(schedule);
    }
    return schedules;
  }

  private createAlarms(props: KinesisConsumerProps): cloudwatch.Alarm[] {
    const alarms: cloudwatch.Alarm[] = [];
    const action = props.alarmAction;
    if (props.lagAlarm ?? true) {
      this.streams.forEach((stream, index) => {
        const threshold = props.lagAlarmThreshold ?? halfRetention(stream);
        alarms.push(
          createAlarm(
            this,
            {
              id: `Lag${index}`,
              // Published by Kinesis itself for every GetRecords, so the alarm needs nothing from the runtime;
              // but not for enhanced fan-out reads, and for another account's stream only in that account,
              // so those alarm on the consumer's own MillisBehindLatest.
              metric:
                this.efo || isOtherAccount(this, stream)
                  ? this.metricMillisBehindLatest(stream, { period: Duration.minutes(5) })
                  : stream.metricGetRecordsIteratorAgeMilliseconds({
                      statistic: 'Maximum',
                      period: Duration.minutes(5),
                    }),
              threshold: threshold.toMilliseconds(),
              description: `Records in stream ${stream.streamName} wait ${describeDuration(threshold)} or more to be read (consumer ${this.consumerName}); records older than the retention are lost.`,
            },
            action,
          ),
        );
      });
    }
    if (props.errorsAlarm ?? true) {
      alarms.push(
        createAlarm(
          this,
          {
            id: 'Errors',
            metric: this.metricErrors({ period: Duration.minutes(5) }),
            threshold: props.errorsAlarmThreshold ?? 1,
            description: `Consumer ${this.consumerName}: invocations failed; a failed subtask makes no progress until it succeeds.`,
          },
          action,
        ),
      );
    }
    if (props.heartbeatAlarm ?? true) {
      for (let subtaskIndex = 0; subtaskIndex < this.parallelism; subtaskIndex++) {
        alarms.push(
          createAlarm(
            this,
            {
              id: `Heartbeat${subtaskIndex}`,
              metric: this.metricHeartbeat(subtaskIndex, { period: Duration.minutes(1) }),
              threshold: 1,
              comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
              evaluationPeriods: HEARTBEAT_ALARM_MINUTES,
              // No heartbeat at all is what a stopped consumer looks like: a disabled schedule, dropped
              // or throttled invocations, a chain that broke and was not restarted.
              treatMissingData: cloudwatch.TreatMissingData.BREACHING,
              description: `Consumer ${this.consumerName}: subtask ${subtaskIndex} has had no reader for ${HEARTBEAT_ALARM_MINUTES} minutes; its shards are not being read.`,
            },
            action,
          ),
        );
      }
    }
    if (props.throttlesAlarm ?? true) {
      alarms.push(
        createAlarm(
          this,
          {
            id: 'Throttles',
            metric: this.metricThrottles({ period: Duration.minutes(5) }),
            threshold: 1,
            description: `Consumer ${this.consumerName}: invocations were throttled (the account's or function's concurrency limit); a throttled scheduled invocation is dropped and its subtask may go unread.`,
          },
          action,
        ),
      );
    }
    if (props.onFailureQueueAlarm ?? true) {
      alarms.push(
        createAlarm(
          this,
          {
            id: 'OnFailureQueueNotEmpty',
            metric: queueDepthMetric(this.onFailureQueue),
            threshold: 1,
            description: `Consumer ${this.consumerName}: batches failed delivery and are waiting in the on-failure queue.`,
          },
          action,
        ),
      );
    }
    return alarms;
  }
}

/**
 * Invokes the function by its unqualified ARN only; the stock target also grants `arn:*` (every
 * version and alias), which the schedules never use.
 */
class InvokeUnqualified extends targets.LambdaInvoke {
  constructor(
    private readonly fn: lambda.IFunction,
    props: targets.ScheduleTargetBaseProps,
  ) {
    super(fn, props);
  }

  protected override addTargetActionToRole(role: iam.IRole): void {
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({ actions: ['lambda:InvokeFunction'], resources: [this.fn.functionArn] }),
    );
  }
}

interface Timing {
  readonly schedulePeriod: Duration;
  readonly functionTimeout: Duration;
  readonly timeBudget: Duration;
}

/** The schedule period, timeout and time budget, each validated against the next. */
function resolveTiming(props: KinesisConsumerProps, continuous: boolean): Timing {
  const schedulePeriod = props.schedulePeriod ?? DEFAULT_SCHEDULE_PERIOD;
  checkDuration(OWNER, 'schedulePeriod', schedulePeriod, {
    min: Duration.minutes(1),
    max: Duration.minutes(60),
    wholeUnit: 'minutes',
  });
  if (continuous) return resolveContinuousTiming(props, schedulePeriod);
  const functionTimeout = props.functionTimeout ?? defaultTimeout(schedulePeriod);
  // The handler keeps the lease settle delay and the shutdown reserve back, and needs time to read.
  checkDuration(OWNER, 'functionTimeout', functionTimeout, {
    min: Duration.seconds(
      consumerMinFunctionTimeoutSeconds(
        resolvedMillis(props.leaseSettleDelay),
        resolvedMillis(props.shutdownReserve),
      ),
    ),
    max: MAX_LAMBDA_TIMEOUT,
    wholeUnit: 'seconds',
  });
  checkShorter(
    OWNER,
    'functionTimeout',
    functionTimeout,
    'schedulePeriod',
    schedulePeriod,
    'so that an invocation always ends before the next one of its subtask starts',
  );
  const timeBudget = props.timeBudget ?? defaultBudget(functionTimeout, props.shutdownReserve);
  checkDuration(OWNER, 'timeBudget', timeBudget, { min: Duration.seconds(1), max: MAX_LAMBDA_TIMEOUT });
  checkBudgetWithinTimeout(timeBudget, functionTimeout);
  return { schedulePeriod, functionTimeout, timeBudget };
}

/** Continuous mode: the timeout follows the budget; the lease, not the timeout, keeps invocations apart. */
function resolveContinuousTiming(props: KinesisConsumerProps, schedulePeriod: Duration): Timing {
  const timeBudget =
    props.timeBudget ??
    (props.functionTimeout
      ? defaultBudget(props.functionTimeout, props.shutdownReserve)
      : Duration.seconds(CONTINUOUS_TIME_BUDGET_SECONDS));
  checkDuration(OWNER, 'timeBudget', timeBudget, { min: Duration.seconds(1), max: MAX_LAMBDA_TIMEOUT });
  let functionTimeout = props.functionTimeout;
  if (!functionTimeout) {
    if (timeBudget.isUnresolved()) {
      throw configError(
        OWNER,
        'functionTimeout',
        'timeBudget is a Token; give functionTimeout too, longer than the budget.',
      );
    }
    functionTimeout = Duration.seconds(continuousFunctionTimeoutSeconds(timeBudget.toMilliseconds()));
  }
  checkDuration(OWNER, 'functionTimeout', functionTimeout, {
    min: Duration.seconds(
      consumerMinFunctionTimeoutSeconds(
        resolvedMillis(props.leaseSettleDelay),
        resolvedMillis(props.shutdownReserve),
      ),
    ),
    max: MAX_LAMBDA_TIMEOUT,
    wholeUnit: 'seconds',
  });
  checkBudgetWithinTimeout(timeBudget, functionTimeout);
  return { schedulePeriod, functionTimeout, timeBudget };
}

/** Both timing designs: the budget ends before the timeout, leaving time for the last delivery and checkpoint. */
function checkBudgetWithinTimeout(timeBudget: Duration, functionTimeout: Duration): void {
  checkShorter(
    OWNER,
    'timeBudget',
    timeBudget,
    'functionTimeout',
    functionTimeout,
    'to leave time for the last delivery and checkpoint',
  );
}

/** A Duration's milliseconds, or undefined (the runtime's default) when not given or a Token. */
function resolvedMillis(duration: Duration | undefined): number | undefined {
  return duration === undefined || duration.isUnresolved() ? undefined : duration.toMilliseconds();
}

function defaultTimeout(period: Duration): Duration {
  if (period.isUnresolved()) {
    throw configError(
      OWNER,
      'functionTimeout',
      'schedulePeriod is a Token; give functionTimeout too, shorter than the period.',
    );
  }
  return Duration.seconds(consumerFunctionTimeoutSeconds(period.toSeconds()));
}

function defaultBudget(timeout: Duration, reserve: Duration | undefined): Duration {
  if (timeout.isUnresolved()) {
    throw configError(
      OWNER,
      'timeBudget',
      'functionTimeout is a Token; give timeBudget too, shorter than the timeout.',
    );
  }
  // At the default period this is the runtime's own default budget (CONSUMER_DEFAULTS.timeBudgetMillis).
  const reserveMillis = reserve && !reserve.isUnresolved() ? reserve.toMilliseconds() : undefined;
  return Duration.millis(consumerTimeBudgetMillis(timeout.toMilliseconds(), reserveMillis));
}

function validate(props: KinesisConsumerProps): void {
  checkPattern(
    OWNER,
    'consumerName',
    props.consumerName,
    /^[a-zA-Z0-9_.-]{1,64}$/,
    'use 1 to 64 letters, digits, underscores, hyphens or periods',
  );
  if (Token.isUnresolved(props.consumerName)) {
    throw configError(
      OWNER,
      'consumerName',
      'consumerName is a Token; it names the checkpoint path and must be known at synth.',
    );
  }
  if (props.streams.length === 0) {
    throw configError(OWNER, 'streams', 'streams is empty; give at least one stream to read.');
  }
  if (new Set(props.streams).size !== props.streams.length) {
    throw configError(OWNER, 'streams', 'streams lists the same stream twice; list each once.');
  }
  if (props.parallelism !== undefined && Token.isUnresolved(props.parallelism)) {
    throw configError(
      OWNER,
      'parallelism',
      'parallelism is a Token; it sets how many schedules to create and must be known at synth.',
    );
  }
  if (Boolean(props.handlerEntry) === Boolean(props.target)) {
    throw configError(
      OWNER,
      'handlerEntry',
      props.target
        ? 'both handlerEntry and target are set; give one: your processor bundled in-process, or a function to invoke.'
        : 'neither handlerEntry nor target is set; give your processor’s handler file or a function to invoke.',
    );
  }
  checkFunctionChoices(OWNER, props);
  const atTimestamp = props.startingPosition === lambda.StartingPosition.AT_TIMESTAMP;
  if (atTimestamp !== (props.startingTimestamp !== undefined)) {
    throw configError(
      OWNER,
      'startingTimestamp',
      atTimestamp
        ? 'startingPosition is AT_TIMESTAMP but startingTimestamp is not set; give the time to start from.'
        : `startingTimestamp is set but startingPosition is ${props.startingPosition ?? 'LATEST (the default)'}; use AT_TIMESTAMP or drop the timestamp.`,
    );
  }
  if (props.startingTimestamp && Number.isNaN(props.startingTimestamp.getTime())) {
    throw configError(OWNER, 'startingTimestamp', 'startingTimestamp is an invalid Date; give a valid one.');
  }
  if (props.exactlyOnce && !props.checkpointTable) {
    throw configError(
      OWNER,
      'exactlyOnce',
      'exactlyOnce is set but checkpointTable is not: exactly-once commits the state with the checkpoint in one ' +
        'DynamoDB transaction fenced by the lease, which SSM checkpoints cannot do. Set checkpointTable.',
    );
  }
  if (props.exactlyOnce && props.target) {
    throw configError(
      OWNER,
      'exactlyOnce',
      'exactlyOnce is set together with target: a target function cannot commit its effects with the checkpoint. ' +
        'Drop target and give a handlerEntry built with createExactlyOnceHandler.',
    );
  }
  if (props.exactlyOnce && !props.handlerEntry) {
    throw configError(
      OWNER,
      'exactlyOnce',
      'exactlyOnce is set without handlerEntry: give the module whose handler is built with createExactlyOnceHandler.',
    );
  }
  if (
    props.checkpointTable &&
    (props.checkpointParameterPrefix !== undefined || props.checkpointParameterTier !== undefined)
  ) {
    throw configError(
      OWNER,
      'checkpointTable',
      'checkpointTable is set together with an SSM checkpoint setting; checkpoints live in one store, so drop checkpointParameterPrefix/Tier or the table.',
    );
  }
  if (props.checkpointParameterPrefix !== undefined && Token.isUnresolved(props.checkpointParameterPrefix)) {
    throw configError(
      OWNER,
      'checkpointParameterPrefix',
      'checkpointParameterPrefix is a Token; it scopes the function’s SSM permissions and must be known at synth.',
    );
  }
  const S = CONSUMER_SETTINGS;
  const B = CONSUMER_BACKOFF_KEYS;
  if (props.recordPublisher !== 'EFO') {
    for (const prop of ['efoConsumerName', 'efoRegistration', 'efoConsumers'] as const) {
      if (props[prop] !== undefined) {
        throw configError(
          OWNER,
          prop,
          `${prop} is only used when recordPublisher is 'EFO'; set that, or remove ${prop}.`,
        );
      }
    }
  }
  checkSettingProps(OWNER, [
    { prop: 'recordPublisher', setting: S.recordPublisher, value: props.recordPublisher },
    { prop: 'efoConsumerName', setting: S.efoConsumerName, value: props.efoConsumerName },
    { prop: 'efoRegistration', setting: S.efoRegistration, value: props.efoRegistration },
    { prop: 'parallelism', setting: S.parallelism, value: props.parallelism },
    { prop: 'checkpointParameterPrefix', setting: S.ssmPrefix, value: props.checkpointParameterPrefix },
    {
      prop: 'checkpointParameterPrefix + consumerName',
      setting: S.ssmPrefix,
      value: consumerCheckpointPath(props.consumerName, props.checkpointParameterPrefix),
    },
    { prop: 'batchSize', setting: S.batchSize, value: props.batchSize },
    { prop: 'maxBatchingWindow', setting: S.maxBatchingMillis, value: props.maxBatchingWindow },
    { prop: 'getRecordsMaxRecords', setting: S.maxRecordCount, value: props.getRecordsMaxRecords },
    { prop: 'getRecordsInterval', setting: S.getRecordsIntervalMillis, value: props.getRecordsInterval },
    { prop: 'getRecordsMaxRetries', setting: B.getRecords.maxRetries, value: props.getRecordsMaxRetries },
    { prop: 'getRecordsBackoffBase', setting: B.getRecords.baseMillis, value: props.getRecordsBackoffBase },
    { prop: 'getRecordsBackoffMax', setting: B.getRecords.maxMillis, value: props.getRecordsBackoffMax },
    {
      prop: 'getRecordsBackoffExponent',
      setting: B.getRecords.expConst,
      value: props.getRecordsBackoffExponent,
    },
    {
      prop: 'getShardIteratorMaxRetries',
      setting: B.getShardIterator.maxRetries,
      value: props.getShardIteratorMaxRetries,
    },
    {
      prop: 'getShardIteratorBackoffBase',
      setting: B.getShardIterator.baseMillis,
      value: props.getShardIteratorBackoffBase,
    },
    {
      prop: 'getShardIteratorBackoffMax',
      setting: B.getShardIterator.maxMillis,
      value: props.getShardIteratorBackoffMax,
    },
    {
      prop: 'getShardIteratorBackoffExponent',
      setting: B.getShardIterator.expConst,
      value: props.getShardIteratorBackoffExponent,
    },
    { prop: 'listShardsMaxRetries', setting: B.listShards.maxRetries, value: props.listShardsMaxRetries },
    { prop: 'listShardsBackoffBase', setting: B.listShards.baseMillis, value: props.listShardsBackoffBase },
    { prop: 'listShardsBackoffMax', setting: B.listShards.maxMillis, value: props.listShardsBackoffMax },
    {
      prop: 'listShardsBackoffExponent',
      setting: B.listShards.expConst,
      value: props.listShardsBackoffExponent,
    },
    {
      prop: 'shardDiscoveryInterval',
      setting: S.discoveryIntervalMillis,
      value: props.shardDiscoveryInterval,
    },
    { prop: 'idleShardInterval', setting: S.shardIdleIntervalMillis, value: props.idleShardInterval },
    { prop: 'checkpointInterval', setting: S.checkpointIntervalMillis, value: props.checkpointInterval },
    { prop: 'timeBudget', setting: S.timeBudgetMillis, value: props.timeBudget },
    { prop: 'handoverLead', setting: S.handoverLeadMillis, value: props.handoverLead },
    { prop: 'leaseExpiry', setting: S.leaseExpiryMillis, value: props.leaseExpiry },
    { prop: 'shutdownReserve', setting: S.shutdownReserveMillis, value: props.shutdownReserve },
    { prop: 'leaseSettleDelay', setting: S.leaseSettleMillis, value: props.leaseSettleDelay },
  ]);
  for (const family of ['getRecords', 'getShardIterator', 'listShards'] as const) {
    const base = props[`${family}BackoffBase`];
    const max = props[`${family}BackoffMax`];
    const defaults = CONSUMER_DEFAULTS[family].backoff;
    checkNotShorter(
      `${family}BackoffMax`,
      max ?? Duration.millis(defaults.maxMillis),
      `${family}BackoffBase`,
      base ?? Duration.millis(defaults.baseMillis),
    );
  }
  checkNumber(OWNER, 'errorsAlarmThreshold', props.errorsAlarmThreshold, {
    min: 1,
    max: Number.MAX_SAFE_INTEGER,
  });
  checkDuration(OWNER, 'lagAlarmThreshold', props.lagAlarmThreshold, {
    min: Duration.seconds(1),
    max: Duration.days(365),
  });
}

function checkNotShorter(prop: string, value: Duration, floorProp: string, floor: Duration): void {
  if (value.isUnresolved() || floor.isUnresolved()) return;
  if (value.toMilliseconds() >= floor.toMilliseconds()) return;
  throw configError(
    OWNER,
    prop,
    `${prop} is ${describeDuration(value)}; it must be at least ${floorProp} (${describeDuration(floor)}).`,
  );
}

/**
 * The runtime settings the props and the deployed resources give; unset ones keep the runtime's
 * (reference connector) defaults.
 */
function consumerOptions(
  props: KinesisConsumerProps,
  timing: Timing,
  ssmPath: string | undefined,
  onFailureQueue: sqs.IQueue,
  streamIds: readonly string[],
  efo: EfoSetup | undefined,
): ConsumerOptions {
  const backoff = (family: 'getRecords' | 'getShardIterator' | 'listShards') => ({
    maxRetries: props[`${family}MaxRetries`],
    baseMillis: millis(props[`${family}BackoffBase`]),
    maxMillis: millis(props[`${family}BackoffMax`]),
    expConst: props[`${family}BackoffExponent`],
  });
  return {
    consumerName: props.consumerName,
    streams: streamIds,
    ...(efo
      ? {
          recordPublisher: 'EFO' as const,
          efo: {
            consumerName: props.efoConsumerName ?? props.consumerName,
            // The construct has done what EAGER and NONE ask of a deployment: the function registers nothing.
            registration: efo.registerWith.length > 0 ? ('LAZY' as const) : ('NONE' as const),
            ...(efo.consumerArns.length > 0 ? { consumerArnList: efo.consumerArns } : {}),
          },
        }
      : {}),
    initialPosition: props.startingPosition as InitialPosition | undefined,
    initialTimestamp: props.startingTimestamp,
    getRecords: {
      maxRecordCount: props.getRecordsMaxRecords,
      intervalMillis: millis(props.getRecordsInterval),
      backoff: backoff('getRecords'),
    },
    getShardIterator: { backoff: backoff('getShardIterator') },
    listShards: { backoff: backoff('listShards') },
    discoveryIntervalMillis: millis(props.shardDiscoveryInterval),
    adaptiveReads: props.adaptiveReads,
    ...(props.kinesisCbor !== undefined ? { aws: { kinesisCbor: props.kinesisCbor } } : {}),
    shardIdleIntervalMillis: millis(props.idleShardInterval),
    // The schedules pass it in each event too; the runtime checks the two agree.
    parallelism: props.parallelism ?? CONSUMER_DEFAULTS.parallelism,
    checkpointIntervalMillis: millis(props.checkpointInterval),
    timeBudgetMillis: millis(timing.timeBudget),
    shutdownReserveMillis: millis(props.shutdownReserve),
    leaseSettleMillis: millis(props.leaseSettleDelay),
    batchSize: props.batchSize,
    maxBatchingMillis: millis(props.maxBatchingWindow),
    checkpoint: props.checkpointTable
      ? { store: 'dynamodb', dynamoDbTable: props.checkpointTable.tableName }
      : { ssmPrefix: ssmPath, ssmTier: props.checkpointParameterTier as SsmTier | undefined },
    failOnError: props.failOnError,
    deserializer: props.deserializer,
    delivery: { targetFunction: props.target?.functionArn },
    onFailure: { queueUrl: onFailureQueue.queueUrl },
    continuous: props.continuous,
    handoverLeadMillis: millis(props.handoverLead),
    leaseExpiryMillis: millis(props.leaseExpiry),
  };
}

function halfRetention(stream: kinesis.IStream): Duration {
  const retention = knownRetention(stream) ?? DEFAULT_STREAM_RETENTION;
  if (retention.isUnresolved()) return Duration.hours(DEFAULT_STREAM_RETENTION.toHours() / 2);
  return Duration.millis(retention.toMilliseconds() / 2);
}

/** A resolved resource as cdk-nag spells it in finding ids: joins flattened, `{ Ref: X }` as `<X>`. */
function flattenForNag(resolved: unknown): string {
  if (typeof resolved === 'string') return resolved;
  if (resolved && typeof resolved === 'object') {
    const join = (resolved as { 'Fn::Join'?: [string, unknown[]] })['Fn::Join'];
    if (join) return join[1].map(flattenForNag).join(join[0]);
    const ref = (resolved as { Ref?: string }).Ref;
    if (ref !== undefined) return `<${ref}>`;
    const getAtt = (resolved as { 'Fn::GetAtt'?: string[] })['Fn::GetAtt'];
    if (getAtt) return `<${getAtt.join('.')}>`;
  }
  return JSON.stringify(resolved);
}

function uniqueKeys(keys: readonly (kms.IKey | undefined)[]): kms.IKey[] {
  return [...new Set(keys.filter((key): key is kms.IKey => key !== undefined))];
}
