// The CDK constructs: `serverless-kinesis-connector`.
export * from './kinesis-streams';
export * from './kinesis-producer';
export { CONNECTOR_RUNTIME } from './connector-function';
export * from './bundling';
export * from './kinesis-consumer';
export * from './metrics';
export * from './connector-dashboard';
