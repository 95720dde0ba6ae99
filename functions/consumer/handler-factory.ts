import { Logger } from '@aws-lambda-powertools/logger';
import { KinesisClient } from '@aws-sdk/client-kinesis';
import { AwsClientFactory } from '../core/aws/clients';
import { toAwsSettings } from '../core/config/aws-config';
import { consumerConfigFromEnv } from '../core/config/consumer-config';
import { CONSUMER_SETTINGS, type ConsumerConfig } from '../core/config/consumer-settings';
import { invalidMessage, type Setting } from '../core/config/validate';
import { ConsumerEngine } from '../core/consumer/engine';
import type { SuccessorStarter } from '../core/consumer/handover';
import { enhancedFanOut } from '../core/consumer/efo/enhanced-fan-out';
import { engineOptionsFromConfig, type ConsumerCode } from '../core/consumer/engine-config';
import { kinesisReadApi } from '../core/consumer/kinesis-api';
import { CONSUMER_SERVICE } from '../core/consumer/metrics';
import type { BatchHandler } from '../core/consumer/types';
import { ConfigurationError, describeError, LeaseHeldError } from '../core/errors';
import { systemClock, type Clock, type Random } from '../core/time/clock';
import { applyHeapGrowingPercent } from '../core/v8-heap';
import {
  consumerPowertoolsMetrics,
  PowertoolsMetricsSink,
  putRunMetrics,
  type ConsumerMetricsSink,
} from './metrics';
import { parseScheduledEvent, type ConsumerLambdaHandler } from './schedule-event';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { exactlyOnceHandler, type ExactlyOnceProcessor } from '../core/exactly-once/processor';
import { StateTable } from '../core/exactly-once/state-table';
import {
  dynamoDbCheckpoints,
  lambdaSuccessorStarter,
  lambdaTargetDelivery,
  sqsOnFailureQueue,
  ssmCheckpoints,
} from './wiring/optional-clients';

/**
 * The environment variables the consumer handler reads: every `SKC_*` consumer setting listed in
 * docs/configuration.md (`SKC_STREAMS` is required; the CDK construct writes its settings the same way),
 * `AWS_REGION` / `AWS_DEFAULT_REGION` (set by Lambda) when `SKC_AWS_REGION` is unset,
 * `AWS_LAMBDA_FUNCTION_NAME` (set by Lambda) to tell a function's process from one that only builds a
 * handler, and Powertools' own `POWERTOOLS_*` variables. Nothing else.
 */
export const CONSUMER_HANDLER_ENV = [
  'SKC_*',
  'AWS_REGION',
  'AWS_DEFAULT_REGION',
  'AWS_LAMBDA_FUNCTION_NAME',
  'POWERTOOLS_*',
] as const;

export interface ConsumerHandlerOptions<T> extends Omit<ConsumerCode<T>, 'handler'> {
  /** @default consumerConfigFromEnv(process.env) */
  readonly config?: ConsumerConfig;
  /** @default a Powertools Logger with service name `kinesis-consumer` */
  readonly logger?: Logger;
  /** @default systemClock */
  readonly clock?: Clock;
  /** @default Math.random */
  readonly random?: Random;
  /**
   * The SSM lease's settle delay: longer than any SSM call of a contender may take from its read of the
   * lease to its write. @default - the configuration's `consumer.lease.settlemillis`
   */
  readonly leaseSettleMillis?: number;
  /**
   * Time kept back from the function's remaining time after reading stops, for the last delivery, the
   * last checkpoint and the lease release. @default - the configuration's `consumer.shutdown.reservemillis`
   */
  readonly shutdownReserveMillis?: number;
  /**
   * Where each invocation's figures go; false publishes none.
   * @default - Powertools Metrics (EMF) in namespace ServerlessKinesisConnector with dimension ConsumerName
   */
  readonly metrics?: ConsumerMetricsSink | false;
  /**
   * Continuous mode: how an invocation starts its successor, given this function's name or ARN.
   * @default - an asynchronous Lambda Invoke of the invoked function
   */
  readonly successor?: (functionName: string) => SuccessorStarter;
}

/**
 * Wraps user code as the consumer's Lambda handler. Configuration is loaded and the clients it needs are
 * built when the module loads (once per container, failing the load when the configuration is invalid
 * or needs a client the bundle left out: a constructs' bundle holds only the SSM, DynamoDB, SQS and
 * Lambda clients its deployment uses, see core/bundle-constants.ts). Each scheduled invocation runs one
 * subtask until its time budget (the smaller of `consumer.timebudgetmillis` and the function's
 * remaining time less a reserve), or in cost mode until every shard is caught up, checkpoints,
 * publishes its metrics and returns. A record that keeps failing goes to the on-failure queue; without one (or with
 * `consumer.failonerror`) the invocation throws after checkpointing what came before it.
 *
 * ```ts
 * export const handler = createConsumerHandler<string>(async (records) => {
 *   for (const r of records) await save(r.data, `${r.stream}/${r.shardId}/${r.sequenceNumber}/${r.subSequenceNumber ?? 0}`);
 * });
 * ```
 */
