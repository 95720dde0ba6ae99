import { Logger } from '@aws-lambda-powertools/logger';
import { KinesisClient } from '@aws-sdk/client-kinesis';
import { SSMClient } from '@aws-sdk/client-ssm';
import type { Context } from 'aws-lambda';
import { AwsClientFactory } from '../aws/clients';
import { SsmCheckpointStore } from '../checkpoints/ssm-checkpoint-store';
import { SsmSubtaskLease } from '../checkpoints/ssm-lease';
import { consumerConfigFromEnv, toAwsSettings, type ConsumerConfig } from '../config';
import { ConfigurationError, describeError, LeaseHeldError } from '../errors';
import { systemClock, type Clock, type Random } from '../time/clock';
import { ConsumerEngine, type RunSummary } from './engine';
import { engineOptionsFromConfig, type ConsumerCode } from './engine-config';
import { kinesisReadApi } from './kinesis-api';
import type { BatchHandler } from './types';

/**
 * The environment variables the consumer handler reads: every `SKC_*` consumer setting listed in
 * docs/configuration.md (`SKC_STREAMS` is required), plus `AWS_REGION` / `AWS_DEFAULT_REGION` (set by
 * Lambda) when `SKC_AWS_REGION` is unset. Nothing else.
 */
export const CONSUMER_HANDLER_ENV = ['SKC_*', 'AWS_REGION', 'AWS_DEFAULT_REGION'] as const;

/** The input of the schedule's target, one rule or target per subtask. */
export interface ScheduledConsumerEvent {
  /** Which subtask this invocation runs; may be left out when the parallelism is 1. */
  readonly subtaskIndex?: number;
  /** @default - the configuration's consumer.parallelism */
  readonly parallelism?: number;
}

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
   * The lease's settle delay: longer than any SSM call of a contender may take from its read of the
   * lease to its write. @default 2000
   */
  readonly leaseSettleMillis?: number;
  /**
   * Time kept back from the function's remaining time after reading stops, for the last delivery, the
   * last checkpoint and the lease release. @default 5000
   */
  readonly shutdownReserveMillis?: number;
}

/** What the handler returns, for the invocation's log and tests. */
export interface ConsumerInvocationResult {
  readonly status: 'completed' | 'skipped';
  readonly subtaskIndex: number;
  readonly parallelism: number;
  readonly summary?: RunSummary;
  readonly reason?: string;
}

export type ConsumerLambdaHandler = (
  event: ScheduledConsumerEvent | null | undefined,
  context: Pick<Context, 'awsRequestId' | 'getRemainingTimeInMillis'>,
) => Promise<ConsumerInvocationResult>;

/**
 * Wraps user code as the consumer's Lambda handler. Configuration is loaded and clients are built once,
 * when the module loads; each scheduled invocation runs one subtask until its time budget (the smaller
 * of `consumer.timebudgetmillis` and the function's remaining time less a reserve), checkpoints and
 * returns. A batch that keeps failing makes the invocation throw after checkpointing what came before it.
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
  const logger = options.logger ?? new Logger({ serviceName: 'kinesis-consumer' });
  const clock = options.clock ?? systemClock;
  const random = options.random ?? Math.random;
  const settleMillis = options.leaseSettleMillis ?? 2000;
  const reserveMillis = options.shutdownReserveMillis ?? 5000;
  const aws = new AwsClientFactory(toAwsSettings(config.aws));
  const ssm = aws.client('ssm', SSMClient);
  const store = new SsmCheckpointStore({
    ssm,
    parameterPath: config.checkpoint.ssmPrefix,
    tier: config.checkpoint.ssmTier,
    clock,
    random,
    logger,
  });
  const engineOptions = engineOptionsFromConfig(config, {
    handler,
    ...(options.deserializer ? { deserializer: options.deserializer } : {}),
    ...(options.assigner ? { assigner: options.assigner } : {}),
  });
  const kinesis = kinesisReadApi(aws.client('kinesis', KinesisClient));
  const engine = new ConsumerEngine<T>(
    {
      kinesis,
      checkpoints: store,
      lease: (subtaskIndex, owner) =>
        new SsmSubtaskLease({
          ssm,
          parameterName: store.leaseParameterName(subtaskIndex),
          owner,
          settleMillis,
          clock,
          random,
          logger,
        }),
      clock,
      random,
      logger,
    },
    engineOptions,
  );

  return async (event, context) => {
    const { subtaskIndex, parallelism } = parseEvent(event, config.parallelism);
    const now = clock.now();
    const remaining = context.getRemainingTimeInMillis();
    // The budget counts from the start of the invocation, so the lease's settle delay comes out of it.
    const deadline = now + Math.min(config.timeBudgetMillis, remaining - reserveMillis);
    if (deadline - now <= settleMillis) {
      throw new ConfigurationError(
        `The invocation has ${remaining} ms left and a time budget of ${config.timeBudgetMillis} ms: after the ` +
          `${settleMillis} ms lease settle delay and the ${reserveMillis} ms kept for the last checkpoint, ` +
          'there is too little to read. Raise consumer.timebudgetmillis and the function timeout (below the ' +
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
      });
      if (summary.error) throw summary.error;
      return { status: 'completed', subtaskIndex, parallelism, summary };
    } catch (error) {
      if (error instanceof LeaseHeldError) {
        logger.warn('Another invocation holds this subtask; not reading', {
          subtaskIndex,
          reason: describeError(error),
        });
        return { status: 'skipped', subtaskIndex, parallelism, reason: error.message };
      }
      throw error;
    }
  };
}

function parseEvent(
  event: ScheduledConsumerEvent | null | undefined,
  configuredParallelism: number,
): { subtaskIndex: number; parallelism: number } {
  const parallelism = event?.parallelism ?? configuredParallelism;
  if (!Number.isInteger(parallelism) || parallelism < 1) {
    throw new ConfigurationError(
      `The event's parallelism is ${JSON.stringify(event?.parallelism)}; it must be an integer of 1 or more.`,
      'parallelism',
    );
  }
  const subtaskIndex = event?.subtaskIndex ?? (parallelism === 1 ? 0 : undefined);
  if (
    subtaskIndex === undefined ||
    !Number.isInteger(subtaskIndex) ||
    subtaskIndex < 0 ||
    subtaskIndex >= parallelism
  ) {
    throw new ConfigurationError(
      `The event's subtaskIndex is ${JSON.stringify(event?.subtaskIndex)}; with parallelism ${parallelism} the ` +
        `schedule's target input must carry {"subtaskIndex": 0 to ${parallelism - 1}}.`,
      'subtaskIndex',
    );
  }
  return { subtaskIndex, parallelism };
}
