import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { App, AssetStaging, Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { ExamplePipelineStack } from '../../bin/example-stack';
import { SDK_MODULES_UNUSED_IN_LAMBDA } from '../../lib/bundling';
import { STRICT_VALIDATION_CONTEXT, logicalId } from './helpers';

const ROOT = path.join(__dirname, '..', '..');
const STACK = 'ServerlessKinesisConnectorExample';

// The synth CI and users run: the CLI reads cdk.json, runs bin/app.ts through tsx and writes the
// cloud assembly, offline and with no credentials (the stack is environment-agnostic).
describe('npx cdk synth of the example app', () => {
  const outdir = mkdtempSync(path.join(tmpdir(), 'skc-synth-'));
  const env: NodeJS.ProcessEnv = Object.fromEntries(
    Object.entries(process.env).filter(
      ([name]) => !name.startsWith('AWS_') && name !== 'CDK_DEFAULT_ACCOUNT',
    ),
  );
  const result = spawnSync('npx', ['cdk', 'synth', '--quiet', '--no-notices', '--output', outdir], {
    cwd: ROOT,
    env: {
      ...env,
      AWS_EC2_METADATA_DISABLED: 'true',
      AWS_SHARED_CREDENTIALS_FILE: path.join(outdir, 'no-credentials'),
      AWS_CONFIG_FILE: path.join(outdir, 'no-config'),
      CDK_DISABLE_VERSION_CHECK: '1',
    },
    encoding: 'utf8',
    timeout: 120_000,
  });
  afterAll(() => rmSync(outdir, { recursive: true, force: true }));

  it('succeeds without credentials or network', () => {
    expect({ status: result.status, stderr: result.status === 0 ? '' : result.stderr }).toEqual({
      status: 0,
      stderr: '',
    });
  });

  it('writes an environment-agnostic stack with the whole pipeline in it', () => {
    const manifest = JSON.parse(readFileSync(path.join(outdir, 'manifest.json'), 'utf8'));
    expect(manifest.artifacts[STACK].environment).toBe('aws://unknown-account/unknown-region');
    const template = Template.fromJSON(
      JSON.parse(readFileSync(path.join(outdir, `${STACK}.template.json`), 'utf8')),
    );
    template.resourceCountIs('AWS::Kinesis::Stream', 1);
    // The producer, the at-least-once consumer and the exactly-once orders-per-minute consumer.
    template.resourceCountIs('AWS::Lambda::Function', 3);
    template.resourceCountIs('AWS::DynamoDB::Table', 3);
    template.allResourcesProperties('AWS::Lambda::Function', { Runtime: 'nodejs24.x' });
    template.resourceCountIs('AWS::SQS::Queue', 4);
    template.resourceCountIs('AWS::Lambda::EventSourceMapping', 1);
    template.resourceCountIs('AWS::Scheduler::Schedule', 2);
    template.resourceCountIs('AWS::CloudWatch::Dashboard', 1);
    // Each consumer's heartbeat (one subtask each) and throttles alarms among them.
    template.resourceCountIs('AWS::CloudWatch::Alarm', 13);
  });

  it('passes cdk-nag and the bundled CloudFormation validation with nothing reported', () => {
    const report = JSON.parse(readFileSync(path.join(outdir, 'validation-report.json'), 'utf8'));
    const violations = (report.pluginReports as { violations: unknown[] }[]).flatMap((r) => r.violations);
    expect(violations).toEqual([]);
  });

  it('bundles each function with esbuild into one file with the AWS SDK inside and no CDK code', () => {
    const assets = readdirSync(outdir).filter((name) => name.startsWith('asset.'));
    expect(assets).toHaveLength(3);
    for (const asset of assets) {
      const bundle = path.join(outdir, asset, 'index.js');
      expect(existsSync(bundle)).toBe(true);
      const code = readFileSync(bundle, 'utf8');
      expect(code).not.toMatch(/aws-cdk-lib/);
      // The Kinesis client is inside the bundle (its JSON protocol target prefix), not taken from the
      // runtime; the SDK modules left outside are the credential providers Lambda never reaches and the
      // optional CRT signer the SDK loads if present.
      expect(code).toContain('Kinesis_20131202');
      const external = new Set(
        [...code.matchAll(/(?:require|import)\("(@(?:aws-sdk|smithy)\/[^"]+)"\)/g)].map((m) => m[1]),
      );
      expect(external.size).toBeGreaterThan(0);
      for (const name of external) {
        expect([...SDK_MODULES_UNUSED_IN_LAMBDA, '@aws-sdk/signature-v4-crt']).toContain(name);
      }
    }
  });
});

describe("the example's producer", () => {
  it('ships its custom partitioner: the function runs the handler file the example gives', () => {
    const app = new App({ autoSynth: false, context: STRICT_VALIDATION_CONTEXT });
    const stack = new ExamplePipelineStack(app, 'ExampleRouting');
    const staging = stack.producer.function.node
      .findAll()
      .find((c): c is AssetStaging => c instanceof AssetStaging);
    const code = readFileSync(path.join(staging?.absoluteStagedPath ?? '', 'index.js'), 'utf8');
    // The partitioner's key prefix is in the bundle only when bin/order-producer.ts was bundled.
    expect(code).toContain('`order-${');
  });
});

describe('the example stack with alarm email', () => {
  // Bundling is skipped here: the synth above bundled and checked the same three functions, and these
  // tests read only the template.
  const app = new App({
    autoSynth: false,
    context: { ...STRICT_VALIDATION_CONTEXT, 'aws:cdk:bundling-stacks': [] },
  });
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  const stack = new ExamplePipelineStack(app, 'Example', { alarmEmail: 'ops@example.com' });
  const template = Template.fromStack(stack);
  const topic = Object.keys(template.findResources('AWS::SNS::Topic'))[0] as string;

  it('sends every alarm to an email topic encrypted with a key CloudWatch may use', () => {
    template.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'email',
      Endpoint: 'ops@example.com',
      TopicArn: { Ref: topic },
    });
    const alarms = Object.values(template.findResources('AWS::CloudWatch::Alarm'));
    expect(alarms).toHaveLength(13);
    for (const alarm of alarms) expect(alarm.Properties.AlarmActions).toEqual([{ Ref: topic }]);
    const keyId = Object.keys(template.findResources('AWS::KMS::Key'))[0] as string;
    template.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: { 'Fn::GetAtt': [keyId, 'Arn'] } });
    template.hasResourceProperties('AWS::KMS::Key', {
      EnableKeyRotation: true,
      KeyPolicy: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Action: ['kms:Decrypt', 'kms:GenerateDataKey'],
            Principal: { Service: 'cloudwatch.amazonaws.com' },
          }),
        ]),
      },
    });
  });

  it('outputs where to send messages and where failures wait', () => {
    const outputs = template.findOutputs('*');
    expect(outputs.ProducerQueueUrl?.Value).toEqual({ Ref: logicalId(stack.producer.queue) });
    expect(outputs.ProducerDeadLetterQueueUrl?.Value).toEqual({
      Ref: logicalId(stack.producer.deadLetterQueue),
    });
    expect(outputs.ConsumerOnFailureQueueUrl?.Value).toEqual({
      Ref: logicalId(stack.consumer.onFailureQueue),
    });
    expect(outputs.ConsumerCheckpointPath?.Value).toBe('/serverless-kinesis-connector/orders-consumer');
  });
});
