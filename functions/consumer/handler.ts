import { Logger } from '@aws-lambda-powertools/logger';
import { consumerConfigFromEnv } from '../core/config/consumer-config';
import { createConsumerHandler, createLambdaTargetHandler } from './handler-factory';
import { CONSUMER_SERVICE } from '../core/consumer/metrics';

// The default deployed consumer. With a target function (consumer.target.function) it delivers every
// batch to that Lambda function; otherwise it logs what it reads (counts and positions, never record
// data): wrap your own code with createConsumerHandler to process records in-process.
const config = consumerConfigFromEnv(process.env);
const logger = new Logger({ serviceName: CONSUMER_SERVICE });

export const handler = config.delivery.targetFunction
  ? createLambdaTargetHandler({ config, logger })
  : createConsumerHandler<unknown>(
      (records, { stream, shardId }) => {
        logger.info('Records received', {
          stream,
          shardId,
          count: records.length,
          firstSequenceNumber: records[0]?.sequenceNumber,
          lastSequenceNumber: records[records.length - 1]?.sequenceNumber,
        });
      },
      { config, logger },
    );
