// The CDK constructs: `serverless-kinesis-connector`. A chosen list (docs/api.md; held to it by
// test/package/exports.test.ts): the constructs, their props, and the metric names a user's own alarms
// and dashboards need. The rest of lib/ is internal; the repository's own code imports it by path.
export { KinesisStreams, type KinesisStreamsProps, type StreamDefinition } from './kinesis-streams';
export { KinesisProducer, type KinesisProducerProps } from './kinesis-producer';
export {
  KinesisConsumer,
  type ExactlyOnceProps,
  type KinesisConsumerProps,
  type SubtaskEvent,
} from './kinesis-consumer';
export { ConnectorDashboard, type ConnectorDashboardProps } from './connector-dashboard';
export { CONNECTOR_RUNTIME } from './connector-function';
export {
  CONSUMER_METRIC_UNITS,
  CONSUMER_SERVICE,
  ConsumerMetricName,
  consumerStreamMetric,
  MetricDimension,
  METRICS_NAMESPACE,
  PRODUCER_METRIC_UNITS,
  PRODUCER_SERVICE,
  ProducerMetricName,
  producerMetric,
} from './metrics';
