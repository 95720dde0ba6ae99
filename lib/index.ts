// The CDK constructs: `serverless-kinesis-connector`.
export * from './kinesis-streams';
