import type { LedgerCounts, ShardCounts } from './ledger';

/** What the progress view shows at one moment. */
export interface ProgressSnapshot {
  readonly elapsedMillis: number;
  readonly phase: 'sending' | 'draining' | 'stopping';
  /** Records the run will send. */
  readonly planned: number;
  readonly counts: LedgerCounts;
  readonly shards: readonly ShardCounts[];
  /** Messages waiting in the producer's queue (visible and in flight) and in its dead-letter queue. */
  readonly queued: number;
  readonly deadLettered: number;
  /** Records the consumer sent to its on-failure queue. */
  readonly onFailure: number;
  readonly producerInvocations: number;
  readonly batchItemFailures: number;
  readonly consumerInvocations: number;
  /** Checkpoint values written to SSM (every version of every subtask's checkpoint parameters). */
  readonly checkpointWrites: number;
}

/** Where the view writes, and whether it may redraw (a terminal) or only append lines. */
export interface ProgressOutput {
  write(text: string): void;
  readonly interactive: boolean;
}

const number = (n: number) => n.toLocaleString('en-US');
const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

/** The live block: totals, then one line per shard. */
export function renderBlock(s: ProgressSnapshot): string[] {
  const c = s.counts;
  const lines = [
    `${s.phase.padEnd(8)} ${seconds(s.elapsedMillis).padStart(8)}`,
    `records   sent ${number(c.sent)}/${number(s.planned)}   written ${number(c.written)}   consumed ${number(
      c.consumed,
    )}   duplicates ${number(c.duplicates)}`,
    `producer  queued ${number(s.queued)}   invocations ${number(s.producerInvocations)}   batch item failures ${number(
      s.batchItemFailures,
    )}   dead-lettered ${number(s.deadLettered)}`,
    `consumer  invocations ${number(s.consumerInvocations)}   checkpoints written ${number(
      s.checkpointWrites,
    )}   on-failure queue ${number(s.onFailure)}`,
  ];
  const width = Math.max(0, ...s.shards.map((shard) => `${shard.stream}/${shard.shardId}`.length));
  for (const shard of s.shards) {
    const name = `${shard.stream}/${shard.shardId}`.padEnd(width);
    lines.push(
      `  ${name}  ${shard.closed ? 'closed' : 'open  '}  written ${number(shard.written).padStart(7)}  consumed ${number(
        shard.consumed,
      ).padStart(7)}  lag ${number(shard.lag).padStart(6)}`,
    );
  }
  return lines;
}

/** One plain line for logs and CI: the same totals, and the lag of each shard. */
export function renderLine(s: ProgressSnapshot): string {
  const c = s.counts;
  const lag = s.shards.map((shard) => `${shard.stream}/${shortShard(shard.shardId)}=${shard.lag}`).join(' ');
  return (
    `[${seconds(s.elapsedMillis)}] ${s.phase}: sent ${c.sent}/${s.planned} written ${c.written} ` +
    `consumed ${c.consumed} duplicates ${c.duplicates} queued ${s.queued} dead-lettered ${s.deadLettered} ` +
    `checkpoints ${s.checkpointWrites} lag ${lag || '-'}`
  );
}

function shortShard(shardId: string): string {
  return String(Number(shardId.replace(/^shardId-/, '')));
}

/**
 * Progress as the run goes: on a terminal a block redrawn in place a few times a second, otherwise a
 * plain line every `intervalMillis`. Events (a resharding, a crash) print as lines of their own.
 */
export class ProgressView {
  private timer: NodeJS.Timeout | undefined;
  private drawn = 0;

  constructor(
    private readonly output: ProgressOutput,
    private readonly snapshot: () => ProgressSnapshot,
    private readonly intervalMillis: number,
  ) {}

  start(): void {
    if (this.timer) return;
    const every = this.output.interactive ? 250 : this.intervalMillis;
    this.timer = setInterval(() => this.draw(), every);
    this.timer.unref();
    if (this.output.interactive) this.draw();
  }

  /** A line about something that happened, kept above the live block. */
  event(elapsedMillis: number, message: string): void {
    this.clear();
    this.output.write(`[${seconds(elapsedMillis)}] ${message}\n`);
    if (this.output.interactive && this.timer) this.draw();
  }

  /** Draws the last state once more (as a line when not interactive) and stops; later calls do nothing. */
  stop(): void {
    if (!this.timer) return;
    clearInterval(this.timer);
    this.timer = undefined;
    this.draw();
    this.drawn = 0;
  }

  private draw(): void {
    const snapshot = this.snapshot();
    if (!this.output.interactive) {
      this.output.write(`${renderLine(snapshot)}\n`);
      return;
    }
    this.clear();
    const lines = renderBlock(snapshot);
    this.output.write(`${lines.join('\n')}\n`);
    this.drawn = lines.length;
  }

  private clear(): void {
    if (!this.output.interactive || this.drawn === 0) return;
    // Up to the block's first line, then erase to the end of the screen.
    this.output.write(`\x1b[${this.drawn}F\x1b[0J`);
    this.drawn = 0;
  }
}
