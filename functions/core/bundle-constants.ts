// Build-time constants that let a bundle leave out code a deployment never runs. A bundler `define`
// of one as "false" (esbuild: `define: { 'process.env.CONNECTOR_BUNDLE_SSM': '"false"' }`) turns the
// guard around that code into a constant that esbuild folds, so the code and the SDK client it uses
// stay out of the bundle; a configuration that needs it then fails at start-up, naming the constant.
// Undefined (tests, tsx, the local runner, a bundler without these defines), everything is there.
// The CDK constructs define them from their props (lib/bundling.ts). The guards themselves
// must spell out `process.env.<NAME>`: that expression is what esbuild replaces.

/** The constant of each part a consumer bundle may leave out. */
export const BUNDLE_CONSTANTS = {
  /** The SSM client and the SSM checkpoint store. */
  ssm: 'process.env.CONNECTOR_BUNDLE_SSM',
  /** The DynamoDB client and the DynamoDB checkpoint store. */
  dynamodb: 'process.env.CONNECTOR_BUNDLE_DYNAMODB',
  /** The SQS client and the on-failure queue. */
  sqs: 'process.env.CONNECTOR_BUNDLE_SQS',
  /** The Lambda client and delivery to a target function. */
  lambda: 'process.env.CONNECTOR_BUNDLE_LAMBDA',
  /** The SDK credential providers behind every aws.credentials provider but AUTO and BASIC. */
  credentialProviders: 'process.env.CONNECTOR_BUNDLE_CREDENTIAL_PROVIDERS',
  /** The Java date pattern parser (date-fns) for a start timestamp given as text. */
  datePatterns: 'process.env.CONNECTOR_BUNDLE_DATE_PATTERNS',
} as const;

export type BundlePart = keyof typeof BUNDLE_CONSTANTS;
