import { METRICS_NAMESPACE, type MetricUnit } from '../metrics';

// The consumer's custom metrics, named in one runtime module so that the handler publishes and the CDK
// constructs graph and alarm on the same names (lib/ may import these; functions/ never imports lib/).
// Names only: the engine returns its run summary and the Lambda edge (functions/consumer/metrics.ts)
// publishes it, so this module imports nothing of the engine.

export { METRICS_NAMESPACE };

/** The consumer handler's Powertools service name. */
export const CONSUMER_SERVICE = 'kinesis-consumer';

/** Dimensions of the consumer's metrics: every metric has ConsumerName; per-stream ones add StreamName. */
export const ConsumerMetricDimension = {
  CONSUMER_NAME: 'ConsumerName',
  STREAM_NAME: 'StreamName',
} as const;

/** What each invocation publishes, per stream unless noted. */
export const ConsumerMetricName = {
  /** User records read (after KPL deaggregation). */
  RECORDS_READ: 'RecordsRead',
  /** Bytes read (data and partition keys of the Kinesis records). */
  BYTES_READ: 'BytesRead',
  /** The greatest MillisBehindLatest of the stream's shards at their last read. */
  MILLIS_BEHIND_LATEST: 'MillisBehindLatest',
  /** Records the handler or target took. */
  RECORDS_DELIVERED: 'RecordsDelivered',
  /** Records given up on: failed to deserialize, or to deliver after the retries and bisection. */
  RECORDS_FAILED: 'RecordsFailed',
  /** Failed records stored in the on-failure queue (the shard moved past them). */
  RECORDS_SENT_TO_ON_FAILURE_QUEUE: 'RecordsSentToOnFailureQueue',
  /** Batches (or bisected parts) that kept failing after their retries. */
  DELIVERY_FAILURES: 'DeliveryFailures',
  /** GetRecords calls Kinesis throttled. */
  THROTTLED_CALLS: 'ThrottledCalls',
  /** Checkpoint store writes (per subtask, no StreamName). */
  CHECKPOINT_WRITES: 'CheckpointWrites',
} as const;

export type ConsumerMetricName = (typeof ConsumerMetricName)[keyof typeof ConsumerMetricName];

export type ConsumerMetricUnit = MetricUnit;

/** The unit each consumer metric is published in. */
export const CONSUMER_METRIC_UNITS: Readonly<Record<ConsumerMetricName, ConsumerMetricUnit>> = {
  RecordsRead: 'Count',
  BytesRead: 'Bytes',
  MillisBehindLatest: 'Milliseconds',
  RecordsDelivered: 'Count',
  RecordsFailed: 'Count',
  RecordsSentToOnFailureQueue: 'Count',
  DeliveryFailures: 'Count',
  ThrottledCalls: 'Count',
  CheckpointWrites: 'Count',
};
