// The published package, used as a user uses it: `npm pack` (which builds it), the tarball installed in
// a scratch copy of examples/orders-app, that example's CDK app synthesized with its own CDK CLI (the
// connector's functions and the user's processor bundled by esbuild), its TypeScript checked against
// the package's declarations, and handler modules that import `serverless-kinesis-connector/runtime`
// built. This proves what ships works, not just the repository.
import { spawn, spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { Template } from 'aws-cdk-lib/assertions';
import { scratchLockfile } from './scratch-lock';

const ROOT = path.join(__dirname, '..', '..');
const EXAMPLE = path.join(ROOT, 'examples', 'orders-app');
const PACKAGE = 'serverless-kinesis-connector';

interface PackedFile {
  readonly path: string;
}

// No AWS credentials, config or metadata service: synth must not need an account.
const USER_ENV: NodeJS.ProcessEnv = {
  ...Object.fromEntries(
    Object.entries(process.env).filter(([name]) => !name.startsWith('AWS_') && !name.startsWith('CDK_')),
  ),
  AWS_EC2_METADATA_DISABLED: 'true',
  AWS_SHARED_CREDENTIALS_FILE: '/nonexistent/credentials',
  AWS_CONFIG_FILE: '/nonexistent/config',
  CDK_DISABLE_VERSION_CHECK: '1',
  CDK_DISABLE_CLI_TELEMETRY: 'true',
  npm_config_audit: 'false',
  npm_config_fund: 'false',
  npm_config_update_notifier: 'false',
};

/** The AWS services whose SDK clients are in a bundle, by their schema namespaces. */
function services(code: string | undefined): string[] {
  return [
    ...new Set([...(code ?? '').matchAll(/"com\.amazonaws\.([a-z0-9]+)/g)].map((m) => m[1] as string)),
  ].sort();
}

function run(
  command: string,
  args: readonly string[],
  cwd: string,
  env = USER_ENV,
): SpawnSyncReturns<string> {
  const result = spawnSync(command, args, { cwd, env, encoding: 'utf8', timeout: 240_000 });
  if (result.status !== 0) {
    throw new Error(
      `${command} ${args.join(' ')} in ${cwd} exited with ${result.status ?? result.signal}:\n` +
        `${result.stdout}\n${result.stderr}`,
    );
  }
  return result;
}

/** The same, without waiting: for a check that can run beside the others on a second core. */
function runInBackground(command: string, args: readonly string[], cwd: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, env: USER_ENV, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0
        ? resolve(output)
        : reject(new Error(`${command} ${args.join(' ')} exited with ${code}:\n${output}`)),
    );
  });
}

describe('the packed package, installed and used as a user would', () => {
  const temp = mkdtempSync(path.join(tmpdir(), 'skc-pack-'));
  const app = path.join(temp, 'orders-app');
  const bin = (name: string) => path.join(app, 'node_modules', '.bin', name);
  let packed: PackedFile[] = [];
  let tarball = '';
  let typecheck: Promise<string> | undefined;

  beforeAll(() => {
    // npm pack runs prepack, which builds dist/ from a clean slate.
    const out = run('npm', ['pack', '--json', '--pack-destination', temp], ROOT, process.env).stdout;
    const [report] = JSON.parse(out.slice(out.indexOf('['))) as { filename: string; files: PackedFile[] }[];
    packed = report?.files ?? [];
    tarball = report?.filename ?? '';

    // The example as a user has it, with its dependency on the package pointed at the tarball.
    cpSync(EXAMPLE, app, {
      recursive: true,
      filter: (source) => !/[\\/](node_modules|cdk\.out)$/.test(source),
    });
    cpSync(path.join(temp, tarball), path.join(app, tarball));
    const project = JSON.parse(readFileSync(path.join(app, 'package.json'), 'utf8'));
    project.dependencies[PACKAGE] = `file:${tarball}`;
    writeFileSync(path.join(app, 'package.json'), JSON.stringify(project, null, 2));
    // What npm packed is the repository's package.json.
    const manifest = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
    const lock = scratchLockfile({
      repositoryLockfile: path.join(ROOT, 'package-lock.json'),
      scratchDir: app,
      tarballName: tarball,
      manifest,
      project,
    });
    writeFileSync(path.join(app, 'package-lock.json'), JSON.stringify(lock, null, 2));
    run('npm', ['ci', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error'], app);
    // The type check runs while the synth does.
    typecheck = runInBackground(bin('tsc'), ['--noEmit', '-p', '.'], app);
    typecheck.catch(() => undefined);
  }, 300_000);

  afterAll(async () => {
    await typecheck?.catch(() => undefined);
    rmSync(temp, { recursive: true, force: true });
  }, 120_000);

  it('ships the build, the functions for bundling, the CLI, README and CHANGELOG, and nothing else', () => {
    const files = packed.map((f) => f.path);
    expect(files).toEqual(
      expect.arrayContaining([
        'dist/lib/index.js',
        'dist/lib/index.d.ts',
        'dist/functions/index.js',
        'dist/functions/index.d.ts',
        'dist/bin/cli.js',
        'functions/consumer/handler.ts',
        'functions/producer/handler.ts',
        'README.md',
        'CHANGELOG.md',
        'package.json',
      ]),
    );
    const tops = new Set(
      files.map((f) =>
        f
          .split('/')
          .slice(0, f.startsWith('dist/') ? 2 : 1)
          .join('/'),
      ),
    );
    expect([...tops].sort()).toEqual([
      'CHANGELOG.md',
      'README.md',
      'dist/bin',
      'dist/cli',
      'dist/functions',
      'dist/lib',
      'functions',
      'package.json',
    ]);
    expect(files.filter((f) => f.startsWith('dist/bin/'))).toEqual(
      expect.arrayContaining(['dist/bin/cli.js']),
    );
    expect(files.filter((f) => /^dist\/bin\/(?!cli\.)/.test(f))).toEqual([]);
  });

  it("synthesizes the example's stack with its CDK CLI, every function bundled", () => {
    run(bin('cdk'), ['synth', '--quiet', '--no-notices', '--output', 'cdk.out'], app);
    const out = path.join(app, 'cdk.out');
    const template = Template.fromJSON(
      JSON.parse(readFileSync(path.join(out, 'OrdersApp.template.json'), 'utf8')),
    );
    template.resourceCountIs('AWS::Kinesis::Stream', 2);
    template.resourceCountIs('AWS::Lambda::Function', 2);
    template.resourceCountIs('AWS::Scheduler::Schedule', 1);
    template.resourceCountIs('AWS::CloudWatch::Dashboard', 1);
    const bundles = readdirSync(out)
      .filter((name) => name.startsWith('asset.'))
      .map((asset) => readFileSync(path.join(out, asset, 'index.js'), 'utf8'));
    expect(bundles).toHaveLength(2);
    // The consumer runs the example's processor, which imports the runtime: bundled from the shipped
    // sources (the constructs' source condition), it holds the clients of its deployment (Kinesis,
    // SSM checkpoints, the SQS on-failure queue, Lambda for continuous mode's successor invokes) and not
    // DynamoDB's; the producer the Kinesis and SQS clients.
    const consumer = bundles.find((code) => code.includes('orders:'));
    const producer = bundles.find((code) => !code.includes('orders:'));
    expect(services(consumer)).toEqual(['kinesis', 'lambda', 'sqs', 'ssm']);
    expect(services(producer)).toEqual(['kinesis', 'sqs']);
    for (const code of bundles) expect(code).not.toMatch(/aws-cdk-lib/);
  });

  it("type-checks the example against the package's declarations", async () => {
    await expect(typecheck).resolves.toBe('');
  }, 240_000);

  it('builds handlers from serverless-kinesis-connector/runtime: the consumer and a routed producer', () => {
    // Each loads its settings from the environment when its module loads, and each refuses the other's
    // settings, so the consumer's go before it loads and are gone before the producer loads.
    const script = [
      "const runtime = require('serverless-kinesis-connector/runtime');",
      "process.env.SKC_STREAMS = 'eu-orders';",
      "const consumer = require('./src/order-processor.ts');",
      'delete process.env.SKC_STREAMS;',
      "const producer = require('./src/routed-producer.ts');",
      'console.log(JSON.stringify({',
      '  consumer: typeof consumer.handler, producer: typeof producer.handler,',
      '  factories: [typeof runtime.createConsumerHandler, typeof runtime.createProducerHandler],',
      '}));',
    ].join('\n');
    const env = { ...USER_ENV, AWS_REGION: 'eu-west-1', EU_STREAM: 'eu-orders', US_STREAM: 'us-orders' };
    const out = run(bin('tsx'), ['-e', script], app, env).stdout.trim().split('\n').pop() ?? '';
    expect(JSON.parse(out)).toEqual({
      consumer: 'function',
      producer: 'function',
      factories: ['function', 'function'],
    });
  });

  it('installs the skc CLI, which runs and knows its version', () => {
    const out = run(bin('skc'), ['--version'], app).stdout.trim();
    expect(out).toBe(JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')).version);
  });
});