export function createConsumerHandler<T = string>(
  handler: BatchHandler<T>,
  options: ConsumerHandlerOptions<T> = {},
): ConsumerLambdaHandler {
  const config = options.config ?? consumerConfigFromEnv(process.env);
  if (config.exactlyOnce.enabled) {
    throw new ConfigurationError(
      `${CONSUMER_SETTINGS.exactlyOnce.key} is true, but this handler takes a plain batch handler; build it with ` +
        'createExactlyOnceHandler(processor), whose state and table writes commit with the checkpoint.',
      CONSUMER_SETTINGS.exactlyOnce.key,
    );
  }
  if (config.delivery.targetFunction) {
    throw new ConfigurationError(
      `${CONSUMER_SETTINGS.targetFunction.key} is ${config.delivery.targetFunction}, but this handler runs its own code; ` +
        'use createLambdaTargetHandler, or unset the target.',
      CONSUMER_SETTINGS.targetFunction.key,
    );
  }
  return buildHandler({ ...options, config }, handler);
}

/**
 * The consumer's Lambda handler when records go to an existing Lambda function
 * (`consumer.target.function`): each batch is sent to it synchronously as a LambdaTargetEvent.
 */
export function createLambdaTargetHandler(
  options: Omit<ConsumerHandlerOptions<Uint8Array>, 'deserializer'> = {},
): ConsumerLambdaHandler {
  const config = options.config ?? consumerConfigFromEnv(process.env);
  const functionName = config.delivery.targetFunction;
  if (!functionName) {
    throw new ConfigurationError(
      `${CONSUMER_SETTINGS.targetFunction.key} is not set; name the Lambda function that receives the batches.`,
      CONSUMER_SETTINGS.targetFunction.key,
    );
  }
  const target = lambdaTargetDelivery(new AwsClientFactory(toAwsSettings(config.aws)), functionName);
  return buildHandler<Uint8Array>({ ...options, config, deserializer: 'bytes' }, target);
}

/**
 * The consumer's Lambda handler in exactly-once mode (`consumer.exactlyonce`): `build` makes the processor
 * once per container from the state table and the DynamoDB client; each record's state changes and table
 * writes commit with the shard's checkpoint in one transaction fenced by the lease (docs/exactly-once.md).
 *
 * ```ts
 * export const handler = createExactlyOnceHandler<string>(() => ({
 *   async process(record, { state }) {
 *     state.put(record.partitionKey, ((await state.get<number>(record.partitionKey)) ?? 0) + 1);
 *   },
 * }));
 * ```
 */
export function createExactlyOnceHandler<T = string>(
  build: (tools: { state: StateTable; dynamodb: Pick<DynamoDBClient, 'send'> }) => ExactlyOnceProcessor<T>,
  options: ConsumerHandlerOptions<T> = {},
): ConsumerLambdaHandler {
  const config = options.config ?? consumerConfigFromEnv(process.env);
  if (!config.exactlyOnce.enabled || !config.exactlyOnce.stateTable) {
    throw new ConfigurationError(
      `createExactlyOnceHandler needs ${CONSUMER_SETTINGS.exactlyOnce.key}=true with ${CONSUMER_SETTINGS.stateTable.key} and the ` +
        'dynamodb checkpoint store; use createConsumerHandler for at-least-once delivery.',
      CONSUMER_SETTINGS.exactlyOnce.key,
    );
  }
  const stateTable = config.exactlyOnce.stateTable;
  return buildHandler({ ...options, config }, undefined, (dynamodb) => {
    const state = new StateTable({ dynamodb, tableName: stateTable, namespace: config.consumerName });
    return exactlyOnceHandler(build({ state, dynamodb }), state);
  });
}

