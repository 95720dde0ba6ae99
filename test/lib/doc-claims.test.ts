import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { ExamplePipelineStack } from '../../bin/example-stack';

// The claims the docs make about what the constructs deploy (what survives the stack, how long logs
// are kept, how often a failed invocation is tried again), each read from the synthesized template of
// the example app, so a change to the constructs that makes a sentence false fails here.
const ROOT = path.join(__dirname, '..', '..');
const doc = (file: string) => readFileSync(path.join(ROOT, file), 'utf8').replace(/\s+/g, ' ');

// Bundling is skipped: only the template is read.
const app = new App({ autoSynth: false, context: { 'aws:cdk:bundling-stacks': [] } });
const template = Template.fromStack(new ExamplePipelineStack(app, 'Example'));
const resources = (type: string) =>
  Object.values(template.findResources(type)) as {
    DeletionPolicy?: string;
    Properties: Record<string, unknown>;
  }[];

/** CloudWatch Logs retention in days, as the docs write it. */
const RETENTION_WORDS: Record<number, string> = {
  1: 'one day',
  7: 'one week',
  14: 'two weeks',
  30: 'one month',
  90: 'three months',
  365: 'one year',
};

describe('what the docs say the example deploys is what it deploys', () => {
  it('retention: the stream goes with the stack, the log groups are retained, for their retention', () => {
    const streams = resources('AWS::Kinesis::Stream');
    const logGroups = resources('AWS::Logs::LogGroup');
    expect(streams.length).toBeGreaterThan(0);
    expect(logGroups.length).toBeGreaterThan(0);
    const streamsGo = streams.every((s) => s.DeletionPolicy === 'Delete');
    const logsStay = logGroups.every((g) => g.DeletionPolicy === 'Retain' || g.DeletionPolicy === undefined);
    const constructs = doc('docs/constructs.md');
    expect({ streamsGo, logsStay }).toEqual({ streamsGo: true, logsStay: true });
    expect(constructs).toContain('The stream goes with the stack when it is deleted');
    expect(constructs).toContain("the functions' log groups are retained");
    expect(constructs).not.toMatch(/log groups of the example go with the stack/);

    const days = [...new Set(logGroups.map((g) => g.Properties.RetentionInDays as number))];
    expect(days).toHaveLength(1);
    const words = RETENTION_WORDS[days[0] as number];
    expect(constructs).toContain(`(${words} by default, \`logRetention\`)`);
    expect(constructs).toContain(`(retention ${words} by default`);
  });

  it('retries: a failed schedule invocation is not retried, by the schedule or by Lambda', () => {
    const schedules = resources('AWS::Scheduler::Schedule');
    const invokeConfigs = resources('AWS::Lambda::EventInvokeConfig');
    expect(schedules.length).toBeGreaterThan(0);
    const scheduleRetries = schedules.map(
      (s) =>
        (s.Properties.Target as { RetryPolicy?: { MaximumRetryAttempts?: number } }).RetryPolicy
          ?.MaximumRetryAttempts,
    );
    const consumerConfigs = invokeConfigs.map((c) => c.Properties.MaximumRetryAttempts);
    expect({
      scheduleRetries: [...new Set(scheduleRetries)],
      asyncRetries: [...new Set(consumerConfigs)],
    }).toEqual({
      scheduleRetries: [0],
      asyncRetries: [0],
    });
    const operations = doc('docs/operations.md');
    expect(operations).toContain(
      "gives the schedule's target and the function's asynchronous invocation 0 retry attempts",
    );
    expect(doc('docs/constructs.md')).toContain(
      "the schedules and the function's asynchronous invoke configuration allow no retries",
    );
    for (const file of ['README.md', 'docs/operations.md', 'docs/consumer.md', 'docs/constructs.md']) {
      expect({ file, claim: /retries a failed (asynchronous|schedule)[^.]*twice/i.test(doc(file)) }).toEqual({
        file,
        claim: false,
      });
    }
  });
});
