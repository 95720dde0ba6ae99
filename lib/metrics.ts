import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';

// The custom metrics the runtime publishes (Powertools Metrics, embedded metric format), named in
// one place so the alarms and dashboards here can be aligned with the runtime in one edit.

/** CloudWatch namespace of every metric the runtime publishes (the producer handler's default). */
export const METRICS_NAMESPACE = 'ServerlessKinesisConnector';

/** Dimension names of the runtime's metrics. */
export const MetricDimension = {
  /** Powertools' default dimension: the handler's service name. */
  SERVICE: 'service',
  CONSUMER_NAME: 'ConsumerName',
  STREAM_NAME: 'StreamName',
} as const;

/**
 * The service name the producer handler publishes under. It is fixed in the handler, so the metrics
 * of every producer in an account and region add up in one series.
 */
export const PRODUCER_SERVICE = 'kinesis-producer';

/**
 * Metrics the consumer publishes, each with dimensions ConsumerName and StreamName (the runtime names
 * them in functions/core/consumer/metrics.ts, ConsumerMetricName, which also has a few more).
 */
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

/** Metrics the producer publishes per batch (Count), with the dimension service = PRODUCER_SERVICE. */
export const ProducerMetricName = {
  /** Messages received from the queue. */
  USER_RECORDS_RECEIVED: 'UserRecordsReceived',
  /** User records written to Kinesis (inside aggregated records or alone). */
  USER_RECORDS_PUT: 'UserRecordsPut',
  /** PutRecords entries Kinesis rejected for throughput (each is retried). */
  THROTTLED_ENTRIES: 'ThrottledEntries',
  /** Records whose RecordTtl ran out before they were put. */
  EXPIRED_RECORDS: 'ExpiredRecords',
  /** Malformed messages sent straight to the dead-letter queue. */
  DEAD_LETTERED: 'DeadLettered',
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
