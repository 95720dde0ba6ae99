import type { Clock } from '../time/clock';

/** Kinesis's read limits for one shard, shared by every consumer of the shard. */
export interface ShardReadLimits {
  /** GetRecords calls per second per shard. @default 5 */
  readonly callsPerSecond: number;
  /** Bytes read per second per shard. @default 2 MiB */
  readonly bytesPerSecond: number;
}

export const DEFAULT_SHARD_READ_LIMITS: ShardReadLimits = {
  callsPerSecond: 5,
  bytesPerSecond: 2 * 1024 * 1024,
};

/**
 * Keeps one shard's reader within Kinesis's per-shard read limits: at most `callsPerSecond` GetRecords
 * calls in any second, and bytes as a budget that refills at `bytesPerSecond` and may go into debt
 * (one call can return 10 MiB), in which case the next call waits until the debt is paid, as Kinesis
 * would otherwise throttle the calls of the next seconds.
 */
export class ShardReadLimiter {
  private readonly callStarts: number[] = [];
  private bytesBudget: number;
  private budgetTime: number;

  constructor(
    private readonly clock: Clock,
    private readonly limits: ShardReadLimits = DEFAULT_SHARD_READ_LIMITS,
  ) {
    this.bytesBudget = limits.bytesPerSecond;
    this.budgetTime = clock.now();
  }

  /** The earliest time the next call may start. */
  nextCallAt(): number {
    const now = this.clock.now();
    let at = now;
    if (this.callStarts.length >= this.limits.callsPerSecond) {
      const oldest = this.callStarts[this.callStarts.length - this.limits.callsPerSecond] as number;
      at = Math.max(at, oldest + 1000);
    }
    const budget = this.budget(now);
    if (budget < 0) at = Math.max(at, now + Math.ceil((-budget / this.limits.bytesPerSecond) * 1000));
    return at;
  }

  /** Notes that a call starts now. */
  callStarted(): void {
    this.callStarts.push(this.clock.now());
    if (this.callStarts.length > this.limits.callsPerSecond) this.callStarts.shift();
  }

  /** Notes the bytes a call returned. */
  bytesRead(bytes: number): void {
    const now = this.clock.now();
    this.bytesBudget = this.budget(now) - bytes;
    this.budgetTime = now;
  }

  private budget(now: number): number {
    const refilled = this.bytesBudget + ((now - this.budgetTime) / 1000) * this.limits.bytesPerSecond;
    return Math.min(this.limits.bytesPerSecond, refilled);
  }
}

/** GetRecords' own ceiling on records per call. */
export const MAX_RECORDS_PER_CALL = 10_000;

/**
 * Adaptive reads (`flink.shard.adaptivereads`): the records to ask for in the next GetRecords call so
 * that, at the loop rate just measured, the shard reads no more than `bytesPerSecond`:
 * clamp((bytesPerSecond / loopHz) / averageRecordBytes, 1, 10000). Undefined when the last call says
 * nothing about record sizes (no records), so the caller keeps its current count.
 */
export function adaptiveRecordLimit(
  loopMillis: number,
  records: number,
  bytes: number,
  bytesPerSecond: number = DEFAULT_SHARD_READ_LIMITS.bytesPerSecond,
): number | undefined {
  if (records <= 0 || bytes <= 0 || loopMillis <= 0) return undefined;
  const loopHz = 1000 / loopMillis;
  const averageRecordBytes = bytes / records;
  const limit = Math.floor(bytesPerSecond / loopHz / averageRecordBytes);
  return Math.max(1, Math.min(limit, MAX_RECORDS_PER_CALL));
}
