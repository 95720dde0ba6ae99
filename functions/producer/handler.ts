import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { KinesisClient } from '@aws-sdk/client-kinesis';
import { SQSClient } from '@aws-sdk/client-sqs';
import { AwsClientFactory } from '../core/aws/clients';
import { toAwsSettings } from '../core/config/aws-config';
import { DEPLOYMENT_VARIABLES } from '../core/config/deployment';
import { producerConfigFromEnv } from '../core/config/producer-config';
import { SqsDeadLetterQueue } from '../core/producer/dead-letter';
import { kinesisApi } from '../core/producer/kinesis-api';
import { Producer, producerSettingsFromConfig } from '../core/producer/producer';
import { createProducerHandler } from './sqs-adapter';

/**
 * The dead-letter queue for malformed messages. Not an `SKC_` setting: it names a resource of the
 * deployment (the CDK construct sets it to the source queue's DLQ), not a connector setting. The name
 * lives with the other deployment variables in core/config/deployment.ts.
 */
export const DEAD_LETTER_QUEUE_URL_ENV = DEPLOYMENT_VARIABLES.deadLetterQueueUrl;

// Module scope: built once per container, so shard maps and rate limiters outlive a single batch.
const config = producerConfigFromEnv(process.env);
const deadLetterQueueUrl = process.env[DEAD_LETTER_QUEUE_URL_ENV];
const logger = new Logger({ serviceName: 'kinesis-producer' });
const metrics = new Metrics({
  namespace: process.env.POWERTOOLS_METRICS_NAMESPACE ?? 'ServerlessKinesisConnector',
  serviceName: 'kinesis-producer',
});
const aws = new AwsClientFactory(toAwsSettings(config.aws));
const producer = new Producer(producerSettingsFromConfig(config), {
  kinesis: kinesisApi(aws.client('kinesis', KinesisClient)),
  ...(deadLetterQueueUrl
    ? {
        deadLetters: new SqsDeadLetterQueue({
          sqs: aws.client('sqs', SQSClient),
          queueUrl: deadLetterQueueUrl,
        }),
      }
    : {}),
  logger,
});

export const handler = createProducerHandler({ producer, logger, metrics, failOnError: config.failOnError });
