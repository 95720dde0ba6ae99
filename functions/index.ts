// The Lambda-side runtime: `serverless-kinesis-connector/runtime`. Never imports aws-cdk-lib.
export * from './core/errors';
export * from './core/time/clock';
export * from './core/aws/retry';
export * from './core/aws/credentials';
export * from './core/aws/clients';
export { SERVICE_DIMENSION, type MetricUnit } from './core/metrics';
export * from './core/config';
export * from './core/record-format';
export * from './core/checkpoints';
export * from './core/consumer';
export * from './core/producer';
export {
  createProducerHandler,
  ProducerBatchError,
  type MetricsSink,
  type ProducerHandlerOptions,
} from './producer/sqs-adapter';
export type { ProducerRouting } from './producer/environment';
export * from './consumer';
export { producerPowertoolsMetrics } from './producer/metrics';
