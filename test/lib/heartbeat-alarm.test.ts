import * as path from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as kinesis from 'aws-cdk-lib/aws-kinesis';
import type { SubtaskLease } from '../../functions/core/checkpoints/checkpoint-store';
import { PowertoolsMetricsSink } from '../../functions/consumer/metrics';
import { FakeClock, seededRandom } from '../../functions/core/time/clock';
import { KinesisConsumer } from '../../lib';
import { FakeKinesis, stringEngine } from '../core/consumer/helpers';

// The heartbeat alarm as synthesized, evaluated the way CloudWatch evaluates it (one datapoint per
// period, the last EvaluationPeriods of them, missing data treated as the alarm says) against the
// Heartbeat datapoints a reader publishes, through the handler's own metrics sink and its throttle.

interface AlarmDefinition {
  readonly Period: number;
  readonly EvaluationPeriods: number;
  readonly DatapointsToAlarm?: number;
  readonly Threshold: number;
  readonly ComparisonOperator: string;
  readonly TreatMissingData: string;
  readonly Statistic: string;
}

/** CloudWatch's state for `alarm` at `now`, given the epoch-ms times of datapoints of value 1. */
function evaluate(alarm: AlarmDefinition, datapoints: readonly number[], now: number): 'ALARM' | 'OK' {
  expect(alarm.Statistic).toBe('Sum');
  const period = alarm.Period * 1000;
  const latest = Math.floor(now / period) * period;
  const needed = alarm.DatapointsToAlarm ?? alarm.EvaluationPeriods;
  let breaching = 0;
  for (let i = 1; i <= alarm.EvaluationPeriods; i++) {
    const from = latest - i * period;
    const inPeriod = datapoints.filter((t) => t >= from && t < from + period);
    if (inPeriod.length === 0) {
      if (alarm.TreatMissingData === 'breaching') breaching++;
      continue;
    }
    const sum = inPeriod.length;
    const breaches =
      alarm.ComparisonOperator === 'LessThanThreshold' ? sum < alarm.Threshold : sum >= alarm.Threshold;
    if (breaches) breaching++;
  }
  return breaching >= needed ? 'ALARM' : 'OK';
}

function heartbeatAlarm(enabled: boolean): { alarm: AlarmDefinition; scheduleState: string } {
  const app = new App({ autoSynth: false, context: { 'aws:cdk:bundling-stacks': [] } });
  const stack = new Stack(app, 'Stack', { env: { account: '111122223333', region: 'eu-west-1' } });
  new KinesisConsumer(stack, 'Consumer', {
    consumerName: 'orders',
    streams: [kinesis.Stream.fromStreamArn(stack, 'S', 'arn:aws:kinesis:eu-west-1:111122223333:stream/s')],
    handlerEntry: path.join(__dirname, 'fixtures', 'processor.ts'),
    enabled,
  });
  const template = Template.fromStack(stack);
  const alarms = Object.values(template.findResources('AWS::CloudWatch::Alarm')).filter(
    (a) => (a.Properties as { MetricName?: string }).MetricName === 'Heartbeat',
  );
  expect(alarms).toHaveLength(1);
  const schedules = Object.values(template.findResources('AWS::Scheduler::Schedule'));
  return {
    alarm: (alarms[0] as { Properties: AlarmDefinition }).Properties,
    scheduleState: (schedules[0] as { Properties: { State: string } }).Properties.State,
  };
}

/** Heartbeats of one reader that holds subtask 0 for `millis`, as the handler's sink publishes them. */
async function readerHeartbeats(clock: FakeClock, millis: number): Promise<number[]> {
  const beats: number[] = [];
  const sink = new PowertoolsMetricsSink(
    {
      addDimension: () => undefined as never,
      addMetric: () => undefined as never,
      publishStoredMetrics: () => undefined as never,
      singleMetric: () =>
        ({
          addDimension: () => undefined,
          addMetric: (name: string) => {
            if (name === 'Heartbeat') beats.push(clock.now());
          },
        }) as never,
    },
    () => clock.now(),
  );
  const kinesisApi = new FakeKinesis(clock);
  kinesisApi.addRecords('shardId-000000000000', 0);
  const lease: SubtaskLease = {
    acquire: async () => undefined,
    isHeld: async () => true,
    release: async () => undefined,
    renew: async () => true,
  };
  const engine = stringEngine(
    {
      kinesis: kinesisApi,
      lease: () => lease,
      clock,
      random: seededRandom(1),
      onHeartbeat: (subtaskIndex) => sink.beat(subtaskIndex),
    },
    { streams: ['s'], handler: () => undefined, leaseExpiryMillis: 20_000 },
  );
  const summary = await engine.run({ subtaskIndex: 0, parallelism: 1, deadline: clock.now() + millis });
  expect(summary.stoppedBy).toBe('deadline');
  return beats;
}

describe('the heartbeat alarm, evaluated against what readers publish', () => {
  it('fires when the schedule is disabled: no invocation, no heartbeat, missing data breaching', () => {
    const { alarm, scheduleState } = heartbeatAlarm(false);
    expect(scheduleState).toBe('DISABLED');
    // A disabled schedule starts no invocation, so no reader publishes anything for subtask 0.
    const now = Date.UTC(2026, 0, 1, 12, 0, 30);
    expect(evaluate(alarm, [], now)).toBe('ALARM');
  });

  it('stays OK while a reader holds the subtask, and fires 3 minutes after the last one stopped', async () => {
    const { alarm, scheduleState } = heartbeatAlarm(true);
    expect(scheduleState).toBe('ENABLED');
    const clock = new FakeClock(Date.UTC(2026, 0, 1, 12, 0, 0), { autoAdvance: true });
    const beats = await readerHeartbeats(clock, 5 * 60_000);
    // At most one every 20 s, at a renewal (every third of the 20 s expiry): two or three a minute.
    expect(beats.length).toBeGreaterThanOrEqual(10);
    expect(evaluate(alarm, beats, clock.now())).toBe('OK');
    expect(evaluate(alarm, beats, clock.now() + 2 * 60_000)).toBe('OK');
    expect(evaluate(alarm, beats, clock.now() + 4 * 60_000)).toBe('ALARM');
  });
});
