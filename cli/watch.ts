import type { Clock } from '../functions/core/time/clock';
import { formatLag } from './output';

/** Eight heights of a sparkline, lowest first. */
const BARS = '▁▂▃▄▅▆▇█';
/** Measurements each shard's sparkline keeps. */
export const WATCH_HISTORY = 30;

/** One shard's lag at one refresh: MillisBehindLatest, or why it is unknown. */
export interface LagReading {
  readonly key: string;
  readonly millisBehindLatest?: number;
  /** `SHARD_END`, `not started`, or an error's text: a reading with no number. */
  readonly note?: string;
}

/** A sparkline of `values` scaled to their largest; a gap (no reading) is a space. */
export function sparkline(values: readonly (number | undefined)[]): string {
  const max = Math.max(0, ...values.filter((v): v is number => v !== undefined));
  return values
    .map((v) => {
      if (v === undefined) return ' ';
      if (max === 0) return BARS[0];
      return BARS[Math.min(BARS.length - 1, Math.floor((v / max) * (BARS.length - 1) + 0.5))];
    })
    .join('');
}

/** The recent readings of every shard, and the frame `status --watch` draws from them. */
export class LagHistory {
  private readonly series = new Map<string, (number | undefined)[]>();
  private readonly notes = new Map<string, string>();

  record(readings: readonly LagReading[]): void {
    for (const reading of readings) {
      const values = this.series.get(reading.key) ?? [];
      values.push(reading.millisBehindLatest);
      if (values.length > WATCH_HISTORY) values.shift();
      this.series.set(reading.key, values);
      if (reading.note !== undefined) this.notes.set(reading.key, reading.note);
      else this.notes.delete(reading.key);
    }
  }

  /** One line per shard: its name, its lag now, and the sparkline of its last readings; then the time. */
  frame(at: number): string[] {
    const keys = [...this.series.keys()].sort();
    const width = Math.max(5, ...keys.map((k) => k.length));
    const lines = keys.map((key) => {
      const values = this.series.get(key) ?? [];
      const now = values.at(-1);
      const text = now === undefined ? (this.notes.get(key) ?? '-') : formatLag(now);
      return `${key.padEnd(width)}  ${text.padEnd(12)}  ${sparkline(values)}`;
    });
    return [
      `${'Shard'.padEnd(width)}  ${'Lag'.padEnd(12)}  last ${WATCH_HISTORY} readings`,
      ...lines,
      `at ${new Date(at).toISOString()} (Ctrl-C to stop)`,
    ];
  }
}

export interface WatchOptions {
  readonly measure: () => Promise<readonly LagReading[]>;
  readonly intervalMillis: number;
  readonly clock: Clock;
  readonly signal?: AbortSignal;
  readonly out: NodeJS.WritableStream;
  /** Redraw in place (a terminal); otherwise each refresh is printed below the last. */
  readonly inPlace: boolean;
  /** Stop after this many refreshes. @default - until the signal aborts */
  readonly refreshes?: number;
}

/** Measures and draws the lag every interval until the signal aborts (Ctrl-C) or `refreshes` are done. */
export async function watchLag(options: WatchOptions): Promise<number> {
  const history = new LagHistory();
  let drawn = 0;
  let refreshes = 0;
  while (!options.signal?.aborted && refreshes < (options.refreshes ?? Infinity)) {
    history.record(await options.measure());
    if (options.signal?.aborted) break;
    const lines = history.frame(options.clock.now());
    // Cursor up over the last frame and clear to the end of the screen, then draw the new one.
    const rewind = options.inPlace && drawn > 0 ? `\x1b[${drawn}A\x1b[J` : options.inPlace ? '' : '\n';
    options.out.write(`${rewind}${lines.join('\n')}\n`);
    drawn = lines.length;
    refreshes++;
    if (refreshes >= (options.refreshes ?? Infinity)) break;
    try {
      await options.clock.sleep(options.intervalMillis, options.signal);
    } catch {
      break;
    }
  }
  return refreshes;
}
