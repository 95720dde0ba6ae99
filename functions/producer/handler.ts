import { Logger } from '@aws-lambda-powertools/logger';
import { KinesisClient } from '@aws-sdk/client-kinesis';
import { SQSClient } from '@aws-sdk/client-sqs';
import { AwsClientFactory } from '../core/aws/clients';
import { toAwsSettings } from '../core/config/aws-config';
import { producerConfigFromEnv } from '../core/config/producer-config';
import { QueueInFlightShare } from '../core/producer/budget-share';
import { SqsDeadLetterQueue } from '../core/producer/dead-letter';
import { kinesisApi } from '../core/producer/kinesis-api';
import { PRODUCER_SERVICE, producerPowertoolsMetrics } from '../core/producer/metrics';
import { Producer, producerSettingsFromConfig } from '../core/producer/producer';
import { createProducerHandler } from './sqs-adapter';

// Module scope: built once per container, so shard maps and rate limiters outlive a single batch.
// Everything comes from the `SKC_*` settings, the CDK construct's included (producer.name and
// producer.deadletterqueueurl).
const config = producerConfigFromEnv(process.env);
const logger = new Logger({ serviceName: PRODUCER_SERVICE });
const metrics = producerPowertoolsMetrics(config.producerName);
const aws = new AwsClientFactory(toAwsSettings(config.aws));
const producer = new Producer(producerSettingsFromConfig(config), {
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

export const handler = createProducerHandler({ producer, logger, metrics, failOnError: config.failOnError });
