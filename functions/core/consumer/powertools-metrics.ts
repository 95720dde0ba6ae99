import { Metrics } from '@aws-lambda-powertools/metrics';
import { HEARTBEAT_METRIC_INTERVAL_MILLIS } from './handover';
import {
  CONSUMER_SERVICE,
  ConsumerMetricDimension,
  ConsumerMetricName,
  METRICS_NAMESPACE,
  type ConsumerMetricsSink,
  type ConsumerMetricUnit,
} from './metrics';

/**
 * Collects one invocation's figures and publishes them through Powertools Metrics (embedded metric
 * format in the function's log): one metric set per stream, with the StreamName dimension, and one
 * without it for subtask-wide figures. The consumer name is a default dimension of `metrics`.
 */
export class PowertoolsMetricsSink implements ConsumerMetricsSink {
  private entries: { name: ConsumerMetricName; value: number; unit: ConsumerMetricUnit; stream?: string }[] =
    [];

  private readonly lastBeat = new Map<number, number>();

  constructor(
    private readonly metrics: Pick<Metrics, 'addDimension' | 'addMetric' | 'publishStoredMetrics'> &
      Partial<Pick<Metrics, 'singleMetric'>>,
    private readonly now: () => number = Date.now,
  ) {}

  /** Publishes the subtask's Heartbeat at once, as its own metric set, at most once per interval. */
  beat(subtaskIndex: number): void {
    const now = this.now();
    const last = this.lastBeat.get(subtaskIndex);
    if (!this.metrics.singleMetric || (last !== undefined && now - last < HEARTBEAT_METRIC_INTERVAL_MILLIS))
      return;
    this.lastBeat.set(subtaskIndex, now);
    const single = this.metrics.singleMetric();
    single.addDimension(ConsumerMetricDimension.SUBTASK, String(subtaskIndex));
    single.addMetric(ConsumerMetricName.HEARTBEAT, 'Count', 1);
  }

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
