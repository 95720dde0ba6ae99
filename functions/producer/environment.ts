import { Logger } from '@aws-lambda-powertools/logger';
import { KinesisClient } from '@aws-sdk/client-kinesis';
import { SQSClient } from '@aws-sdk/client-sqs';
import { AwsClientFactory } from '../core/aws/clients';
import { toAwsSettings } from '../core/config/aws-config';
import { producerConfigFromEnv } from '../core/config/producer-config';
import { QueueInFlightShare } from '../core/producer/budget-share';
import { SqsDeadLetterQueue } from '../core/producer/dead-letter';
import { kinesisApi } from '../core/producer/kinesis-api';
import { PRODUCER_SERVICE } from '../core/producer/metrics';
import { producerPowertoolsMetrics } from './metrics';
import { Producer, producerSettingsFromConfig } from '../core/producer/producer';
import type { Partitioner, TargetStreamSelector } from '../core/producer/routing';
import { applyHeapGrowingPercent } from '../core/v8-heap';

/** The routing only code can give (the reference's custom partitioner and target-stream selector). */
export interface ProducerRouting {
  readonly partitioner?: Partitioner;
  readonly targetStream?: TargetStreamSelector;
}

/**
 * Everything the producer function builds once per container from its `SKC_*` environment:
 * configuration, logger, metrics, clients, the deployment's budget share and the dead-letter queue, and
 * the producer core with the given routing. A bad setting throws here, at the cold start.
 */
export function producerFromEnvironment(
  env: Readonly<Record<string, string | undefined>>,
  routing: ProducerRouting = {},
) {
  const config = producerConfigFromEnv(env);
  applyHeapGrowingPercent(config.heapGrowingPercent, env);
  const logger = new Logger({ serviceName: PRODUCER_SERVICE });
  const metrics = producerPowertoolsMetrics(config.producerName);
  const aws = new AwsClientFactory(toAwsSettings(config.aws));
  const producer = new Producer(producerSettingsFromConfig(config, routing), {
    kinesis: kinesisApi(aws.client('kinesis', KinesisClient)),
    ...(config.sourceQueueUrl
      ? {
          budgetShare: new QueueInFlightShare({
            sqs: aws.client('sqs', SQSClient),
            queueUrl: config.sourceQueueUrl,
            logger,
          }),
        }
      : {}),
    ...(config.deadLetterQueueUrl
      ? {
          deadLetters: new SqsDeadLetterQueue({
            sqs: aws.client('sqs', SQSClient),
            queueUrl: config.deadLetterQueueUrl,
          }),
        }
      : {}),
    logger,
  });
  return { producer, logger, metrics, failOnError: config.failOnError };
}
