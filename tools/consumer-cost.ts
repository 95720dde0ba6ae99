/** What a month of one subtask's invocations costs depends on these; the defaults are stated in docs/consumer.md. */
export interface CostAssumptions {
  /** @default 512 */
  readonly memoryMb: number;
  /** Lambda arm64 compute price, USD per GB-second (us-east-1, first tier). @default 0.0000133334 */
  readonly pricePerGbSecond: number;
  /** USD per million requests. @default 0.2 */
  readonly pricePerMillionRequests: number;
  /** The schedule's period. @default 60 */
  readonly schedulePeriodSeconds: number;
  /** @default 30 */
  readonly daysPerMonth: number;
  /** Time from the invocation's start until reading starts: the SSM lease's settle delay and start-up. @default 2500 */
  readonly startMillis: number;
  /** Time after reading stops: the last delivery, checkpoint and lease release. @default 500 */
  readonly endMillis: number;
  /** The GetRecords interval, the wait of a record that arrives while a shard is being read. @default 200 */
  readonly readIntervalMillis: number;
  /** Continuous mode: how long before its budget ends an invocation starts its successor. @default 5000 */
  readonly handoverLeadMillis: number;
  /**
   * Continuous mode: time billed for a watchdog tick that finds the chain alive and leaves (one lease
   * read and the handler's own work; Lambda bills at least 1 ms). @default 100
   */
  readonly watchdogTickMillis: number;
  /**
   * Continuous mode: time from the predecessor's last read to the successor's first (final checkpoint,
   * handover, claim, first GetRecords), which a record arriving then waits on top of the read interval.
   * @default 500
   */
  readonly handoverGapMillis: number;
}

export const DEFAULT_COST_ASSUMPTIONS: CostAssumptions = {
  memoryMb: 512,
  pricePerGbSecond: 0.0000133334,
  pricePerMillionRequests: 0.2,
  schedulePeriodSeconds: 60,
  daysPerMonth: 30,
  startMillis: 2500,
  endMillis: 500,
  readIntervalMillis: 200,
  handoverLeadMillis: 5000,
  watchdogTickMillis: 100,
  handoverGapMillis: 500,
};

/** The consumer settings that decide an invocation's length. */
export interface CostSettings {
  /** Continuous mode: a chain of invocations that hand over, the schedule as the watchdog. @default false */
  readonly continuous?: boolean;
  readonly costMode: boolean;
  readonly timeBudgetMillis: number;
  readonly idleReturnMillis: number;
  /** Whether records keep arriving (at least every idleReturnMillis) or the stream is idle. */
  readonly traffic: 'steady' | 'idle';
}

export interface CostEstimate {
  readonly invocationsPerMonth: number;
  readonly billedMillisPerInvocation: number;
  readonly gbSecondsPerMonth: number;
  /** USD. */
  readonly computeCost: number;
  /** USD. */
  readonly requestCost: number;
  /** USD per month per subtask. */
  readonly total: number;
  /** Typical time from a record's arrival to its delivery while an invocation reads, ms. */
  readonly typicalLatencyMillis: number;
  /** Worst time from arrival to delivery: a record that arrives just after reading stops, ms. */
  readonly worstLatencyMillis: number;
}

/**
 * The Lambda cost of one subtask for a month, and the latency it gives. An invocation reads from its
 * start (after `startMillis`) until its time budget, or, in cost mode on an idle stream, until it has
 * been caught up for `idleReturnMillis`; a record that arrives after it stops waits for the next tick.
 */
export function estimateMonthlyCost(
  settings: CostSettings,
  assumptions: CostAssumptions = DEFAULT_COST_ASSUMPTIONS,
): CostEstimate {
  if (settings.continuous && !settings.costMode) return continuousCost(settings, assumptions);
  const a = assumptions;
  const periodMillis = a.schedulePeriodSeconds * 1000;
  const invocationsPerMonth = (a.daysPerMonth * 86_400) / a.schedulePeriodSeconds;
  const returnsEarly = settings.costMode && settings.traffic === 'idle';
  // The budget counts from the invocation's start, so the start-up comes out of it.
  const readStopsAt = returnsEarly
    ? Math.min(settings.timeBudgetMillis, a.startMillis + settings.idleReturnMillis)
    : settings.timeBudgetMillis;
  const billedMillisPerInvocation = readStopsAt + a.endMillis;
  const gbSecondsPerMonth = invocationsPerMonth * (billedMillisPerInvocation / 1000) * (a.memoryMb / 1024);
  const computeCost = gbSecondsPerMonth * a.pricePerGbSecond;
  const requestCost = (invocationsPerMonth / 1e6) * a.pricePerMillionRequests;
  return {
    invocationsPerMonth,
    billedMillisPerInvocation,
    gbSecondsPerMonth,
    computeCost,
    requestCost,
    total: computeCost + requestCost,
    typicalLatencyMillis: a.readIntervalMillis,
    worstLatencyMillis: periodMillis - readStopsAt + a.startMillis + a.readIntervalMillis,
  };
}

/**
 * Continuous mode: the chain starts an invocation every `timeBudget - lead` (each starts its successor
 * `lead` before its budget ends), each billed for its budget and the end; every watchdog tick finds the
 * chain alive and leaves. `invocationsPerMonth` and `billedMillisPerInvocation` are the chain's; the
 * ticks come on top in the totals.
 */
function continuousCost(settings: CostSettings, a: CostAssumptions): CostEstimate {
  const monthMillis = a.daysPerMonth * 86_400_000;
  const invocationsPerMonth = monthMillis / (settings.timeBudgetMillis - a.handoverLeadMillis);
  const ticksPerMonth = (a.daysPerMonth * 86_400) / a.schedulePeriodSeconds;
  const billedMillisPerInvocation = settings.timeBudgetMillis + a.endMillis;
  const gb = a.memoryMb / 1024;
  const gbSecondsPerMonth =
    ((invocationsPerMonth * billedMillisPerInvocation + ticksPerMonth * a.watchdogTickMillis) / 1000) * gb;
  const computeCost = gbSecondsPerMonth * a.pricePerGbSecond;
  const requestCost = ((invocationsPerMonth + ticksPerMonth) / 1e6) * a.pricePerMillionRequests;
  return {
    invocationsPerMonth,
    billedMillisPerInvocation,
    gbSecondsPerMonth,
    computeCost,
    requestCost,
    total: computeCost + requestCost,
    typicalLatencyMillis: a.readIntervalMillis,
    worstLatencyMillis: a.handoverGapMillis + a.readIntervalMillis,
  };
}
