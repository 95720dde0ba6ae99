// The CDK constructs: `serverless-kinesis-connector`.
export {};
