import { systemClock, type Clock } from '../../functions/core/time/clock';

/** The event each schedule of `KinesisConsumer` sends its subtask. */
export interface SubtaskEvent {
  readonly subtaskIndex: number;
  readonly parallelism: number;
}

export interface SubtaskScheduleOptions {
  /** How often every subtask is invoked (the deployed period divided by the time scale). */
  readonly periodMillis: number;
  readonly parallelism: number;
  /**
   * Invokes one subtask, asynchronously as EventBridge Scheduler does: the schedule does not wait for
   * one invocation before the next tick, and an invocation's failure is the invoker's to record.
   */
  readonly invoke: (event: SubtaskEvent) => Promise<unknown>;
  /** @default systemClock */
  readonly clock?: Clock;
}

/**
 * The consumer's schedules on a compressed clock: every `periodMillis`, counted from `start` so ticks do
 * not drift, each subtask is invoked with `{ subtaskIndex, parallelism }`, all subtasks at the same tick
 * as rate schedules created together fire. The first tick is at `start` (a deployed rate schedule's
 * first comes one period after it is created; locally there is no reason to wait).
 */
export class SubtaskSchedule {
  private readonly clock: Clock;
  private stopping: AbortController | undefined;
  private loop: Promise<void> | undefined;
  private readonly inFlight = new Set<Promise<unknown>>();
  /** Ticks so far. */
  ticks = 0;

  constructor(private readonly options: SubtaskScheduleOptions) {
    this.clock = options.clock ?? systemClock;
    if (!Number.isInteger(options.parallelism) || options.parallelism < 1) {
      throw new RangeError(`parallelism is ${options.parallelism}; it must be an integer of 1 or more.`);
    }
    if (!(options.periodMillis > 0)) {
      throw new RangeError(`periodMillis is ${options.periodMillis}; it must be more than 0.`);
    }
  }

  start(): void {
    if (this.loop) return;
    const controller = new AbortController();
    this.stopping = controller;
    this.loop = this.run(controller.signal);
  }

  /** Stops ticking; with `waitForInvocations`, also waits for the invocations already started. */
  async stop(waitForInvocations = false): Promise<void> {
    this.stopping?.abort();
    await this.loop;
    this.loop = undefined;
    if (waitForInvocations) await Promise.allSettled([...this.inFlight]);
  }

  private async run(signal: AbortSignal): Promise<void> {
    const startedAt = this.clock.now();
    while (!signal.aborted) {
      this.tick();
      const next = startedAt + this.ticks * this.options.periodMillis;
      try {
        await this.clock.sleep(Math.max(0, next - this.clock.now()), signal);
      } catch {
        return;
      }
    }
  }

  private tick(): void {
    this.ticks++;
    const { parallelism } = this.options;
    for (let subtaskIndex = 0; subtaskIndex < parallelism; subtaskIndex++) {
      const invocation = this.options.invoke({ subtaskIndex, parallelism }).catch(() => undefined);
      this.inFlight.add(invocation);
      void invocation.finally(() => this.inFlight.delete(invocation));
    }
  }
}
