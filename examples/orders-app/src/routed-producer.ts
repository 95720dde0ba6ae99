import { Logger } from '@aws-lambda-powertools/logger';
import { KinesisClient } from '@aws-sdk/client-kinesis';
import {
  createProducerHandler,
  kinesisApi,
  Producer,
  producerConfigFromEnv,
  producerPowertoolsMetrics,
  producerSettingsFromConfig,
  PRODUCER_SERVICE,
  type Partitioner,
  type TargetStreamSelector,
} from 'serverless-kinesis-connector/runtime';

// A producer function of your own, for routing only code can decide: the reference connector's
// target-stream selector and custom partitioner. They fill in what a message leaves out; a message that
// names its stream or keys keeps them. (KinesisProducer deploys the built-in handler; deploy this one
// with a NodejsFunction of your own behind the queue.)
const streamOf: TargetStreamSelector = (record) => {
  const order = JSON.parse(new TextDecoder().decode(record.data)) as { region?: string };
  return order.region === 'us' ? process.env.US_STREAM : process.env.EU_STREAM;
};
const byCustomer: Partitioner = (record) => {
  const order = JSON.parse(new TextDecoder().decode(record.data)) as { customerId?: string };
  return order.customerId ? { partitionKey: order.customerId } : undefined;
};

const config = producerConfigFromEnv(process.env);
const logger = new Logger({ serviceName: PRODUCER_SERVICE });
const producer = new Producer(
  producerSettingsFromConfig(config, { targetStream: streamOf, partitioner: byCustomer }),
  { kinesis: kinesisApi(new KinesisClient({})), logger },
);

export const handler = createProducerHandler({
  producer,
  logger,
  metrics: producerPowertoolsMetrics(config.producerName),
  failOnError: config.failOnError,
});
