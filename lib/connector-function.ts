import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Duration } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { CONNECTOR_ESBUILD_OPTIONS, RUNTIME_SOURCE_CONDITIONS } from './bundling';
import { configError } from './validation';

/**
 * The Lambda runtime of every function the constructs create: the newest GA Node.js runtime in
 * aws-cdk-lib, pinned rather than `NODEJS_LATEST` so a library upgrade never changes a deployed
 * runtime unannounced.
 */
export const CONNECTOR_RUNTIME = lambda.Runtime.NODEJS_24_X;

/**
 * How every function is bundled: the local esbuild (no Docker) with the options of lib/bundling.ts,
 * which the benchmarks measure, and the function's `define`.
 */
export function connectorBundling(define: Readonly<Record<string, string>>): nodejs.BundlingOptions {
  const options = CONNECTOR_ESBUILD_OPTIONS;
  return {
    minify: options.minify,
    target: options.target,
    format: options.format === 'cjs' ? nodejs.OutputFormat.CJS : nodejs.OutputFormat.ESM,
    mainFields: [...options.mainFields],
    externalModules: [...options.external],
    define: { ...define },
    esbuildArgs: { '--conditions': RUNTIME_SOURCE_CONDITIONS.join(',') },
    forceDockerBundling: false,
    sourceMap: false,
    logLevel: nodejs.LogLevel.WARNING,
  };
}

/**
 * The entry file of a built-in handler. The TypeScript source comes first, in the repository (`lib/`
 * beside `functions/`) and in the installed package (`dist/lib/` two levels under the `functions/`
 * sources it ships): esbuild bundles ES module sources with tree shaking, so a deployment's `define`
 * leaves the clients it never uses out, where the compiled CommonJS would pull every client in.
 */
export function builtInEntry(handler: 'consumer' | 'producer'): string {
  const candidates = [
    path.join(__dirname, '..', 'functions', handler, 'handler.ts'),
    path.join(__dirname, '..', '..', 'functions', handler, 'handler.ts'),
    path.join(__dirname, '..', 'functions', handler, 'handler.js'),
  ];
  const found = candidates.find((file) => fs.existsSync(file));
  if (found) return found;
  throw configError(
    'connector',
    'entry',
    `the built-in ${handler} handler is missing (looked for ${candidates.join(', ')}); reinstall the package.`,
  );
}

/** Options of a `ConnectorFunction`. */
export interface ConnectorFunctionProps {
  /** The handler file that esbuild bundles. */
  readonly entry: string;
  /** The exported handler name. */
  readonly handler: string;
  readonly description: string;
  readonly timeout: Duration;
  readonly memorySizeMb: number;
  readonly architecture: lambda.Architecture;
  readonly logRetention: logs.RetentionDays;
  readonly environment: Record<string, string>;
  /** The esbuild `define` that leaves out the parts of the runtime the function never uses. */
  readonly define: Readonly<Record<string, string>>;
}

/**
 * A bundled Node.js function with its own log group and a role that may write only to that log
 * group: no AWS managed policy, so every permission the function has is visible and scoped.
 */
export class ConnectorFunction extends Construct {
  readonly function: nodejs.NodejsFunction;
  readonly role: iam.Role;
  readonly logGroup: logs.LogGroup;

  constructor(scope: Construct, id: string, props: ConnectorFunctionProps) {
    super(scope, id);
    this.logGroup = new logs.LogGroup(this, 'Logs', { retention: props.logRetention });
    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `Execution role of: ${props.description}`,
    });
    this.role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        resources: [this.logGroup.logGroupArn],
      }),
    );
    this.function = new nodejs.NodejsFunction(this, 'Function', {
      entry: props.entry,
      handler: props.handler,
      description: props.description,
      runtime: CONNECTOR_RUNTIME,
      architecture: props.architecture,
      timeout: props.timeout,
      memorySize: props.memorySizeMb,
      environment: props.environment,
      role: this.role,
      logGroup: this.logGroup,
      loggingFormat: lambda.LoggingFormat.JSON,
      bundling: connectorBundling(props.define),
    });
  }
}
