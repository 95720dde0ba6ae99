import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { AssetStaging } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { build, type Metafile } from 'esbuild';
import { CONNECTOR_RUNTIME, KinesisConsumer, KinesisProducer, KinesisStreams } from '../../lib';
import {
  CONNECTOR_ESBUILD_OPTIONS,
  CONNECTOR_NODE_MAJOR,
  PRODUCER_BUNDLE_DEFINE,
  consumerBundleDefine,
  type ConsumerBundleUse,
} from '../../lib/bundling';
import { strictStack } from './helpers';

const ROOT = path.join(__dirname, '..', '..');
const CONSUMER_ENTRY = path.join(ROOT, 'functions', 'consumer', 'handler.ts');
const PROCESSOR_ENTRY = path.join(__dirname, 'fixtures', 'consumer-processor.ts');

// Scheduled mode: the deployment with the fewest clients. (Continuous mode, the default, adds Lambda.)
const DEFAULT_USE: ConsumerBundleUse = { checkpointTable: false, onFailureQueue: true, target: false };

/** The npm packages esbuild put in a bundle of `entry` built with the constructs' options. */
async function bundledPackages(entry: string, define: Record<string, string>): Promise<Set<string>> {
  const result = await build({
    ...CONNECTOR_ESBUILD_OPTIONS,
    mainFields: [...CONNECTOR_ESBUILD_OPTIONS.mainFields],
    external: [...CONNECTOR_ESBUILD_OPTIONS.external],
    entryPoints: [entry],
    define,
    write: false,
    outfile: 'out.js',
    metafile: true,
    logLevel: 'error',
  });
  // The output's inputs, not the metafile's: those list every file esbuild read, kept or dropped.
  const [output] = Object.values((result.metafile as Metafile).outputs);
  const inputs = Object.entries(output?.inputs ?? {}).filter(([, input]) => input.bytesInOutput > 0);
  return new Set(
    inputs.flatMap(([input]) => {
      const match = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(input);
      return match?.[1] ? [match[1]] : [];
    }),
  );
}

