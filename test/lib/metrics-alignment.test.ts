import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as kinesis from 'aws-cdk-lib/aws-kinesis';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import type { RunSummary, ShardRunSummary } from '../../functions/core/consumer/engine';
import {
  consumerPowertoolsMetrics,
  PowertoolsMetricsSink,
  putRunMetrics,
} from '../../functions/consumer/metrics';
import { producerPowertoolsMetrics } from '../../functions/producer/metrics';
import type { ProcessResult } from '../../functions/core/producer/producer';
import { recordMetrics } from '../../functions/producer/sqs-adapter';
import {
  CONSUMER_METRIC_UNITS,
  ConnectorDashboard,
  KinesisConsumer,
  KinesisProducer,
  METRICS_NAMESPACE,
  PRODUCER_METRIC_UNITS,
} from '../../lib';
import { usePowertoolsMetrics } from '../support/powertools-metrics';

usePowertoolsMetrics();

// Every custom metric the constructs chart or alarm on must be a series the handlers really publish:
// the same namespace, metric name and full dimension set (Powertools' `service` included), and the
// same unit where the construct names one. The runtime side is read from the EMF documents that the
// handlers' own Powertools set-ups print.

/** One CloudWatch series: namespace, name, and every dimension with its value. */
interface Series {
  readonly namespace: string;
  readonly name: string;
  readonly dimensions: Readonly<Record<string, string>>;
  readonly unit?: string;
}

const key = (s: Series) =>
  `${s.namespace} ${s.name} ${Object.entries(s.dimensions)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, v]) => `${k}=${v}`)
    .join(',')}`;

interface EmfDocument {
  _aws: {
    CloudWatchMetrics: {
      Namespace: string;
      Dimensions: string[][];
      Metrics: { Name: string; Unit: string }[];
    }[];
  };
  [field: string]: unknown;
}

/** The series in the EMF documents that `publish` prints. */
function emitted(publish: () => void): Series[] {
  const lines: string[] = [];
  const write = jest.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
    lines.push(String(chunk));
    return true;
  });
  try {
    publish();
  } finally {
    write.mockRestore();
  }
  const documents = lines
    .join('')
    .split('\n')
    .filter((line) => line.includes('"_aws"'))
    .map((line) => JSON.parse(line) as EmfDocument);
  return documents.flatMap((doc) =>
    doc._aws.CloudWatchMetrics.flatMap((directive) =>
      directive.Dimensions.flatMap((set) =>
        directive.Metrics.map((metric) => ({
          namespace: directive.Namespace,
          name: metric.Name,
          dimensions: Object.fromEntries(set.map((d) => [d, String(doc[d])])),
          unit: metric.Unit,
        })),
      ),
    ),
  );
}

function shard(stream: string, shardId: string): ShardRunSummary {
  return {
    stream,
    shardId,
    status: 'stopped',
    recordsDelivered: 3,
    recordsFailed: 1,
    recordsSentToOnFailure: 1,
    failedBatches: 1,
    handlerCalls: 2,
    userRecords: 4,
    bytesRead: 400,
    millisBehindLatest: 10,
    throttledCalls: 1,
  };
}

const run: RunSummary = {
  subtaskIndex: 0,
  parallelism: 1,
  startedAt: 0,
  endedAt: 1,
  stoppedBy: 'deadline',
  recordsDelivered: 6,
  recordsFailed: 2,
  recordsSentToOnFailure: 2,
  batchesDelivered: 4,
  checkpointWrites: 2,
  shards: [shard('orders', 'shardId-000000000000'), shard('audit', 'shardId-000000000000')],
};

const batch: ProcessResult = {
  failures: ['m-3'],
  failed: [{ messageId: 'm-3', kind: 'throttled', reason: 'throttled' }],
  deadLettered: [],
  written: 2,
  stats: {
    messages: 3,
    invalidMessages: 0,
    deadLettered: 0,
    lastReceiveDeadLettered: 0,
    budgetShare: 1,
    putRecordsCalls: 1,
    kinesisRecordsPut: 1,
    aggregatedRecordsPut: 1,
    userRecordsPut: 2,
    bytesPut: 64,
    failedEntries: 1,
    throttledEntries: 2,
    throttledEntriesByStream: { orders: 1, audit: 1 },
    retries: 1,
    wrongShardPuts: 0,
    reputRecords: 0,
    expiredRecords: 0,
    bufferedMillisTotal: 20,
    bufferedMillisMax: 15,
  },
};

const runtimeSeries = [
  ...emitted(() => {
    const sink = new PowertoolsMetricsSink(consumerPowertoolsMetrics('orders-app'));
    putRunMetrics(run, sink);
    sink.publish();
    // Published as it happens, while a reader holds subtask 0's lease.
    sink.beat(0);
  }),
  ...emitted(() => {
    const metrics = producerPowertoolsMetrics('orders-producer');
    recordMetrics(metrics, batch);
    metrics.publishStoredMetrics();
  }),
];
const runtimeByKey = new Map(runtimeSeries.map((s) => [key(s), s]));

