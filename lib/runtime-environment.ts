// Turns the constructs' typed settings into the functions' environment variables.
import type { Duration } from 'aws-cdk-lib';
import { Tokenization } from 'aws-cdk-lib';
// Interim: the config module (functions/core/config/) owns the variable names; until it lands on
// main this file is the only place that spells them, and it will delegate to that module's mapping.

/** What the producer function needs to know about its deployment. */
export interface ProducerDeployment {
  readonly producerName: string;
  readonly defaultStreamName: string;
  readonly allowedStreamNames: readonly string[];
  readonly deadLetterQueueUrl: string;
}

/** The producer function's environment. */
export function producerEnvironment(deployment: ProducerDeployment): Record<string, string> {
  return {
    PRODUCER_NAME: deployment.producerName,
    PRODUCER_DEFAULT_STREAM: deployment.defaultStreamName,
    PRODUCER_ALLOWED_STREAMS: deployment.allowedStreamNames.join(','),
    PRODUCER_DEAD_LETTER_QUEUE_URL: deployment.deadLetterQueueUrl,
  };
}

/** What the consumer function needs to know about its deployment and its settings. */
export interface ConsumerDeployment {
  readonly consumerName: string;
  readonly streamNames: readonly string[];
  readonly checkpointParameterPath?: string;
  readonly checkpointParameterTier: string;
  readonly checkpointTableName?: string;
  readonly targetFunctionArn?: string;
  readonly onFailureQueueUrl: string;
  readonly failOnError: boolean;
  readonly startingPosition: string;
  readonly startingTimestamp?: Date;
  readonly schedulePeriod: Duration;
  readonly timeBudget: Duration;
  readonly batchSize: number;
  readonly maxBatchingWindow: Duration;
  readonly getRecordsMaxRecords: number;
  readonly getRecordsInterval: Duration;
  readonly shardDiscoveryInterval: Duration;
  readonly checkpointInterval: Duration;
}

/** The consumer function's environment. */
export function consumerEnvironment(deployment: ConsumerDeployment): Record<string, string> {
  const env: Record<string, string> = {
    CONSUMER_NAME: deployment.consumerName,
    CONSUMER_STREAMS: deployment.streamNames.join(','),
    CONSUMER_ON_FAILURE_QUEUE_URL: deployment.onFailureQueueUrl,
    CONSUMER_FAIL_ON_ERROR: String(deployment.failOnError),
    CONSUMER_STARTING_POSITION: deployment.startingPosition,
    CONSUMER_SCHEDULE_PERIOD_MS: millis(deployment.schedulePeriod),
    CONSUMER_TIME_BUDGET_MS: millis(deployment.timeBudget),
    CONSUMER_BATCH_SIZE: Tokenization.stringifyNumber(deployment.batchSize),
    CONSUMER_MAX_BATCHING_WINDOW_MS: millis(deployment.maxBatchingWindow),
    CONSUMER_GETRECORDS_MAX_RECORDS: Tokenization.stringifyNumber(deployment.getRecordsMaxRecords),
    CONSUMER_GETRECORDS_INTERVAL_MS: millis(deployment.getRecordsInterval),
    CONSUMER_SHARD_DISCOVERY_INTERVAL_MS: millis(deployment.shardDiscoveryInterval),
    CONSUMER_CHECKPOINT_INTERVAL_MS: millis(deployment.checkpointInterval),
  };
  if (deployment.startingTimestamp)
    env.CONSUMER_STARTING_TIMESTAMP = deployment.startingTimestamp.toISOString();
  if (deployment.checkpointTableName) {
    env.CHECKPOINT_TABLE = deployment.checkpointTableName;
  } else if (deployment.checkpointParameterPath) {
    env.CHECKPOINT_SSM_PATH = deployment.checkpointParameterPath;
    env.CHECKPOINT_SSM_TIER = deployment.checkpointParameterTier;
  }
  if (deployment.targetFunctionArn) env.CONSUMER_TARGET_FUNCTION = deployment.targetFunctionArn;
  return env;
}

function millis(duration: Duration): string {
  return Tokenization.stringifyNumber(duration.toMilliseconds());
}
