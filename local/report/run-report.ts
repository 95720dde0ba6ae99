import { percentile } from '../runner/ledger';
import type { RunTimelineData } from '../runner/timeline';
import { renderHtmlReport, type Chart } from './html';

/** Records sent and first delivered in one second of the run. */
export interface ThroughputRow {
  readonly second: number;
  readonly series: 'in (sent)' | 'out (delivered)';
  readonly records: number;
}

/** Put-to-handler latency of the records first delivered in one second of the run. */
export interface LatencyRow {
  readonly second: number;
  readonly percentile: 'p50' | 'p90' | 'p99';
  readonly millis: number;
}

/** What the run report draws, derived from the run's timeline and ledger only. */
export interface RunReportData {
  readonly durationSeconds: number;
  readonly sent: number;
  readonly delivered: number;
  readonly throughput: readonly ThroughputRow[];
  readonly latencyOverTime: readonly LatencyRow[];
  /** Every delivered record's latency (first delivery less the send), in send order. */
  readonly latencies: readonly number[];
  readonly recordsBehind: readonly { second: number; shard: string; records: number }[];
  readonly millisBehindLatest: readonly { second: number; shard: string; millis: number }[];
  readonly throttledEntries: readonly { second: number; entries: number }[];
  readonly backlog: readonly { second: number; messages: number }[];
  readonly invocations: readonly {
    subtask: string;
    start: number;
    end: number;
    status: string;
    records: number;
  }[];
  readonly events: readonly { second: number; kind: string; label: string }[];
}

const PERCENTILES = [
  ['p50', 0.5],
  ['p90', 0.9],
  ['p99', 0.99],
] as const;

const seconds = (millis: number) => Math.round(millis) / 1000;

/** The report's data: every figure computed from the timeline's records and samples. */
export function runReportData(timeline: RunTimelineData): RunReportData {
  const sentPerSecond = new Map<number, number>();
  const deliveredPerSecond = new Map<number, number>();
  const latencyBySecond = new Map<number, number[]>();
  const latencies: number[] = [];
  for (const record of timeline.records) {
    bump(sentPerSecond, Math.floor(record.sentMillis / 1000));
    if (record.deliveredMillis === undefined) continue;
    const second = Math.floor(record.deliveredMillis / 1000);
    bump(deliveredPerSecond, second);
    const latency = record.deliveredMillis - record.sentMillis;
    latencies.push(latency);
    const bucket = latencyBySecond.get(second) ?? [];
    bucket.push(latency);
    latencyBySecond.set(second, bucket);
  }
  const lastSecond = Math.ceil(timeline.durationMillis / 1000);
  const throughput: ThroughputRow[] = [];
  for (let second = 0; second <= lastSecond; second++) {
    throughput.push({ second, series: 'in (sent)', records: sentPerSecond.get(second) ?? 0 });
    throughput.push({ second, series: 'out (delivered)', records: deliveredPerSecond.get(second) ?? 0 });
  }
  const latencyOverTime = [...latencyBySecond.entries()]
    .sort(([a], [b]) => a - b)
    .flatMap(([second, values]) => {
      const sorted = [...values].sort((a, b) => a - b);
      return PERCENTILES.map(([name, fraction]) => ({
        second,
        percentile: name,
        millis: percentile(sorted, fraction),
      }));
    });
  let previousThrottled = 0;
  const throttledEntries = timeline.samples.map((sample) => {
    const entries = Math.max(0, sample.throttledEntries - previousThrottled);
    previousThrottled = sample.throttledEntries;
    return { second: seconds(sample.atMillis), entries };
  });
  return {
    durationSeconds: seconds(timeline.durationMillis),
    sent: timeline.records.length,
    delivered: latencies.length,
    throughput,
    latencyOverTime,
    latencies,
    recordsBehind: timeline.samples.flatMap((sample) =>
      Object.entries(sample.recordsBehind).map(([shard, records]) => ({
        second: seconds(sample.atMillis),
        shard: shortShard(shard),
        records,
      })),
    ),
    millisBehindLatest: timeline.invocations.flatMap((invocation) =>
      Object.entries(invocation.millisBehindLatest).map(([shard, millis]) => ({
        second: seconds(invocation.endMillis),
        shard: shortShard(shard),
        millis,
      })),
    ),
    throttledEntries,
    backlog: timeline.samples.map((sample) => ({
      second: seconds(sample.atMillis),
      messages: sample.queued,
    })),
    invocations: timeline.invocations.map((invocation) => ({
      subtask: `subtask ${invocation.subtaskIndex}`,
      start: seconds(invocation.startMillis),
      end: seconds(Math.max(invocation.endMillis, invocation.startMillis + 50)),
      status: invocation.status,
      records: invocation.recordsDelivered,
    })),
    events: timeline.events.map((event) => ({
      second: seconds(event.atMillis),
      kind: event.kind,
      label: event.label,
    })),
  };
}

