// The constructs' defaults and the values they derive, in plain numbers and with no CDK import: the
// constructs build their Durations from these, and the local runner (`npm start`) mirrors a deployment
// with the same rules without loading aws-cdk-lib.
import { consumerCheckpointPath } from '../functions/core/checkpoints/checkpoint-path';
import {
  CHECKPOINT_PATH_ROOT,
  CONSUMER_DEFAULTS,
  type EfoRegistration,
} from '../functions/core/config/consumer-settings';

/** Defaults of `KinesisProducer` that shape its queues and event source mapping. */
export const PRODUCER_CONSTRUCT_DEFAULTS = {
  functionTimeoutSeconds: 60,
  /** The queue's visibility timeout is this many times the function timeout (AWS's advice). */
  visibilityTimeoutFactor: 6,
  maxReceiveCount: 5,
  queueRetentionDays: 4,
  deadLetterQueueRetentionDays: 14,
  batchSize: { standard: 100, fifo: 10 },
  /** Standard queues only; FIFO queues take no batching window. */
  maxBatchingWindowSeconds: 1,
  maxConcurrency: 10,
} as const;

/** Defaults of `KinesisConsumer` that shape its schedules, timing and checkpoint path. */
export const CONSUMER_CONSTRUCT_DEFAULTS = {
  schedulePeriodMinutes: 1,
  parallelism: CONSUMER_DEFAULTS.parallelism,
  checkpointParameterPrefix: CHECKPOINT_PATH_ROOT,
  onFailureQueueRetentionDays: 14,
  /**
   * With EFO, the construct registers the stream consumer itself (an AWS::Kinesis::StreamConsumer), so the
   * function needs no RegisterStreamConsumer and its grants name the exact consumer ARN. The runtime's own
   * default (LAZY, the reference's) is for a consumer run outside a deployment.
   */
  efoRegistration: 'EAGER' as EfoRegistration,
} as const;

const MAX_LAMBDA_TIMEOUT_SECONDS = 15 * 60;
// Time the consumer keeps after reading for the last delivery and checkpoint: its shutdown reserve.
const BUDGET_MARGIN_MILLIS = CONSUMER_DEFAULTS.shutdownReserveMillis;
// Time between the end of one invocation of a subtask and the start of the next.
const SCHEDULE_MARGIN_SECONDS = 5;
// The least reading time an invocation is worth starting for, after the settle delay and the reserve.
const MIN_READ_MILLIS = 3000;

/** The producer queue's visibility timeout for a function timeout: 6 times it. */
export function producerVisibilityTimeoutSeconds(functionTimeoutSeconds: number): number {
  return functionTimeoutSeconds * PRODUCER_CONSTRUCT_DEFAULTS.visibilityTimeoutFactor;
}

/** Messages per producer invocation when `batchSize` is not given. */
export function defaultProducerBatchSize(fifo: boolean): number {
  return fifo ? PRODUCER_CONSTRUCT_DEFAULTS.batchSize.fifo : PRODUCER_CONSTRUCT_DEFAULTS.batchSize.standard;
}

/** The consumer's function timeout for a schedule period: 5 seconds shorter, at most 15 minutes. */
export function consumerFunctionTimeoutSeconds(schedulePeriodSeconds: number): number {
  return Math.min(schedulePeriodSeconds - SCHEDULE_MARGIN_SECONDS, MAX_LAMBDA_TIMEOUT_SECONDS);
}

/**
 * The shortest function timeout the consumer can read in: the lease settle delay, the shutdown reserve
 * and some reading time, in whole seconds (10 s at the runtime's defaults of 2 s and 5 s). Below it the
 * handler refuses every invocation, so the construct refuses the timeout at synth.
 */
export function consumerMinFunctionTimeoutSeconds(
  leaseSettleMillis: number = CONSUMER_DEFAULTS.leaseSettleMillis,
  shutdownReserveMillis: number = CONSUMER_DEFAULTS.shutdownReserveMillis,
): number {
  return Math.ceil((leaseSettleMillis + shutdownReserveMillis + MIN_READ_MILLIS) / 1000);
}

/**
 * The consumer's time budget for a function timeout: shorter by the runtime's shutdown reserve (5 s by
 * default; half the timeout when that is more), which at the default period is the runtime's own
 * default budget of 50 seconds.
 */
export function consumerTimeBudgetMillis(
  functionTimeoutMillis: number,
  shutdownReserveMillis: number = BUDGET_MARGIN_MILLIS,
): number {
  return Math.max(functionTimeoutMillis - shutdownReserveMillis, Math.floor(functionTimeoutMillis / 2));
}

/**
 * Continuous mode's time budget when none is given: 14 minutes of reading per invocation (Lambda allows
 * 15), so a subtask's chain starts a new invocation about four times an hour.
 */
export const CONTINUOUS_TIME_BUDGET_SECONDS = 14 * 60;
// Time a continuous invocation keeps after its budget for the last delivery, checkpoint and handover.
const CONTINUOUS_END_MARGIN_SECONDS = 60;

/** Continuous mode's function timeout for a time budget: a minute longer, at most 15 minutes. */
export function continuousFunctionTimeoutSeconds(timeBudgetMillis: number): number {
  return Math.min(
    Math.ceil(timeBudgetMillis / 1000) + CONTINUOUS_END_MARGIN_SECONDS,
    MAX_LAMBDA_TIMEOUT_SECONDS,
  );
}

export { consumerCheckpointPath };
