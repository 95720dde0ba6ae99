import { Metrics } from '@aws-lambda-powertools/metrics';
import type { RunSummary } from '../core/consumer/engine';
import {
  CONSUMER_METRIC_UNITS,
  CONSUMER_SERVICE,
  ConsumerMetricDimension,
  ConsumerMetricName,
  METRICS_NAMESPACE,
  type ConsumerMetricUnit,
} from '../core/consumer/metrics';

// The consumer's Lambda edge publishes what the engine returns: the run summary becomes one figure per
// metric and stream, and Powertools Metrics writes them to the function's log (embedded metric format).

/** Where an invocation's figures go: Powertools Metrics in the handler, a list in tests. */
export interface ConsumerMetricsSink {
  /** One figure of one run; `stream` is undefined for a subtask-wide figure. */
  put(name: ConsumerMetricName, value: number, unit: ConsumerMetricUnit, stream?: string): void;
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

/**
 * Collects one invocation's figures and publishes them through Powertools Metrics (embedded metric
 * format in the function's log): one metric set per stream, with the StreamName dimension, and one
 * without it for subtask-wide figures. The consumer name is a default dimension of `metrics`.
 */
export class PowertoolsMetricsSink implements ConsumerMetricsSink {
  private entries: { name: ConsumerMetricName; value: number; unit: ConsumerMetricUnit; stream?: string }[] =
    [];

  constructor(
    private readonly metrics: Pick<Metrics, 'addDimension' | 'addMetric' | 'publishStoredMetrics'>,
  ) {}

  put(name: ConsumerMetricName, value: number, unit: ConsumerMetricUnit, stream?: string): void {
    this.entries.push({ name, value, unit, ...(stream !== undefined ? { stream } : {}) });
  }

  /** Publishes and forgets what was put since the last publish. */
  publish(): void {
    const byStream = new Map<string | undefined, typeof this.entries>();
    for (const entry of this.entries) {
      const list = byStream.get(entry.stream) ?? [];
      list.push(entry);
      byStream.set(entry.stream, list);
    }
    this.entries = [];
    for (const [stream, entries] of byStream) {
      if (stream !== undefined) this.metrics.addDimension(ConsumerMetricDimension.STREAM_NAME, stream);
      for (const e of entries)
        this.metrics.addMetric(e.name, e.unit as Parameters<Metrics['addMetric']>[1], e.value);
      this.metrics.publishStoredMetrics();
    }
  }
}

/** The Powertools Metrics the consumer handler publishes through: one series set per consumer name. */
export function consumerPowertoolsMetrics(consumerName: string): Metrics {
  return new Metrics({
    namespace: METRICS_NAMESPACE,
    serviceName: CONSUMER_SERVICE,
    defaultDimensions: { [ConsumerMetricDimension.CONSUMER_NAME]: consumerName },
  });
}