function bump(map: Map<number, number>, key: number): void {
  map.set(key, (map.get(key) ?? 0) + 1);
}

const WIDTH = 1000;
const HEIGHT = 200;

/** The time axis every time chart shares: the whole run, so the charts line up one above the other. */
function timeAxis(data: RunReportData, field = 'second') {
  return {
    field,
    type: 'quantitative',
    title: 'seconds since the run started',
    scale: { domain: [0, Math.ceil(data.durationSeconds)], nice: false },
  } as const;
}

/** `orders/shardId-000000000003` as `orders/3`, so a legend fits. */
export function shortShard(key: string): string {
  return key.replace(/shardId-0*(\d)/, '$1');
}

/** Vertical rules at the crash, the resharding and the interruption, layered over a time chart. */
function eventRules(data: RunReportData): object[] {
  if (data.events.length === 0) return [];
  return [
    {
      data: { values: data.events },
      mark: { type: 'rule', strokeDash: [4, 3], strokeWidth: 1.5 },
      encoding: {
        x: { field: 'second', type: 'quantitative' },
        color: { value: '#b22' },
      },
    },
    {
      data: { values: data.events },
      mark: { type: 'text', align: 'left', dx: 4, dy: -4, baseline: 'top', color: '#b22', fontSize: 11 },
      encoding: { x: { field: 'second', type: 'quantitative' }, y: { value: 2 }, text: { field: 'label' } },
    },
  ];
}

function timeChart(data: RunReportData, layer: object): object {
  return {
    width: WIDTH,
    height: HEIGHT,
    layer: [layer, ...eventRules(data)],
    resolve: { scale: { color: 'independent' } },
  };
}

