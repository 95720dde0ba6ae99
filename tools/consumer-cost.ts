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
};

/** The consumer settings that decide an invocation's length. */
export interface CostSettings {
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
