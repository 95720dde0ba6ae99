/**
 * Shared benchmark machinery: a timing loop with warm-up, contenders measured in interleaved rounds
 * (so a noisy neighbour on a shared machine hits all of them alike), medians, and table printing.
 * A section is a module exporting `run(): Promise<BenchSection>`, registered in `bench/index.ts`.
 */
import { KinesisClient, ListShardsCommand, PutRecordsCommand } from '@aws-sdk/client-kinesis';
import { Logger } from '@aws-lambda-powertools/logger';
import { SSMClient } from '@aws-sdk/client-ssm';
import type { AwsClientFactory } from '../functions/core/aws/clients';
import type { SubtaskLease } from '../functions/core/checkpoints/checkpoint-store';
import { SsmCheckpointStore } from '../functions/core/checkpoints/ssm-checkpoint-store';
import { stringDeserializer } from '../functions/core/consumer/deserializers';
import {
  ConsumerEngine,
  DEFAULT_ENGINE_SETTINGS,
  type ConsumerEngineDependencies,
} from '../functions/core/consumer/engine';
import { kinesisReadApi } from '../functions/core/consumer/kinesis-api';
import type { BatchHandler } from '../functions/core/consumer/types';
import { systemClock } from '../functions/core/time/clock';
import { shardPagesFromStart } from '../local/kinesis/streams';

/** A figure compared with another measured in the same run, with an optional pass mark. */
export interface BenchRow {
  readonly label: string;
  readonly value: number;
  readonly unit: string;
  /** The same measurement in a second unit (records/s beside MB/s), printed alongside. */
  readonly also?: { readonly value: number; readonly unit: string };
  /** The figure this one is judged against (a bound, the incumbent library, or a published figure). */
  readonly anchor?: { readonly label: string; readonly value: number };
  /** Pass mark: value / anchor at least `minRatio`, value at most `maxValue`, or at least `minValue`. */
  readonly target?: { readonly minRatio?: number; readonly maxValue?: number; readonly minValue?: number };
}

/** The output of one benchmark module. */
export interface BenchSection {
  readonly title: string;
  readonly rows: readonly BenchRow[];
  /** What was measured and how, printed under the table. */
  readonly notes?: readonly string[];
}

export interface TimingOptions {
  /** Time spent running every contender before measuring, so each is optimised by V8. */
  readonly warmupMs?: number;
  /** Measured rounds; the median is reported. */
  readonly rounds?: number;
  /** Minimum length of one measurement: the operation is repeated until it is reached. */
  readonly minRoundMs?: number;
}

export type Operation = () => unknown;
export type AsyncOperation = () => Promise<unknown>;

const DEFAULTS: Required<TimingOptions> = { warmupMs: 300, rounds: 15, minRoundMs: 100 };

/** Median of a non-empty list. */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/** Runs `operation` repeatedly for at least `minMs`; returns nanoseconds per call. */
async function timeRound(
  operation: Operation | AsyncOperation,
  minMs: number,
  isAsync: boolean,
): Promise<number> {
  const minNs = minMs * 1e6;
  let calls = 0;
  const start = process.hrtime.bigint();
  for (;;) {
    if (isAsync) await operation();
    else operation();
    calls++;
    const elapsed = Number(process.hrtime.bigint() - start);
    if (elapsed >= minNs) return elapsed / calls;
  }
}

/**
 * Median nanoseconds per call of each contender, measured in interleaved rounds after a warm-up.
 * Contenders returning a promise are awaited.
 */
export async function compare(
  contenders: Readonly<Record<string, Operation | AsyncOperation>>,
  options: TimingOptions = {},
): Promise<Record<string, number>> {
  const { warmupMs, rounds, minRoundMs } = { ...DEFAULTS, ...options };
  const names = Object.keys(contenders);
  const asyncNames = new Set<string>();
  for (const name of names) {
    const operation = contenders[name]!;
    if (operation() instanceof Promise) asyncNames.add(name);
  }
  for (const name of names) await timeRound(contenders[name]!, warmupMs, asyncNames.has(name));
  const samples: Record<string, number[]> = Object.fromEntries(names.map((name) => [name, []]));
  for (let round = 0; round < rounds; round++) {
    for (const name of names) {
      samples[name]!.push(await timeRound(contenders[name]!, minRoundMs, asyncNames.has(name)));
    }
  }
  return Object.fromEntries(names.map((name) => [name, median(samples[name]!)]));
}

