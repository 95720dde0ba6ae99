import type { MetricUnit } from '../metrics';

// The producer's custom metrics, named here once for the handler and the CDK constructs. Names only:
// the Lambda edge (functions/producer/metrics.ts) publishes them through Powertools Metrics.

/** The producer handler's Powertools service name (the `service` dimension of its metrics). */
export const PRODUCER_SERVICE = 'kinesis-producer';

/** Dimensions of the producer's metrics besides `service`. */
export const ProducerMetricDimension = {
  /** The producer's name (producer.name), so producers in one account and region stay apart. */
  PRODUCER_NAME: 'ProducerName',
  /** The stream, on the per-stream series of `ThrottledEntries`. */
  STREAM_NAME: 'StreamName',
} as const;

/** What each batch publishes. */
export const ProducerMetricName = {
  /** Messages received from the queue. */
  USER_RECORDS_RECEIVED: 'UserRecordsReceived',
  /** User records written to Kinesis (inside aggregated records or alone). */
  USER_RECORDS_PUT: 'UserRecordsPut',
  /** Kinesis records written (an aggregated record counts once). */
  KINESIS_RECORDS_PUT: 'KinesisRecordsPut',
  /** Aggregated Kinesis records written. */
  AGGREGATED_RECORDS_PUT: 'AggregatedRecordsPut',
  /** PutRecords calls made. */
  PUT_RECORDS_CALLS: 'PutRecordsCalls',
  /** PutRecords entries Kinesis rejected, for any reason. */
  FAILED_ENTRIES: 'FailedEntries',
  /**
   * PutRecords entries Kinesis rejected for throughput (each is retried); also published per stream,
   * with the StreamName dimension, for each stream that saw any.
   */
  THROTTLED_ENTRIES: 'ThrottledEntries',
  /** Retried PutRecords attempts. */
  RETRIES: 'Retries',
  /** Records put to a shard other than the one the shard map predicted. */
  WRONG_SHARD_PUTS: 'WrongShardPuts',
  /** Records whose RecordTtl ran out before they were put. */
  EXPIRED_RECORDS: 'ExpiredRecords',
  /** Malformed messages sent straight to the dead-letter queue. */
  DEAD_LETTERED: 'DeadLettered',
  /** Messages reported back to SQS as batch item failures. */
  BATCH_ITEM_FAILURES: 'BatchItemFailures',
  /** Bytes written (data and partition keys). */
  BYTES_PUT: 'BytesPut',
  /** Mean time a user record waited in the producer before its put, per batch. */
  BUFFERED_TIME_AVERAGE: 'BufferedTimeAverage',
  /** Longest time a user record waited in the producer before its put, per batch. */
  BUFFERED_TIME_MAXIMUM: 'BufferedTimeMaximum',
} as const;

export type ProducerMetricName = (typeof ProducerMetricName)[keyof typeof ProducerMetricName];

/** The unit each producer metric is published in. */
export const PRODUCER_METRIC_UNITS: Readonly<Record<ProducerMetricName, MetricUnit>> = {
  UserRecordsReceived: 'Count',
  UserRecordsPut: 'Count',
  KinesisRecordsPut: 'Count',
  AggregatedRecordsPut: 'Count',
  PutRecordsCalls: 'Count',
  FailedEntries: 'Count',
  ThrottledEntries: 'Count',
  Retries: 'Count',
  WrongShardPuts: 'Count',
  ExpiredRecords: 'Count',
  DeadLettered: 'Count',
  BatchItemFailures: 'Count',
  BytesPut: 'Bytes',
  BufferedTimeAverage: 'Milliseconds',
  BufferedTimeMaximum: 'Milliseconds',
};
