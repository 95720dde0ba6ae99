import { createInterface } from 'node:readline';
import { SingleBar } from 'cli-progress';
import Table from 'cli-table3';
import { println, type CliIo } from './io';

/** A plain table (no colours, so it reads the same in a terminal, a log and a test). */
export function renderTable(head: readonly string[], rows: readonly (readonly string[])[]): string {
  const table = new Table({
    head: [...head],
    style: { head: [], border: [] },
    // No rule between rows: a shard per line reads better than a grid.
    chars: { mid: '', 'left-mid': '', 'mid-mid': '', 'right-mid': '' },
  });
  for (const row of rows) table.push([...row]);
  return table.toString();
}

/** A duration for people: "850 ms", "12.3 s", "4 min 05 s", "3 h 02 min", "2 d 04 h". */
export function formatDuration(millis: number): string {
  const ms = Math.max(0, Math.round(millis));
  if (ms < 1000) return `${ms} ms`;
  if (ms < 60_000) return `${(Math.floor(ms / 100) / 10).toFixed(1)} s`;
  const seconds = Math.floor(ms / 1000);
  const pad = (n: number) => String(n).padStart(2, '0');
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min ${pad(seconds % 60)} s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 24 * 60) return `${Math.floor(minutes / 60)} h ${pad(minutes % 60)} min`;
  const hours = Math.floor(minutes / 60);
  return `${Math.floor(hours / 24)} d ${pad(hours % 24)} h`;
}

/** How far a shard's position is behind the tip, from GetRecords' MillisBehindLatest. */
export function formatLag(millisBehindLatest: number | undefined): string {
  if (millisBehindLatest === undefined) return '-';
  return millisBehindLatest === 0 ? 'caught up' : formatDuration(millisBehindLatest);
}

/** Progress of long work: a bar on a terminal, a line per tenth otherwise. */
export interface Progress {
  increment(by?: number): void;
  stop(): void;
}

/**
 * Starts a progress report on stderr for `total` units of work, or a silent one when the work is
 * shorter than `minTotal` (a bar that flashes by helps nobody).
 */
export function startProgress(io: CliIo, label: string, total: number, minTotal = 1): Progress {
  if (total < minTotal) return { increment: () => undefined, stop: () => undefined };
  if (io.isTTY) {
    const bar = new SingleBar({
      stream: io.stderr,
      format: `${label} [{bar}] {value}/{total} {percentage}% | {eta_formatted} left`,
      // The injected terminal flag decides; cli-progress would otherwise ask the stream.
      noTTYOutput: true,
      notTTYSchedule: 100,
      clearOnComplete: false,
      hideCursor: false,
    });
    bar.start(total, 0);
    return { increment: (by = 1) => bar.increment(by), stop: () => bar.stop() };
  }
  let done = 0;
  let reportedTenth = 0;
  return {
    increment(by = 1) {
      done += by;
      const tenth = Math.floor((done * 10) / total);
      if (tenth > reportedTenth) {
        reportedTenth = tenth;
        println(io.stderr, `${label}: ${done}/${total}`);
      }
    },
    stop: () => undefined,
  };
}

/**
 * Asks a yes/no question on the terminal; only "y" or "yes" agrees. Callers check `io.isTTY` first:
 * without a terminal nobody can answer.
 */
export async function confirm(io: CliIo, question: string): Promise<boolean> {
  const rl = createInterface({ input: io.stdin, output: io.stderr, terminal: false });
  try {
    io.stderr.write(`${question} [y/N] `);
    const answer = await new Promise<string>((resolve) => {
      rl.once('line', resolve);
      rl.once('close', () => resolve(''));
    });
    return /^(y|yes)$/i.test(answer.trim());
  } finally {
    rl.close();
  }
}
