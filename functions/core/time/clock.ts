/**
 * Time and randomness as a parameter, so the runtime can run on a fake clock in tests.
 */
export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  /** Resolves after `ms` milliseconds of this clock's time; rejects early if the signal aborts. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

/** A source of uniform random numbers in [0, 1). */
export type Random = () => number;

/** The process's real clock. */
export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms, signal) =>
    new Promise<void>((resolve, reject) => {
      if (signal?.aborted) {
        reject(signal.reason);
        return;
      }
      const onAbort = () => {
        clearTimeout(timer);
        reject(signal?.reason);
      };
      const timer = setTimeout(
        () => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        },
        Math.max(0, ms),
      );
      signal?.addEventListener('abort', onAbort, { once: true });
    }),
};

/**
 * A manual clock for tests: time moves only when `advance` is called (or, with `autoAdvance`,
 * whenever every pending sleeper is waiting), so nothing really waits.
 */
export class FakeClock implements Clock {
  private current: number;
  private sleepers: { until: number; resolve: () => void; seq: number }[] = [];
  private seq = 0;
  private held = 0;
  private deferredAdvances = 0;

  constructor(
    start = Date.UTC(2026, 0, 1),
    private readonly options: { autoAdvance?: boolean } = {},
  ) {
    this.current = start;
  }

  now(): number {
    return this.current;
  }

  /** How many sleepers are waiting. */
  get pending(): number {
    return this.sleepers.length;
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    return new Promise<void>((resolve, reject) => {
      const onAbort = () => {
        this.sleepers = this.sleepers.filter((s) => s !== entry);
        reject(signal?.reason);
      };
      // A sleeper that wakes lets go of the signal, as the system clock's does.
      const wake = () => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      };
      const entry = { until: this.current + Math.max(0, ms), resolve: wake, seq: this.seq++ };
      this.sleepers.push(entry);
      signal?.addEventListener('abort', onAbort, { once: true });
      if (this.options.autoAdvance) {
        // Let other microtasks register their sleeps before jumping to the earliest wake-up.
        setImmediate(() => this.autoAdvanceOnce());
      }
    });
  }

  /**
   * With `autoAdvance`, keeps time still while `work` runs, so real I/O inside it (a call to a local
   * server) takes no fake time however long it really takes; the jumps it held back happen after.
   */
  async hold<T>(work: () => Promise<T>): Promise<T> {
    this.held++;
    try {
      return await work();
    } finally {
      if (--this.held === 0) {
        const deferred = this.deferredAdvances;
        this.deferredAdvances = 0;
        for (let i = 0; i < deferred; i++) setImmediate(() => this.autoAdvanceOnce());
      }
    }
  }

  private autoAdvanceOnce(): void {
    if (this.held > 0) this.deferredAdvances++;
    else this.advanceToNext();
  }

  /** Moves time forward by `ms`, waking every sleeper whose time has come, in order. */
  async advance(ms: number): Promise<void> {
    const target = this.current + ms;
    for (;;) {
      const next = this.earliest();
      if (!next || next.until > target) break;
      this.current = Math.max(this.current, next.until);
      this.sleepers = this.sleepers.filter((s) => s !== next);
      next.resolve();
      await flushMicrotasks();
    }
    this.current = target;
  }

  /** Jumps to the earliest pending wake-up, if any. */
  advanceToNext(): void {
    const next = this.earliest();
    if (!next) return;
    this.current = Math.max(this.current, next.until);
    this.sleepers = this.sleepers.filter((s) => s !== next);
    next.resolve();
  }

  private earliest() {
    let best: (typeof this.sleepers)[number] | undefined;
    for (const s of this.sleepers) {
      if (!best || s.until < best.until || (s.until === best.until && s.seq < best.seq)) best = s;
    }
    return best;
  }
}

async function flushMicrotasks(): Promise<void> {
  await new Promise<void>((resolve) => setImmediate(resolve));
}

/** A seeded pseudo-random source (mulberry32), for repeatable tests and benchmarks. */
export function seededRandom(seed: number): Random {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
