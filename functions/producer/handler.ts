import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { KinesisClient } from '@aws-sdk/client-kinesis';
import { SQSClient } from '@aws-sdk/client-sqs';
import { AwsClientFactory } from '../core/aws/clients';
import { SqsDeadLetterQueue } from '../core/producer/dead-letter';
import { kinesisApi } from '../core/producer/kinesis-api';
import { Producer } from '../core/producer/producer';
import { producerEnvironment } from './environment';
import { createProducerHandler } from './sqs-adapter';

// Module scope: built once per container, so shard maps and rate limiters outlive a single batch.
const environment = producerEnvironment(process.env);
const logger = new Logger({ serviceName: 'kinesis-producer' });
const metrics = new Metrics({ namespace: environment.metricsNamespace, serviceName: 'kinesis-producer' });
const aws = new AwsClientFactory(environment.aws);
const sqs = aws.client('sqs', SQSClient);
const producer = new Producer(environment.settings, {
  kinesis: kinesisApi(aws.client('kinesis', KinesisClient)),
  ...(environment.deadLetterQueueUrl
    ? { deadLetters: new SqsDeadLetterQueue({ sqs, queueUrl: environment.deadLetterQueueUrl }) }
    : {}),
  logger,
});

export const handler = createProducerHandler({
  producer,
  logger,
  metrics,
  failOnError: environment.failOnError,
});
