/**
 * A fault switch for a local server, so tests can produce what the real service does under load:
 * throttle the next N calls, fail a fraction of calls, add latency.
 */
export interface FaultPlan {
  /** Operations the plan applies to; all when absent. */
  readonly operations?: readonly string[];
  /** Throttle this many of the next matching calls. */
  readonly throttleNext?: number;
  /** Fail this fraction (0 to 1) of matching calls with a 500 InternalFailure. */
  readonly failFraction?: number;
  /** Delay every matching call by this many milliseconds of real time. */
  readonly latencyMillis?: number;
}

export type FaultDecision =
  | { readonly kind: 'none'; readonly latencyMillis: number }
  | { readonly kind: 'throttle'; readonly latencyMillis: number }
  | { readonly kind: 'fail'; readonly latencyMillis: number };

export class FaultSwitch {
  private plan: FaultPlan = {};
  private throttlesLeft = 0;

  constructor(private readonly random: () => number = Math.random) {}

  /** Replaces the current plan. */
  set(plan: FaultPlan): void {
    this.plan = plan;
    this.throttlesLeft = plan.throttleNext ?? 0;
  }

  /** Removes every fault. */
  clear(): void {
    this.set({});
  }

  /** Decides what happens to one call of `operation`. */
  decide(operation: string): FaultDecision {
    const applies = !this.plan.operations || this.plan.operations.includes(operation);
    const latencyMillis = applies ? (this.plan.latencyMillis ?? 0) : 0;
    if (!applies) return { kind: 'none', latencyMillis };
    if (this.throttlesLeft > 0) {
      this.throttlesLeft--;
      return { kind: 'throttle', latencyMillis };
    }
    if (this.plan.failFraction && this.random() < this.plan.failFraction) {
      return { kind: 'fail', latencyMillis };
    }
    return { kind: 'none', latencyMillis };
  }
}