/** Every custom-namespace metric of the template: dashboard rows and alarms. */
function constructSeries(template: Template): Series[] {
  const series: Series[] = [];
  for (const dashboard of Object.values(template.findResources('AWS::CloudWatch::Dashboard'))) {
    const body = JSON.parse(resolveJoin(dashboard.Properties.DashboardBody)) as {
      widgets: { properties: { metrics?: unknown[][] } }[];
    };
    for (const widget of body.widgets) {
      for (const row of widget.properties.metrics ?? []) {
        const strings = row.filter((c): c is string => typeof c === 'string');
        const options = row.find((c) => typeof c === 'object') as { unit?: string } | undefined;
        const [namespace, name, ...pairs] = strings;
        if (namespace !== METRICS_NAMESPACE) continue;
        const dimensions: Record<string, string> = {};
        for (let i = 0; i + 1 < pairs.length; i += 2) dimensions[pairs[i] as string] = pairs[i + 1] as string;
        series.push({
          namespace,
          name: name as string,
          dimensions,
          ...(options?.unit ? { unit: options.unit } : {}),
        });
      }
    }
  }
  for (const alarm of Object.values(template.findResources('AWS::CloudWatch::Alarm'))) {
    const p = alarm.Properties as {
      Namespace?: string;
      MetricName?: string;
      Unit?: string;
      Dimensions?: { Name: string; Value: string }[];
      Metrics?: {
        MetricStat?: {
          Metric: { Namespace: string; MetricName: string; Dimensions?: { Name: string; Value: string }[] };
          Unit?: string;
        };
      }[];
    };
    const stats = [
      ...(p.Namespace
        ? [
            {
              Metric: {
                Namespace: p.Namespace,
                MetricName: p.MetricName as string,
                Dimensions: p.Dimensions,
              },
              Unit: p.Unit,
            },
          ]
        : []),
      ...(p.Metrics ?? []).flatMap((m) => (m.MetricStat ? [m.MetricStat] : [])),
    ];
    for (const stat of stats) {
      if (stat.Metric.Namespace !== METRICS_NAMESPACE) continue;
      series.push({
        namespace: stat.Metric.Namespace,
        name: stat.Metric.MetricName,
        dimensions: Object.fromEntries((stat.Metric.Dimensions ?? []).map((d) => [d.Name, d.Value])),
        ...(stat.Unit ? { unit: stat.Unit } : {}),
      });
    }
  }
  return series;
}

/** A dashboard body is a Fn::Join of literal text and references; the streams here are literal. */
function resolveJoin(value: unknown): string {
  if (typeof value === 'string') return value;
  const [separator, parts] = (value as { 'Fn::Join': [string, unknown[]] })['Fn::Join'];
  return parts
    .map((part) => (typeof part === 'string' ? part : JSON.stringify(part).replace(/"/g, "'")))
    .join(separator);
}

describe('metrics the constructs use and the runtime publishes', () => {
  // Bundling is skipped: this test reads only the metrics, not the functions' code.
  const app = new App({ autoSynth: false, context: { 'aws:cdk:bundling-stacks': [] } });
  const stack = new Stack(app, 'Metrics', { env: { account: '123456789012', region: 'eu-west-1' } });
  const stream = (name: string) =>
    kinesis.Stream.fromStreamArn(stack, name, `arn:aws:kinesis:eu-west-1:123456789012:stream/${name}`);
  const orders = stream('orders');
  const audit = stream('audit');
  const consumer = new KinesisConsumer(stack, 'Consumer', {
    consumerName: 'orders-app',
    streams: [orders, audit],
    target: lambda.Function.fromFunctionArn(
      stack,
      'Target',
      'arn:aws:lambda:eu-west-1:123456789012:function:orders-processor',
    ),
  });
  const producer = new KinesisProducer(stack, 'Producer', {
    producerName: 'orders-producer',
    streams: [orders, audit],
  });
  new ConnectorDashboard(stack, 'Dashboard', { producers: [producer], consumers: [consumer] });
  const template = Template.fromStack(stack);
  const charted = constructSeries(template);

  it('reads a runtime series for every metric the runtime publishes', () => {
    // Guards the comparison below against an empty or broken capture of either side.
    const consumerNames = Object.keys(CONSUMER_METRIC_UNITS).length;
    // Per stream (two streams) every consumer metric but CheckpointWrites and Heartbeat, which are per subtask.
    expect(runtimeSeries).toHaveLength(
      // ...and the producer's, plus ThrottledEntries per stream (both streams throttled here).
      (consumerNames - 2) * 2 + 2 + Object.keys(PRODUCER_METRIC_UNITS).length + 2,
    );
    expect(charted.length).toBeGreaterThan(0);
  });

  it('charts and alarms only on series the handlers publish, with their units', () => {
    const missing = charted.filter((s) => !runtimeByKey.has(key(s))).map(key);
    expect(missing).toEqual([]);
    const wrongUnit = charted.filter(
      (s) => s.unit !== undefined && runtimeByKey.get(key(s))?.unit !== s.unit,
    );
    expect(wrongUnit).toEqual([]);
  });

  it('offers per-stream consumer metrics and per-producer metrics that the handlers publish', () => {
    const offered = [
      consumer.metricMillisBehindLatest(orders),
      consumer.metricRecordsRead(audit),
      consumer.metricRecordsDelivered(orders),
      consumer.metricDeliveryFailures(audit),
      producer.metricRuntime('UserRecordsPut'),
      producer.metricRuntime('BufferedTimeMaximum'),
      producer.metricThrottledEntries(orders),
    ].map((m) => {
      const config = m.toMetricConfig().metricStat;
      if (!config) throw new Error('not a single metric');
      return {
        namespace: config.namespace as string,
        name: config.metricName,
        dimensions: Object.fromEntries((config.dimensions ?? []).map((d) => [d.name, String(d.value)])),
      };
    });
    expect(offered.filter((s) => !runtimeByKey.has(key(s))).map(key)).toEqual([]);
  });

  it('keeps two producers of one region in series of their own', () => {
    const other = new KinesisProducer(stack, 'Other', { producerName: 'audit-producer', streams: [audit] });
    const a = producer.metricRuntime('UserRecordsPut').toMetricConfig().metricStat?.dimensions;
    const b = other.metricRuntime('UserRecordsPut').toMetricConfig().metricStat?.dimensions;
    expect(a).not.toEqual(b);
    expect(b).toContainEqual({ name: 'ProducerName', value: 'audit-producer' });
  });
});
