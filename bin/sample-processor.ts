import { Logger } from '@aws-lambda-powertools/logger';
import type { ConsumerRecord } from '../functions/core/consumer';
import { createConsumerHandler } from '../functions/consumer';
import type { Order } from './example-pipeline';

// The example's processor: the consumer delivers each shard's records in order, as parsed JSON (the
// stack sets deserializer 'json'). A real processor writes somewhere idempotently, keyed by
// `${stream}/${shardId}/${sequenceNumber}/${subSequenceNumber ?? 0}`, since a batch can be redelivered.
// In your own project, import createConsumerHandler from 'serverless-kinesis-connector/runtime'.
const logger = new Logger({ serviceName: 'orders-consumer' });

export const handler = createConsumerHandler<unknown>(
  (records: ConsumerRecord<unknown>[], { stream, shardId }) => {
    let total = 0;
    for (const record of records) {
      const order = record.data as Partial<Order>;
      if (typeof order.amount === 'number') total += order.amount;
    }
    logger.info('Orders processed', { stream, shardId, count: records.length, total });
  },
  { logger },
);
