import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';

// The custom metrics the runtime publishes (Powertools Metrics, embedded metric format), named in
// one place so the alarms and dashboards here can be aligned with the runtime in one edit.

/** CloudWatch namespace of every metric the runtime publishes. */
export const METRICS_NAMESPACE = 'ServerlessKinesisConnector';

/** Dimension names of the runtime's metrics. */
export const MetricDimension = {
  CONSUMER_NAME: 'ConsumerName',
  PRODUCER_NAME: 'ProducerName',
  STREAM_NAME: 'StreamName',
} as const;

/** Metrics the consumer publishes, each with dimensions ConsumerName and StreamName. */
export const ConsumerMetricName = {
  /** How far behind the tip of the stream the last read was, in milliseconds (GetRecords' MillisBehindLatest). */
  MILLIS_BEHIND_LATEST: 'MillisBehindLatest',
  /** Records read from the stream (after deaggregation). */
  RECORDS_READ: 'RecordsRead',
  /** Records delivered to the processor. */
  RECORDS_DELIVERED: 'RecordsDelivered',
  /** Batches that failed delivery after every retry (sent to the on-failure queue). */
  DELIVERY_FAILURES: 'DeliveryFailures',
} as const;

/** Metrics the producer publishes, each with dimensions ProducerName and StreamName. */
export const ProducerMetricName = {
  /** Records written to the stream. */
  RECORDS_PUT: 'RecordsPut',
  /** Records Kinesis rejected for throughput, before retries. */
  RECORDS_THROTTLED: 'RecordsThrottled',
} as const;

/** A runtime metric for one consumer or producer on one stream. */
export function runtimeMetric(
  metricName: string,
  dimensions: Record<string, string>,
  props: cloudwatch.MetricOptions = {},
): cloudwatch.Metric {
  return new cloudwatch.Metric({
    namespace: METRICS_NAMESPACE,
    metricName,
    dimensionsMap: dimensions,
    period: Duration.minutes(1),
    ...props,
  });
}