/** The AWS services whose clients are in a function's bundle, by their schema namespaces. */
function bundledServices(fn: lambda.IFunction): string[] {
  const staging = fn.node.findAll().find((c): c is AssetStaging => c instanceof AssetStaging);
  if (!staging) throw new Error(`${fn.node.path} has no staged asset`);
  const code = readFileSync(path.join(staging.absoluteStagedPath, 'index.js'), 'utf8');
  return [...new Set([...code.matchAll(/"com\.amazonaws\.([a-z0-9]+)/g)].map((m) => m[1] as string))].sort();
}

const CLIENTS = ['client-kinesis', 'client-ssm', 'client-sqs', 'client-dynamodb', 'client-lambda'];
const clientsIn = (packages: Set<string>) => CLIENTS.filter((c) => packages.has(`@aws-sdk/${c}`));

describe('consumerBundleDefine', () => {
  it('keeps each optional client a deployment uses and leaves out the rest, the credential providers and date patterns', () => {
    expect(consumerBundleDefine(DEFAULT_USE)).toEqual({
      'process.env.CONNECTOR_BUNDLE_SSM': '"true"',
      'process.env.CONNECTOR_BUNDLE_DYNAMODB': '"false"',
      'process.env.CONNECTOR_BUNDLE_SQS': '"true"',
      'process.env.CONNECTOR_BUNDLE_LAMBDA': '"false"',
      'process.env.CONNECTOR_BUNDLE_CREDENTIAL_PROVIDERS': '"false"',
      'process.env.CONNECTOR_BUNDLE_DATE_PATTERNS': '"false"',
    });
    expect(consumerBundleDefine({ checkpointTable: true, onFailureQueue: true, target: true })).toMatchObject(
      {
        'process.env.CONNECTOR_BUNDLE_SSM': '"false"',
        'process.env.CONNECTOR_BUNDLE_DYNAMODB': '"true"',
        'process.env.CONNECTOR_BUNDLE_LAMBDA': '"true"',
      },
    );
    expect(PRODUCER_BUNDLE_DEFINE).toEqual({
      'process.env.CONNECTOR_BUNDLE_CREDENTIAL_PROVIDERS': '"false"',
      'process.env.CONNECTOR_BUNDLE_DATE_PATTERNS': '"false"',
    });
  });

  it('targets the Node.js of the functions’ runtime', () => {
    expect(CONNECTOR_RUNTIME.name).toBe(`nodejs${CONNECTOR_NODE_MAJOR}.x`);
    expect(CONNECTOR_ESBUILD_OPTIONS.target).toBe(`node${CONNECTOR_NODE_MAJOR}`);
  });
});

describe('esbuild with the constructs’ options and a consumer define', () => {
  it('bundles every optional client, the credential providers and date-fns without a define', async () => {
    const packages = await bundledPackages(CONSUMER_ENTRY, {});
    expect(clientsIn(packages)).toEqual(CLIENTS);
    expect(packages).toContain('@aws-sdk/credential-providers');
    expect(packages).toContain('date-fns');
  });

  it.each([
    ['a scheduled deployment', DEFAULT_USE, ['client-kinesis', 'client-ssm', 'client-sqs']],
    [
      'a continuous deployment (the default)',
      { ...DEFAULT_USE, continuous: true },
      ['client-kinesis', 'client-ssm', 'client-sqs', 'client-lambda'],
    ],
    [
      'a target function',
      { ...DEFAULT_USE, target: true },
      ['client-kinesis', 'client-ssm', 'client-sqs', 'client-lambda'],
    ],
    [
      'a DynamoDB checkpoint table',
      { ...DEFAULT_USE, checkpointTable: true },
      ['client-kinesis', 'client-sqs', 'client-dynamodb'],
    ],
  ])('drops every client %s does not use, with the code around it', async (_name, use, expected) => {
    const packages = await bundledPackages(CONSUMER_ENTRY, consumerBundleDefine(use));
    expect(clientsIn(packages)).toEqual(expected);
    expect(packages).not.toContain('@aws-sdk/credential-providers');
    expect(packages).not.toContain('@aws-sdk/nested-clients');
    expect(packages).not.toContain('date-fns');
    for (const external of CONNECTOR_ESBUILD_OPTIONS.external) expect(packages).not.toContain(external);
  });
});

describe('a consumer bundle loaded with a configuration that needs a client it left out', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'skc-bundle-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('fails at start-up with a ConfigurationError naming the constant', async () => {
    const outfile = path.join(dir, 'index.js');
    await build({
      ...CONNECTOR_ESBUILD_OPTIONS,
      mainFields: [...CONNECTOR_ESBUILD_OPTIONS.mainFields],
      external: [...CONNECTOR_ESBUILD_OPTIONS.external],
      entryPoints: [CONSUMER_ENTRY],
      define: consumerBundleDefine(DEFAULT_USE),
      outfile,
      logLevel: 'error',
    });
    const load = (extra: Record<string, string>) =>
      spawnSync(process.execPath, ['-e', `require(${JSON.stringify(outfile)})`], {
        env: {
          PATH: process.env.PATH,
          AWS_REGION: 'us-east-1',
          SKC_STREAMS: 'orders',
          SKC_CONSUMER_NAME: 'orders',
          SKC_CONSUMER_CONTINUOUS: 'false',
          POWERTOOLS_METRICS_DISABLED: 'true',
          ...extra,
        },
        encoding: 'utf8',
      });
    expect(load({}).status).toBe(0);
    const failed = load({
      SKC_CONSUMER_CHECKPOINT_STORE: 'dynamodb',
      SKC_CONSUMER_CHECKPOINT_DYNAMODB_TABLE: 'checkpoints',
    });
    expect(failed.status).not.toBe(0);
    expect(failed.stderr).toMatch(/ConfigurationError: consumer\.checkpoint\.store is dynamodb, which needs/);
    expect(failed.stderr).toContain('process.env.CONNECTOR_BUNDLE_DYNAMODB defined as "false"');
  });
});

describe('the constructs bundle only the clients their props use', () => {
  const stack = strictStack();
  const streams = new KinesisStreams(stack, 'Streams', { streams: [{ id: 'Orders' }] });
  const common = { streams: streams.streams };
  const inProcess = new KinesisConsumer(stack, 'InProcess', {
    ...common,
    consumerName: 'in-process',
    handlerEntry: PROCESSOR_ENTRY,
    continuous: false,
  });
  const continuous = new KinesisConsumer(stack, 'Continuous', {
    ...common,
    consumerName: 'continuous',
    handlerEntry: PROCESSOR_ENTRY,
  });
  const toTarget = new KinesisConsumer(stack, 'ToTarget', {
    ...common,
    consumerName: 'to-target',
    target: lambda.Function.fromFunctionArn(
      stack,
      'Target',
      'arn:aws:lambda:eu-west-1:111122223333:function:orders-processor',
    ),
  });
  const table = new dynamodb.Table(stack, 'Checkpoints', {
    partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING },
    sortKey: { name: 'sk', type: dynamodb.AttributeType.STRING },
    pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
  });
  const withTable = new KinesisConsumer(stack, 'WithTable', {
    ...common,
    consumerName: 'with-table',
    handlerEntry: PROCESSOR_ENTRY,
    checkpointTable: table,
    continuous: false,
  });
  const producer = new KinesisProducer(stack, 'Producer', { streams: streams.streams });

  it('gives an in-process consumer Kinesis, SSM and SQS (its on-failure queue)', () => {
    expect(bundledServices(inProcess.function)).toEqual(['kinesis', 'sqs', 'ssm']);
  });

  it('adds Lambda in continuous mode (the default), to start each successor', () => {
    expect(bundledServices(continuous.function)).toEqual(['kinesis', 'lambda', 'sqs', 'ssm']);
  });

  it('adds Lambda for a target function', () => {
    expect(bundledServices(toTarget.function)).toEqual(['kinesis', 'lambda', 'sqs', 'ssm']);
  });

  it('swaps SSM for DynamoDB with a checkpoint table', () => {
    expect(bundledServices(withTable.function)).toEqual(['dynamodb', 'kinesis', 'sqs']);
  });

  it('gives the producer Kinesis and SQS and no STS', () => {
    expect(bundledServices(producer.function)).toEqual(['kinesis', 'sqs']);
  });
});
