import type { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';

/** One alarm a construct creates: what it watches and when it fires. */
export interface AlarmDefinition {
  readonly id: string;
  readonly metric: cloudwatch.IMetric;
  readonly threshold: number;
  readonly description: string;
  /** @default 1 */
  readonly evaluationPeriods?: number;
  /** @default GREATER_THAN_OR_EQUAL_TO_THRESHOLD */
  readonly comparisonOperator?: cloudwatch.ComparisonOperator;
  /** @default NOT_BREACHING: no data means nothing happened (no errors, an empty queue). */
  readonly treatMissingData?: cloudwatch.TreatMissingData;
}

/** Creates an alarm and points its alarm and OK actions at `action` when one is given. */
export function createAlarm(
  scope: Construct,
  definition: AlarmDefinition,
  action: cloudwatch.IAlarmAction | undefined,
): cloudwatch.Alarm {
  const alarm = new cloudwatch.Alarm(scope, definition.id, {
    metric: definition.metric,
    threshold: definition.threshold,
    evaluationPeriods: definition.evaluationPeriods ?? 1,
    comparisonOperator:
      definition.comparisonOperator ?? cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
    treatMissingData: definition.treatMissingData ?? cloudwatch.TreatMissingData.NOT_BREACHING,
    alarmDescription: definition.description,
  });
  if (action) {
    alarm.addAlarmAction(action);
    alarm.addOkAction(action);
  }
  return alarm;
}

/** Messages waiting in a queue (the maximum over one minute), the signal of a dead-letter queue. */
export function queueDepthMetric(queue: sqs.IQueue, period?: Duration): cloudwatch.Metric {
  return queue.metricApproximateNumberOfMessagesVisible({ statistic: 'Maximum', period });
}