function buildHandler<T>(
  options: ConsumerHandlerOptions<T> & { readonly config: ConsumerConfig },
  plain: BatchHandler<T> | undefined,
  /** Exactly-once mode: makes the handler from the checkpoint store's DynamoDB client. */
  exactlyOnceFactory?: (dynamodb: Pick<DynamoDBClient, 'send'>) => BatchHandler<T>,
): ConsumerLambdaHandler {
  const { config } = options;
  applyHeapGrowingPercent(config.heapGrowingPercent);
  const logger = options.logger ?? new Logger({ serviceName: CONSUMER_SERVICE });
  const clock = options.clock ?? systemClock;
  const random = options.random ?? Math.random;
  const settleMillis = checkedOption(
    CONSUMER_SETTINGS.leaseSettleMillis,
    'leaseSettleMillis',
    options.leaseSettleMillis,
    config.leaseSettleMillis,
  );
  const reserveMillis = checkedOption(
    CONSUMER_SETTINGS.shutdownReserveMillis,
    'shutdownReserveMillis',
    options.shutdownReserveMillis,
    config.shutdownReserveMillis,
  );
  const aws = new AwsClientFactory(toAwsSettings(config.aws));
  const wiring = { config, aws, clock, random, logger, leaseSettleMillis: settleMillis };
  const checkpoints =
    config.checkpoint.store === 'dynamodb' ? dynamoDbCheckpoints(wiring) : ssmCheckpoints(wiring);
  const exactlyOnce = config.exactlyOnce.enabled ? checkpoints : undefined;
  if (exactlyOnce && !(exactlyOnceFactory && exactlyOnce.transactions && exactlyOnce.dynamodb)) {
    throw new ConfigurationError(
      `${CONSUMER_SETTINGS.exactlyOnce.key} is true: it needs ${CONSUMER_SETTINGS.checkpointStore.key}=dynamodb and a handler built with ` +
        'createExactlyOnceHandler (a Lambda target cannot commit its effects with the checkpoint).',
      CONSUMER_SETTINGS.exactlyOnce.key,
    );
  }
  const handler =
    exactlyOnce?.dynamodb && exactlyOnceFactory
      ? exactlyOnceFactory(exactlyOnce.dynamodb)
      : (plain as BatchHandler<T>);
  const engineOptions = engineOptionsFromConfig(config, {
    handler,
    ...(options.deserializer ? { deserializer: options.deserializer } : {}),
    ...(options.assigner ? { assigner: options.assigner } : {}),
    ...(options.timestampAssigner ? { timestampAssigner: options.timestampAssigner } : {}),
  });
  const kinesis = kinesisReadApi(aws.client('kinesis', KinesisClient));
  const continuous = config.continuous && !config.costMode;
  const successor = continuous ? (options.successor ?? lambdaSuccessorStarter(aws)) : undefined;
  let metrics: ConsumerMetricsSink | undefined;
  let publish: (() => void) | undefined;
  if (options.metrics === undefined) {
    const sink = new PowertoolsMetricsSink(consumerPowertoolsMetrics(config.consumerName), () => clock.now());
    metrics = sink;
    publish = () => sink.publish();
  } else if (options.metrics) {
    metrics = options.metrics;
  }

  const onFailure = config.onFailure.queueUrl
    ? sqsOnFailureQueue(wiring, config.onFailure.queueUrl)
    : undefined;
  const engine = new ConsumerEngine<T>(
    {
      kinesis,
      checkpoints: checkpoints.store,
      lease: checkpoints.lease,
      clock,
      random,
      logger,
      ...(onFailure ? { onFailure } : {}),
      ...(metrics?.beat ? { onHeartbeat: (subtaskIndex: number) => metrics?.beat?.(subtaskIndex) } : {}),
      ...(exactlyOnce?.transactions ? { transactions: exactlyOnce.transactions } : {}),
      ...(config.recordPublisher === 'EFO'
        ? {
            shardSource: enhancedFanOut({
              subscriber: aws.http2Client('kinesis', KinesisClient),
              control: aws.client('kinesis', KinesisClient),
              efo: config.efo,
              clock,
              random,
              logger,
            }),
          }
        : {}),
    },
    engineOptions,
  );

  return async (event, context) => {
    const { subtaskIndex, parallelism } = parseScheduledEvent(event, config.parallelism);
    const self = context.invokedFunctionArn ?? context.functionName;
    const now = clock.now();
    const remaining = context.getRemainingTimeInMillis();
    // The budget counts from the start of the invocation, so the lease's settle delay comes out of it.
    const deadline = now + Math.min(config.timeBudgetMillis, remaining - reserveMillis);
    if (deadline - now <= settleMillis) {
      throw new ConfigurationError(
        `The invocation has ${remaining} ms left and a time budget of ${config.timeBudgetMillis} ms: after the ` +
          `${settleMillis} ms lease settle delay and the ${reserveMillis} ms kept for the last checkpoint, ` +
          `there is too little to read. Raise ${CONSUMER_SETTINGS.timeBudgetMillis.key} and the function timeout (below the ` +
          'schedule period).',
        'timeout',
      );
    }
    try {
      const summary = await engine.run({
        subtaskIndex,
        parallelism,
        deadline,
        leaseExpiresAt: now + remaining,
        invocationId: context.awsRequestId,
        ...(event?.handoff ? { handoff: event.handoff } : {}),
        ...(successor && self ? { startSuccessor: successor(self) } : {}),
      });
      if (metrics) putRunMetrics(summary, metrics);
      publish?.();
      if (summary.error) throw summary.error;
      return { status: 'completed', subtaskIndex, parallelism, summary };
    } catch (error) {
      if (error instanceof LeaseHeldError) {
        // In continuous mode this is every scheduled tick of a healthy chain: normal, so INFO.
        logger.info('Another invocation holds this subtask; not reading', {
          subtaskIndex,
          reason: describeError(error),
        });
        return { status: 'skipped', subtaskIndex, parallelism, reason: error.message };
      }
      throw error;
    }
  };
}

/** A handler option that overrides a setting, held to the setting's own range. */
function checkedOption(
  spec: Setting<number>,
  option: string,
  value: number | undefined,
  configured: number,
): number {
  if (value === undefined) return configured;
  if (spec.kind.parse(value, false) === undefined) {
    throw new ConfigurationError(invalidMessage(option, spec.kind.allowed, value), spec.key);
  }
  return value;
}
