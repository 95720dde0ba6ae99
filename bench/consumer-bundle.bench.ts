import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { consumerBundleDefine, type ConsumerBundleUse } from '../lib/bundling';
import {
  buildBundle,
  largestSources,
  pairedLoadTimes,
  type BuiltBundle,
  type PairedLoadTimes,
} from './bundle';
import type { BenchRow, BenchSection } from './harness';

/**
 * The consumer Lambda bundle (functions/consumer/handler.ts) as the KinesisConsumer construct builds it
 * for a deployment, against a bundle of the bare SDK clients that deployment uses, logger and metrics,
 * built the same way. The construct's define leaves every client the deployment does not use out of
 * the bundle, and the handler loads those it uses when the module loads, as the baseline does.
 */

const KB = 1000;
const BASE_ENV = {
  AWS_REGION: 'us-east-1',
  SKC_STREAMS: 'bench',
  POWERTOOLS_METRICS_DISABLED: 'true',
  SKC_CONSUMER_NAME: 'bench',
  SKC_CONSUMER_ONFAILURE_QUEUEURL: 'https://sqs.us-east-1.amazonaws.com/111122223333/bench-on-failure',
};

type Client = readonly [className: string, packageName: string];
const KINESIS: Client = ['KinesisClient', 'client-kinesis'];
const SSM: Client = ['SSMClient', 'client-ssm'];
const SQS: Client = ['SQSClient', 'client-sqs'];
const DYNAMODB: Client = ['DynamoDBClient', 'client-dynamodb'];
const LAMBDA: Client = ['LambdaClient', 'client-lambda'];

interface Variant {
  readonly name: string;
  readonly label: string;
  readonly use: ConsumerBundleUse;
  readonly clients: readonly Client[];
  /** The settings the construct writes for it, besides the name and the queue. */
  readonly env: Readonly<Record<string, string>>;
}

// The construct always has an on-failure queue: its own, or the one it is given. It deploys continuous
// mode by default, whose invocations start their successors with the Lambda client.
const DEFAULT: Variant = {
  name: 'default',
  label: 'continuous, in-process processor, SSM checkpoints, on-failure queue',
  use: { checkpointTable: false, onFailureQueue: true, target: false, continuous: true },
  clients: [KINESIS, SSM, SQS, LAMBDA],
  env: {},
};
const OTHERS: readonly Variant[] = [
  {
    name: 'target',
    label: 'continuous, target function, SSM checkpoints, on-failure queue',
    use: { checkpointTable: false, onFailureQueue: true, target: true, continuous: true },
    clients: [KINESIS, SSM, SQS, LAMBDA],
    env: { SKC_CONSUMER_TARGET_FUNCTION: 'bench-target' },
  },
  {
    name: 'dynamodb',
    label: 'continuous, in-process processor, DynamoDB checkpoints, on-failure queue',
    use: { checkpointTable: true, onFailureQueue: true, target: false, continuous: true },
    clients: [KINESIS, DYNAMODB, SQS, LAMBDA],
    env: {
      SKC_CONSUMER_CHECKPOINT_STORE: 'dynamodb',
      SKC_CONSUMER_CHECKPOINT_DYNAMODB_TABLE: 'bench-checkpoints',
    },
  },
];

function bare(clients: readonly Client[]): string {
  return [
    "import { Logger } from '@aws-lambda-powertools/logger';",
    "import { Metrics } from '@aws-lambda-powertools/metrics';",
    ...clients.map(([name, pkg]) => `import { ${name} } from '@aws-sdk/${pkg}';`),
    ...clients.map(([name], i) => `export const c${i} = new ${name}({ region: process.env.AWS_REGION });`),
    "export const logger = new Logger({ serviceName: 'baseline' });",
    "export const metrics = new Metrics({ namespace: 'baseline', serviceName: 'baseline' });",
  ].join('\n');
}

const ENTRY = { entry: 'functions/consumer/handler.ts' };

interface Measured {
  readonly handler: BuiltBundle;
  readonly baseline: BuiltBundle;
  readonly load: PairedLoadTimes;
}

async function measure(variant: Variant, dir: string): Promise<Measured> {
  const handler = await buildBundle(ENTRY, dir, `handler-${variant.name}`, {
    define: consumerBundleDefine(variant.use),
  });
  const baseline = await buildBundle({ contents: bare(variant.clients) }, dir, `bare-${variant.name}`);
  const load = pairedLoadTimes(handler.file, baseline.file, { ...BASE_ENV, ...variant.env });
  return { handler, baseline, load };
}

function bareLabel(variant: Variant): string {
  return `bare ${variant.clients.map(([name]) => name.replace(/Client$/, '')).join(' + ')} + logger + metrics`;
}

export async function run(): Promise<BenchSection> {
  const dir = mkdtempSync(join(tmpdir(), 'consumer-bundle-'));
  try {
    const main = await measure(DEFAULT, dir);
    const rows: BenchRow[] = [
      {
        label: `bundle: ${DEFAULT.label}`,
        value: main.handler.bytes / KB,
        unit: 'KB',
        anchor: { label: bareLabel(DEFAULT), value: main.baseline.bytes / KB },
        target: { maxValue: 500 },
      },
      {
        label: 'module load time',
        value: main.load.millis,
        unit: 'ms',
        anchor: { label: bareLabel(DEFAULT), value: main.load.baselineMillis },
      },
      {
        label: 'module load time ratio (median of pairs; also: CPU time)',
        value: main.load.ratio,
        unit: 'x',
        also: { value: main.load.cpuRatio, unit: 'x' },
        target: { maxValue: 1.2 },
      },
    ];
    const notes: string[] = [`Where the bytes go: ${largestSources(main.handler, 12)}.`];
    for (const variant of OTHERS) {
      const other = await measure(variant, dir);
      rows.push(
        {
          label: `bundle: ${variant.label}`,
          value: other.handler.bytes / KB,
          unit: 'KB',
          anchor: { label: bareLabel(variant), value: other.baseline.bytes / KB },
        },
        {
          label: `load time ratio: ${variant.name}`,
          value: other.load.ratio,
          unit: 'x',
          also: { value: other.load.cpuRatio, unit: 'x' },
        },
      );
    }
    const everyClient = await buildBundle(ENTRY, dir, 'handler-every-client');
    const everythingInside = await buildBundle(ENTRY, dir, 'handler-everything-inside', {
      define: consumerBundleDefine(DEFAULT.use),
      everythingInside: true,
    });
    rows.push(
      { label: 'bundle without the defines (every client)', value: everyClient.bytes / KB, unit: 'KB' },
      {
        label: `bundle: ${DEFAULT.name}, Lambda-unused credential providers inside`,
        value: everythingInside.bytes / KB,
        unit: 'KB',
      },
    );
    notes.push(
      'esbuild with the options of lib/bundling.ts (what the constructs pass to NodejsFunction): CommonJS, ' +
        'minified, target node24, main fields module,main, the SDK bundled but for the credential providers ' +
        'Lambda never reaches; the handler with the define the construct sets for the deployment. Load time ' +
        'is require() of the bundle in a fresh node process with the settings the construct ' +
        'sets, median of 31 runs interleaved with the baseline.',
      'Without the defines (tests, tsx, a bundler of your own) every client is bundled and loaded at start.',
    );
    return { title: 'Consumer: Lambda bundle', rows, notes };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
