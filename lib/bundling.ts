// How the constructs bundle their functions, as plain esbuild option values rather than CDK types, so
// the benchmarks (bench/bundle.ts) build and measure exactly what a deployment ships.
import { BUNDLE_CONSTANTS, type BundlePart } from '../functions/core/bundle-constants';

/** The Node.js major version of every connector function's runtime (`CONNECTOR_RUNTIME`). */
export const CONNECTOR_NODE_MAJOR = 24;

/**
 * The parts of the AWS SDK's default credential chain that never run in Lambda: Lambda hands the role's
 * credentials to the function in environment variables, the chain's first link, so profiles, SSO,
 * credential processes, web identity token files and container or instance metadata are never reached.
 * They stay out of the bundle; should anything reach one, the Lambda Node.js runtime resolves it from
 * its own copy of the SDK, as it does for every `@aws-sdk` module a bundle leaves external.
 */
export const SDK_MODULES_UNUSED_IN_LAMBDA = [
  '@aws-sdk/credential-provider-ini',
  '@aws-sdk/credential-provider-sso',
  '@aws-sdk/credential-provider-process',
  '@aws-sdk/credential-provider-web-identity',
  '@aws-sdk/credential-provider-http',
  '@smithy/credential-provider-imds',
] as const;

/**
 * The esbuild options of every connector function: minified CommonJS for the runtime's Node.js, the
 * SDK's ES module builds first (smaller and faster to load), and the SDK bundled, so the tested version
 * ships, except the credential providers Lambda never uses.
 */
export const CONNECTOR_ESBUILD_OPTIONS = {
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: `node${CONNECTOR_NODE_MAJOR}`,
  minify: true,
  mainFields: ['module', 'main'],
  external: SDK_MODULES_UNUSED_IN_LAMBDA,
} as const;

/**
 * The `exports` condition under which `serverless-kinesis-connector/runtime` resolves to the runtime's
 * TypeScript sources, which the package ships, instead of its compiled CommonJS. The constructs bundle
 * with it (and with esbuild's default `module` condition, which custom conditions would otherwise turn
 * off), so a processor that imports the runtime is bundled from ES modules: esbuild then drops what a
 * deployment's `define` leaves unused, as it does for the built-in handlers. Node.js, TypeScript and
 * other tools do not know the condition and take the compiled build.
 */
export const RUNTIME_SOURCE_CONDITIONS = ['skc-source', 'module'] as const;

/** What a consumer deployment uses, as the construct's props say. */
export interface ConsumerBundleUse {
  /** Checkpoints in DynamoDB instead of SSM. */
  readonly checkpointTable: boolean;
  readonly onFailureQueue: boolean;
  /** Delivery to a target function. */
  readonly target: boolean;
  /** Continuous mode starts each successor with a Lambda Invoke. @default false */
  readonly continuous?: boolean;
}

// What no function the constructs deploy uses: its role's credentials come from the SDK's default chain
// (aws.credentials cannot be set through the constructs), and a start timestamp reaches the consumer
// as epoch seconds, which needs no Java date pattern parser.
const NEVER_USED = { credentialProviders: false, datePatterns: false } as const;

/**
 * The esbuild `define` of a consumer function: each optional part of the runtime (see
 * functions/core/bundle-constants.ts) "true" when the deployment uses it and "false" otherwise, which
 * leaves it out of the bundle.
 */
export function consumerBundleDefine(use: ConsumerBundleUse): Record<string, string> {
  return define({
    ssm: !use.checkpointTable,
    dynamodb: use.checkpointTable,
    sqs: use.onFailureQueue,
    lambda: use.target || (use.continuous ?? false),
    ...NEVER_USED,
  });
}

/** The esbuild `define` of a producer function. */
export const PRODUCER_BUNDLE_DEFINE: Readonly<Record<string, string>> = define(NEVER_USED);

function define(parts: Partial<Record<BundlePart, boolean>>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(parts).map(([part, used]) => [
      BUNDLE_CONSTANTS[part as BundlePart],
      JSON.stringify(String(used)),
    ]),
  );
}