/** The report's charts as Vega-Lite specifications, each with its title and what it shows. */
export function runReportCharts(data: RunReportData): Chart[] {
  const charts: Chart[] = [
    {
      title: 'Records in and out per second',
      note: 'In: records handed to the producer’s queue. Out: records the consumer’s processor received for the first time.',
      spec: timeChart(data, {
        data: { values: data.throughput },
        mark: { type: 'line', interpolate: 'step-after' },
        encoding: {
          x: timeAxis(data),
          y: { field: 'records', type: 'quantitative', title: 'records per second' },
          color: { field: 'series', type: 'nominal', title: null },
        },
      }),
    },
    {
      title: 'Put-to-handler latency over time',
      note: 'Percentiles of the records first delivered in each second: from the send to the queue to the processor.',
      spec: timeChart(data, {
        data: { values: data.latencyOverTime },
        mark: { type: 'line', point: { size: 12 } },
        encoding: {
          x: timeAxis(data),
          y: { field: 'millis', type: 'quantitative', title: 'milliseconds' },
          color: { field: 'percentile', type: 'nominal', title: null },
        },
      }),
    },
    {
      title: 'Put-to-handler latency, all records',
      note: `${data.delivered.toLocaleString('en-US')} records delivered.`,
      spec: {
        width: WIDTH,
        height: HEIGHT,
        data: { values: data.latencies.map((millis) => ({ millis })) },
        mark: { type: 'bar', color: '#4c78a8' },
        encoding: {
          x: { field: 'millis', type: 'quantitative', bin: { maxbins: 60 }, title: 'milliseconds' },
          y: { aggregate: 'count', type: 'quantitative', title: 'records' },
        },
      },
    },
    {
      title: 'Lag per shard',
      note: 'Lines: records written to the shard and not yet consumed, each second. Dots: MillisBehindLatest the consumer read at the end of each invocation (right axis).',
      spec: timeChart(data, {
        layer: [
          {
            data: { values: data.recordsBehind },
            mark: { type: 'line', interpolate: 'step-after' },
            encoding: {
              x: timeAxis(data),
              y: { field: 'records', type: 'quantitative', title: 'records behind' },
              color: { field: 'shard', type: 'nominal', title: 'shard' },
            },
          },
          {
            data: { values: data.millisBehindLatest },
            mark: { type: 'point', filled: true, size: 30 },
            encoding: {
              x: timeAxis(data),
              y: { field: 'millis', type: 'quantitative', title: 'MillisBehindLatest (ms)' },
              color: { field: 'shard', type: 'nominal', title: 'shard' },
            },
          },
        ],
        resolve: { scale: { y: 'independent' } },
      }),
    },
    {
      title: 'Throttled entries per second',
      note:
        'PutRecords entries Kinesis refused with ProvisionedThroughputExceededException (the producer retries them)' +
        (data.throttledEntries.some((t) => t.entries > 0) ? '.' : ': none in this run.'),
      spec: timeChart(data, {
        data: { values: data.throttledEntries },
        mark: { type: 'bar', color: '#e45756' },
        encoding: {
          x: timeAxis(data),
          y: {
            field: 'entries',
            type: 'quantitative',
            title: 'entries',
            // With no throttling the axis still shows 0 to 1, not a single tick.
            scale: data.throttledEntries.some((t) => t.entries > 0) ? { domainMin: 0 } : { domain: [0, 1] },
          },
        },
      }),
    },
    {
      title: 'The producer’s queue backlog',
      note: 'Messages in the queue: visible, in flight and delayed.',
      spec: timeChart(data, {
        data: { values: data.backlog },
        mark: { type: 'area', interpolate: 'step-after', opacity: 0.7, color: '#72b7b2' },
        encoding: { x: timeAxis(data), y: { field: 'messages', type: 'quantitative', title: 'messages' } },
      }),
    },
    {
      title: 'Consumer invocations',
      note: 'Each bar is one invocation of a subtask, from its start to its end, coloured by how it ended.',
      spec: timeChart(data, {
        data: { values: data.invocations },
        mark: { type: 'bar', height: 14, cornerRadius: 2 },
        encoding: {
          x: timeAxis(data, 'start'),
          x2: { field: 'end' },
          y: { field: 'subtask', type: 'nominal', title: null },
          color: {
            field: 'status',
            type: 'nominal',
            title: 'ended',
            scale: {
              domain: ['completed', 'skipped', 'failed', 'timed-out', 'crashed', 'stopped'],
              range: ['#54a24b', '#bab0ac', '#e45756', '#f58518', '#b22222', '#9d755d'],
            },
          },
          tooltip: [{ field: 'records', title: 'records delivered' }],
        },
      }),
    },
  ];
  return charts;
}

/** The run report as one self-contained HTML page. */
export async function renderRunReport(
  timeline: RunTimelineData,
  heading: { title: string; summary: readonly (readonly [string, string])[] },
): Promise<string> {
  const data = runReportData(timeline);
  return renderHtmlReport({
    title: heading.title,
    summary: heading.summary,
    charts: runReportCharts(data),
    data,
  });
}
