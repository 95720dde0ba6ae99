import { createProducerHandler } from './sqs-adapter';

// The built-in producer: routing from the `SKC_*` settings alone (the CDK construct's included). A
// custom partitioner or target-stream selector goes in a handler file of your own that calls
// createProducerHandler({ partitioner, targetStream }), given to KinesisProducer as handlerEntry.
export const handler = createProducerHandler();