/** Formats a number with a sensible precision and thousands separators. */
export function formatNumber(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  const digits = Math.abs(value) >= 100 ? 0 : Math.abs(value) >= 10 ? 1 : 2;
  return value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

function verdict(row: BenchRow): string {
  const target = row.target;
  if (target === undefined) return '';
  if (target.minRatio !== undefined && row.anchor !== undefined) {
    const pass = row.value / row.anchor.value >= target.minRatio;
    return `${pass ? 'PASS' : 'FAIL'} (>= ${formatRatio(target.minRatio)})`;
  }
  if (target.maxValue !== undefined) {
    const pass = row.value <= target.maxValue;
    return `${pass ? 'PASS' : 'FAIL'} (<= ${formatNumber(target.maxValue)} ${row.unit})`;
  }
  if (target.minValue !== undefined) {
    const pass = row.value >= target.minValue;
    return `${pass ? 'PASS' : 'FAIL'} (>= ${formatNumber(target.minValue)} ${row.unit})`;
  }
  return '';
}

function formatRatio(ratio: number): string {
  return ratio < 1 ? `${(ratio * 100).toFixed(0)}%` : `${ratio.toFixed(2)}x`;
}

/** Prints a section as an aligned table: figure, value, anchor, ratio, target. */
export function printSection(section: BenchSection): void {
  const header = ['figure', 'value', 'unit', 'also', 'anchor', 'anchor value', 'ratio', 'target'];
  const lines = section.rows.map((row) => [
    row.label,
    formatNumber(row.value),
    row.unit,
    row.also === undefined ? '' : `${formatNumber(row.also.value)} ${row.also.unit}`,
    row.anchor?.label ?? '',
    row.anchor === undefined ? '' : formatNumber(row.anchor.value),
    // No ratio to a zero anchor (as in the HTML report): both counted nothing, or the anchor did.
    row.anchor === undefined || row.anchor.value === 0 ? '' : formatRatio(row.value / row.anchor.value),
    verdict(row),
  ]);
  const widths = header.map((title, column) =>
    Math.max(title.length, ...lines.map((line) => line[column]!.length)),
  );
  const numeric = new Set([1, 3, 5, 6]);
  const render = (cells: readonly string[]) =>
    cells
      .map((cell, column) =>
        numeric.has(column) ? cell.padStart(widths[column]!) : cell.padEnd(widths[column]!),
      )
      .join('  ')
      .trimEnd();
  console.log(`\n## ${section.title}\n`);
  console.log(render(header));
  console.log(render(widths.map((width) => '-'.repeat(width))));
  for (const line of lines) console.log(render(line));
  for (const note of section.notes ?? []) console.log(`  * ${note}`);
}

// The consumer sections' shared parts: a backlog, the raw GetRecords loop it is drained against, the
// engine's catch-up rate and put-to-handler latency while records trickle in.

/** The lease stands for the whole run: its settle delay is paid once per invocation, not per record. */
export const NO_LEASE = (): SubtaskLease => ({
  acquire: async () => undefined,
  isHeld: async () => true,
  release: async () => undefined,
});

/**
 * An engine at its defaults over one stream from TRIM_HORIZON, handing every batch to `handler`, with
 * checkpoints in SSM under `checkpointPath`, the lease held for the whole run and a silent logger;
 * `shardSource` (given that logger) reads the shards instead of polling.
 */
export function benchEngine(
  aws: AwsClientFactory,
  stream: string,
  handler: BatchHandler<string>,
  options: {
    readonly checkpointPath: string;
    readonly shardSource?: (logger: Logger) => ConsumerEngineDependencies['shardSource'];
  },
): ConsumerEngine<string> {
  const logger = new Logger({ logLevel: 'SILENT' });
  const shardSource = options.shardSource?.(logger);
  return new ConsumerEngine<string>(
    {
      kinesis: kinesisReadApi(aws.client('kinesis', KinesisClient)),
      checkpoints: new SsmCheckpointStore({
        ssm: aws.client('ssm', SSMClient),
        parameterPath: options.checkpointPath,
        clock: systemClock,
        random: Math.random,
      }),
      lease: NO_LEASE,
      clock: systemClock,
      random: Math.random,
      logger,
      ...(shardSource ? { shardSource } : {}),
    },
    {
      ...DEFAULT_ENGINE_SETTINGS,
      streams: [stream],
      initialPosition: { type: 'TRIM_HORIZON' },
      deserializer: stringDeserializer,
      handler,
    },
  );
}

/** The value below which `p` percent of `sorted` lie (NaN for none). */
export function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

/** Puts `count` records of `recordBytes` each (a numbered prefix, padded), 2,000 at a time. */
export async function putBacklog(
  kinesis: KinesisClient,
  stream: string,
  count: number,
  recordBytes: number,
): Promise<void> {
  const padding = 'x'.repeat(recordBytes - 12);
  for (let start = 0; start < count; start += 2000) {
    await Promise.all(
      [0, 500, 1000, 1500]
        .filter((offset) => start + offset < count)
        .map((offset) =>
          kinesis.send(
            new PutRecordsCommand({
              StreamName: stream,
              Records: Array.from({ length: Math.min(500, count - start - offset) }, (_, i) => ({
                PartitionKey: `k${start + offset + i}`,
                Data: new TextEncoder().encode(`${String(start + offset + i).padStart(11, '0')}${padding}`),
              })),
            }),
          ),
        ),
    );
  }
}

/**
 * The p50 and p99 put-to-handler latency rows (labels end in `qualifier`), each beside the anchor's
 * same percentile when there is one, with the targets given.
 */
export function latencyRows(
  latencies: readonly number[],
  options: {
    readonly qualifier?: string;
    readonly anchor?: { readonly label: string; readonly latencies: readonly number[] };
    readonly maxMillis?: { readonly p50?: number; readonly p99?: number };
  },
): BenchRow[] {
  return ([50, 99] as const).map((p) => {
    const max = options.maxMillis?.[`p${p}`];
    return {
      label: `put-to-handler latency p${p}${options.qualifier ?? ''}`,
      value: percentile(latencies, p),
      unit: 'ms',
      ...(options.anchor
        ? { anchor: { label: options.anchor.label, value: percentile(options.anchor.latencies, p) } }
        : {}),
      ...(max !== undefined ? { target: { maxValue: max } } : {}),
    };
  });
}

/** Drains every shard with back-to-back GetRecords calls; records/s up to the last record read. */
export async function rawGetRecordsLoop(
  kinesis: KinesisClient,
  stream: string,
  expected: number,
): Promise<number> {
  const started = performance.now();
  const shards = (await kinesis.send(new ListShardsCommand({ StreamName: stream }))).Shards ?? [];
  let total = 0;
  let last = started;
  await Promise.all(
    shards.map(async (shard) => {
      for await (const records of shardPagesFromStart(kinesis, stream, shard.ShardId)) {
        total += records.length;
        last = performance.now();
      }
    }),
  );
  if (total !== expected) throw new Error(`raw loop read ${total} records, expected ${expected}`);
  return expected / ((last - started) / 1000);
}

/** An engine over one stream that hands every batch to `handler`. */
export type BenchEngine = (handler: BatchHandler<string>) => ConsumerEngine<string>;

/** Drains a backlog of `expected` records with the engine; records/s up to the last delivery. */
export async function catchUpRate(engine: BenchEngine, expected: number, name: string): Promise<number> {
  let delivered = 0;
  const controller = new AbortController();
  const started = performance.now();
  let last = started;
  const summary = await engine((records) => {
    delivered += records.length;
    last = performance.now();
    if (delivered >= expected) controller.abort();
  }).run({ subtaskIndex: 0, parallelism: 1, deadline: Date.now() + 120_000, signal: controller.signal });
  if (summary.error) throw summary.error;
  if (delivered !== expected) throw new Error(`${name} delivered ${delivered} records, expected ${expected}`);
  return expected / ((last - started) / 1000);
}

/**
 * Put-to-handler milliseconds (sorted) of each engine, all reading `stream` at once while about 200
 * records/s are put in small batches, as a steady producer would send them. Records put in the first
 * `warmupSeconds` are not counted.
 */
export async function trickleLatency<K extends string>(
  kinesis: KinesisClient,
  stream: string,
  engines: Readonly<Record<K, BenchEngine>>,
  timing: { readonly seconds: number; readonly warmupSeconds: number },
): Promise<Record<K, number[]>> {
  const names = Object.keys(engines) as K[];
  const latencies = Object.fromEntries(names.map((name) => [name, [] as number[]])) as Record<K, number[]>;
  const controller = new AbortController();
  const measureFrom = Date.now() + timing.warmupSeconds * 1000;
  const runs = names.map((name) =>
    engines[name]((records) => {
      const now = Date.now();
      for (const record of records) {
        const sentAt = Number(record.data);
        if (sentAt >= measureFrom) latencies[name].push(now - sentAt);
      }
    }).run({ subtaskIndex: 0, parallelism: 1, deadline: Date.now() + 120_000, signal: controller.signal }),
  );
  const end = Date.now() + timing.seconds * 1000;
  while (Date.now() < end) {
    const sentAt = Date.now();
    await kinesis.send(
      new PutRecordsCommand({
        StreamName: stream,
        Records: Array.from({ length: 4 }, (_, i) => ({
          PartitionKey: `k${sentAt}-${i}`,
          Data: new TextEncoder().encode(String(sentAt)),
        })),
      }),
    );
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  // Let the last puts arrive before stopping.
  await new Promise((resolve) => setTimeout(resolve, 1500));
  controller.abort();
  for (const summary of await Promise.all(runs)) if (summary.error) throw summary.error;
  for (const name of names) latencies[name].sort((a, b) => a - b);
  return latencies;
}
