import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Duration } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { CONNECTOR_ESBUILD_OPTIONS, RUNTIME_SOURCE_CONDITIONS } from './bundling';
import { checkNumber, configError } from './validation';
import { ALLOCATOR_ENVIRONMENT } from '../functions/core/allocator-environment';

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

/**
 * The function props a construct's user chooses, the same in `KinesisConsumerProps` and
 * `KinesisProducerProps`; `ConnectorFunction` gives the unset ones their defaults.
 */
export interface ConnectorFunctionChoices {
  readonly handlerEntry?: string;
  readonly handlerName?: string;
  readonly memorySizeMb?: number;
  readonly architecture?: lambda.Architecture;
  readonly logRetention?: logs.RetentionDays;
}

/** Defaults of the function props both constructs document. */
export const FUNCTION_DEFAULTS = {
  handlerName: 'handler',
  memorySizeMb: 512,
  architecture: lambda.Architecture.ARM_64,
  logRetention: logs.RetentionDays.ONE_MONTH,
} as const;

/** Refuses function props Lambda would refuse at deployment, naming the construct and the prop. */
export function checkFunctionChoices(owner: string, choices: ConnectorFunctionChoices): void {
  if (choices.handlerName !== undefined && !choices.handlerEntry) {
    throw configError(
      owner,
      'handlerName',
      'handlerName is set without handlerEntry; it names an export of handlerEntry.',
    );
  }
  checkNumber(owner, 'memorySizeMb', choices.memorySizeMb, { min: 128, max: 10_240 });
}

/** Options of a `ConnectorFunction`. */
export interface ConnectorFunctionProps {
  /** The built-in handler that runs unless the user's choices give a `handlerEntry`. */
  readonly builtIn: 'consumer' | 'producer';
  /** The user's function props (the construct's props). */
  readonly choices: ConnectorFunctionChoices;
  readonly description: string;
  readonly timeout: Duration;
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
    const choices = props.choices;
    this.logGroup = new logs.LogGroup(this, 'Logs', {
      retention: choices.logRetention ?? FUNCTION_DEFAULTS.logRetention,
    });
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
      entry: choices.handlerEntry ?? builtInEntry(props.builtIn),
      handler: choices.handlerEntry
        ? (choices.handlerName ?? FUNCTION_DEFAULTS.handlerName)
        : FUNCTION_DEFAULTS.handlerName,
      description: props.description,
      runtime: CONNECTOR_RUNTIME,
      architecture: choices.architecture ?? FUNCTION_DEFAULTS.architecture,
      timeout: props.timeout,
      memorySize: choices.memorySizeMb ?? FUNCTION_DEFAULTS.memorySizeMb,
      // The allocator settings first: a setting of the construct's own never gives way to them.
      environment: { ...ALLOCATOR_ENVIRONMENT, ...props.environment },
      role: this.role,
      logGroup: this.logGroup,
      loggingFormat: lambda.LoggingFormat.JSON,
      bundling: connectorBundling(props.define),
    });
  }
}
