import { createProducerHandler } from '../functions/producer/sqs-adapter';
import { ORDER_ROUTING } from './order-routing';

// The example's producer function: KinesisProducer bundles this file (handlerEntry): the built-in
// handler, configured from its SKC_* environment, plus the example's partitioner. In your own project,
// import createProducerHandler from 'serverless-kinesis-connector/runtime'.
export const handler = createProducerHandler(ORDER_ROUTING);
