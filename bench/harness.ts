/**
 * Shared benchmark machinery: a timing loop with warm-up, contenders measured in interleaved rounds
 * (so a noisy neighbour on a shared machine hits all of them alike), medians, and table printing.
 * A section is a module exporting `run(): Promise<BenchSection>`, registered in `bench/index.ts`.
 */

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
    row.anchor === undefined ? '' : formatRatio(row.value / row.anchor.value),
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
