/** One shard's event-time progress, updated by its reader. */
export class ShardWatermark {
  /** The greatest event time seen on the shard (epoch ms); undefined before its first record. */
  watermark: number | undefined;
  /** When the shard last returned records, or when it started being read. */
  lastActiveAt: number;
  /** A shard read to its end no longer holds the watermark back. */
  ended = false;

  constructor(startedAt: number) {
    this.lastActiveAt = startedAt;
  }

  /** Notes a record's event time: per record, so it stays cheap. */
  observe(eventTimeMillis: number): void {
    if (this.watermark === undefined || eventTimeMillis > this.watermark) this.watermark = eventTimeMillis;
  }
}

/**
 * The subtask's watermark, as the reference connector computes it: each shard's watermark is the greatest
 * event time it has delivered, and the subtask's is the least of them over the active shards. A shard that
 * has returned no record for `idleIntervalMillis` is idle and stops counting, so it does not stall the
 * rest; with the interval off (-1) an idle shard holds the watermark where it is. The watermark never goes
 * back, and it lives for one invocation (the next one starts again from the records it reads).
 */
export class WatermarkTracker {
  private readonly shards = new Map<string, ShardWatermark>();
  private emitted: number | undefined;

  constructor(
    private readonly now: () => number,
    /** -1 for off. */
    private readonly idleIntervalMillis: number,
  ) {}

  /** Starts tracking a shard from now. */
  track(key: string): ShardWatermark {
    let shard = this.shards.get(key);
    if (!shard) this.shards.set(key, (shard = new ShardWatermark(this.now())));
    return shard;
  }

  /** Whether a shard counts as idle now. */
  isIdle(shard: ShardWatermark, now = this.now()): boolean {
    return this.idleIntervalMillis >= 0 && now - shard.lastActiveAt >= this.idleIntervalMillis;
  }

  /** The subtask watermark now; undefined until every active shard has a record. */
  current(): number | undefined {
    const now = this.now();
    let least: number | undefined;
    let active = 0;
    for (const shard of this.shards.values()) {
      if (shard.ended || this.isIdle(shard, now)) continue;
      active++;
      if (shard.watermark === undefined) return this.emitted;
      if (least === undefined || shard.watermark < least) least = shard.watermark;
    }
    if (active === 0 || least === undefined) return this.emitted;
    if (this.emitted === undefined || least > this.emitted) this.emitted = least;
    return this.emitted;
  }
}
