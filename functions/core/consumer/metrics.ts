import { METRICS_NAMESPACE, type MetricUnit } from '../metrics';
import type { RunSummary } from './engine';

// The consumer's custom metrics, named in one runtime module so that the handler publishes and the CDK
// constructs graph and alarm on the same names (lib/ may import these; functions/ never imports lib/).

export { METRICS_NAMESPACE };

/** The consumer handler's Powertools service name. */
export const CONSUMER_SERVICE = 'kinesis-consumer';

/** Dimensions of the consumer's metrics: every metric has ConsumerName; per-stream ones add StreamName. */
export const ConsumerMetricDimension = {
  CONSUMER_NAME: 'ConsumerName',
  STREAM_NAME: 'StreamName',
  /** The subtask index, on the heartbeat only. */
  SUBTASK: 'Subtask',
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
  /**
   * 1 while a subtask has a reader holding its lease, published as it happens (at most every 20 s per
   * subtask), with dimension Subtask and no StreamName: its absence is what the heartbeat alarm sees.
   */
  HEARTBEAT: 'Heartbeat',
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
  Heartbeat: 'Count',
};

/** Where an invocation's figures go: Powertools Metrics in the handler, a list in tests. */
export interface ConsumerMetricsSink {
  /** One figure of one run; `stream` is undefined for a subtask-wide figure. */
  put(name: ConsumerMetricName, value: number, unit: ConsumerMetricUnit, stream?: string): void;
  /**
   * The subtask has a reader that holds its lease: publish the Heartbeat now (not at the run's end, which
   * may be 15 minutes away), at most once per HEARTBEAT_METRIC_INTERVAL_MILLIS.
   */
  beat?(subtaskIndex: number): void;
}

/** Puts one run's figures into the sink: sums per stream, and the stream's greatest MillisBehindLatest. */
export function putRunMetrics(summary: RunSummary, sink: ConsumerMetricsSink): void {
  const streams = new Map<string, RunSummary['shards'][number][]>();
  for (const shard of summary.shards) {
    const list = streams.get(shard.stream) ?? [];
    list.push(shard);
    streams.set(shard.stream, list);
  }
  const N = ConsumerMetricName;
  for (const [stream, shards] of streams) {
    const put = (name: ConsumerMetricName, value: number) =>
      sink.put(name, value, CONSUMER_METRIC_UNITS[name], stream);
    const sum = (pick: (s: RunSummary['shards'][number]) => number | undefined) =>
      shards.reduce((n, s) => n + (pick(s) ?? 0), 0);
    put(
      N.RECORDS_READ,
      sum((s) => s.userRecords),
    );
    put(
      N.BYTES_READ,
      sum((s) => s.bytesRead),
    );
    const behind = shards.map((s) => s.millisBehindLatest).filter((m): m is number => m !== undefined);
    if (behind.length) put(N.MILLIS_BEHIND_LATEST, Math.max(...behind));
    put(
      N.RECORDS_DELIVERED,
      sum((s) => s.recordsDelivered),
    );
    put(
      N.RECORDS_FAILED,
      sum((s) => s.recordsFailed),
    );
    put(
      N.RECORDS_SENT_TO_ON_FAILURE_QUEUE,
      sum((s) => s.recordsSentToOnFailure),
    );
    put(
      N.DELIVERY_FAILURES,
      sum((s) => s.failedBatches),
    );
    put(
      N.THROTTLED_CALLS,
      sum((s) => s.throttledCalls),
    );
  }
  sink.put(N.CHECKPOINT_WRITES, summary.checkpointWrites, CONSUMER_METRIC_UNITS[N.CHECKPOINT_WRITES]);
}
