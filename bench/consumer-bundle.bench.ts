import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildBundle, pairedLoadTimes } from './bundle';
import type { BenchSection } from './harness';

/**
 * The consumer Lambda bundle (functions/consumer/handler.ts) against bundles of the bare SDK clients,
 * logger and metrics built the same way. The handler imports Kinesis and SSM at load and the DynamoDB,
 * SQS and Lambda clients with import() when configured, so it is measured twice: as one CommonJS file
 * (what a default NodejsFunction builds: every client inside, the lazy ones not evaluated at load), and as
 * ES modules split into chunks, where a cold start reads only the chunks the configuration uses.
 */

const KB = 1000;
const ENV = { AWS_REGION: 'us-east-1', SKC_STREAMS: 'bench', POWERTOOLS_METRICS_DISABLED: 'true' };

function bare(clients: readonly [string, string][]): string {
  return [
    "import { Logger } from '@aws-lambda-powertools/logger';",
    "import { Metrics } from '@aws-lambda-powertools/metrics';",
    ...clients.map(([name, pkg]) => `import { ${name} } from '@aws-sdk/${pkg}';`),
    ...clients.map(([name], i) => `export const c${i} = new ${name}({ region: process.env.AWS_REGION });`),
    "export const logger = new Logger({ serviceName: 'baseline' });",
    "export const metrics = new Metrics({ namespace: 'baseline', serviceName: 'baseline' });",
  ].join('\n');
}

const AT_LOAD: [string, string][] = [
  ['KinesisClient', 'client-kinesis'],
  ['SSMClient', 'client-ssm'],
];
const EVERY_CLIENT: [string, string][] = [
  ...AT_LOAD,
  ['SQSClient', 'client-sqs'],
  ['DynamoDBClient', 'client-dynamodb'],
  ['LambdaClient', 'client-lambda'],
];

export async function run(): Promise<BenchSection> {
  const dir = mkdtempSync(join(tmpdir(), 'consumer-bundle-'));
  try {
    const entry = { entry: 'functions/consumer/handler.ts' };
    const cjs = await buildBundle(entry, dir, 'handler');
    const esm = await buildBundle(entry, join(dir, 'esm'), 'handler', 'esm-split');
    const bareAtLoad = await buildBundle({ contents: bare(AT_LOAD) }, dir, 'bare-at-load');
    const bareEvery = await buildBundle({ contents: bare(EVERY_CLIENT) }, dir, 'bare-every');
    const bareAtLoadEsm = await buildBundle(
      { contents: bare(AT_LOAD) },
      join(dir, 'esm'),
      'bare-at-load',
      'esm-split',
    );
    const cjsLoad = pairedLoadTimes(cjs.file, bareAtLoad.file, ENV);
    const esmLoad = pairedLoadTimes(esm.file, bareAtLoadEsm.file, ENV);
    return {
      title: 'Consumer: Lambda bundle',
      rows: [
        {
          label: 'one CommonJS file, every client inside',
          value: cjs.totalBytes / KB,
          unit: 'KB',
          anchor: { label: 'bare: all 5 clients + logger + metrics', value: bareEvery.totalBytes / KB },
          target: { maxValue: 500 },
        },
        {
          label: 'one CommonJS file: module load time',
          value: cjsLoad.millis,
          unit: 'ms',
          anchor: { label: 'bare: Kinesis + SSM + logger + metrics', value: cjsLoad.baselineMillis },
        },
        {
          label: 'one CommonJS file: load time ratio (median of pairs)',
          value: cjsLoad.ratio,
          unit: 'x',
          target: { maxValue: 1.2 },
        },
        {
          label: 'ES modules split: read at a cold start (SSM, in-process)',
          value: esm.startBytes / KB,
          unit: 'KB',
          anchor: { label: 'bare: Kinesis + SSM + logger + metrics', value: bareAtLoadEsm.startBytes / KB },
          target: { maxValue: 500 },
        },
        {
          label: 'ES modules split: all chunks on disk',
          value: esm.totalBytes / KB,
          unit: 'KB',
        },
        {
          label: 'ES modules split: module load time',
          value: esmLoad.millis,
          unit: 'ms',
          anchor: { label: 'bare: Kinesis + SSM + logger + metrics', value: esmLoad.baselineMillis },
        },
        {
          label: 'ES modules split: load time ratio (median of pairs)',
          value: esmLoad.ratio,
          unit: 'x',
          target: { maxValue: 1.2 },
        },
      ],
      notes: [
        'esbuild, minify, platform node, target node22, main fields module,main, nothing external. Load time is ' +
          'require() (CommonJS) or import() (ES modules) of the bundle in a fresh node process, median of 21 runs ' +
          'interleaved with the baseline; the baseline holds the clients the handler evaluates at load.',
        'With a DynamoDB store, an on-failure queue or a target function, the first invocation loads that client ' +
          'and its code too (in the split build, its chunks).',
      ],
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
