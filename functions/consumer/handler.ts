import { Logger } from '@aws-lambda-powertools/logger';
import { createConsumerHandler } from '../core/consumer/handler-factory';

// The default deployed consumer: it logs what it reads (counts and positions, never record data).
// Wrap your own code with createConsumerHandler to process records; delivery to another Lambda
// function comes as a configurable target later.
const logger = new Logger({ serviceName: 'kinesis-consumer' });

export const handler = createConsumerHandler<unknown>(
  (records, { stream, shardId }) => {
    logger.info('Records received', {
      stream,
      shardId,
      count: records.length,
      firstSequenceNumber: records[0]?.sequenceNumber,
      lastSequenceNumber: records[records.length - 1]?.sequenceNumber,
    });
  },
  { logger },
);
