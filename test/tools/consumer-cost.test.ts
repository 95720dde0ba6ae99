import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DEFAULT_COST_ASSUMPTIONS, estimateMonthlyCost } from '../../tools/consumer-cost';
import { CONTINUOUS_TIME_BUDGET_SECONDS } from '../../lib/construct-defaults';
import { costAssumptions, costTable } from '../support/cost-docs';

const latency = {
  costMode: false,
  timeBudgetMillis: 50_000,
  idleReturnMillis: 5000,
  traffic: 'idle',
} as const;

describe('estimateMonthlyCost', () => {
  it('bills a latency-mode invocation for its whole time budget, every minute of a 30-day month', () => {
    const e = estimateMonthlyCost(latency);
    expect(e.invocationsPerMonth).toBe(43_200);
    expect(e.billedMillisPerInvocation).toBe(50_500);
    // 43,200 invocations x 50.5 s x 0.5 GB
    expect(e.gbSecondsPerMonth).toBeCloseTo(1_090_800, 6);
    expect(e.computeCost).toBeCloseTo(1_090_800 * 0.0000133334, 9);
    expect(e.requestCost).toBeCloseTo(0.00864, 9);
    expect(e.worstLatencyMillis).toBe(60_000 - 50_000 + 2500 + 200);
  });

  it('bills a cost-mode invocation on an idle stream only until it has been idle long enough', () => {
    const e = estimateMonthlyCost({ ...latency, costMode: true });
    expect(e.billedMillisPerInvocation).toBe(2500 + 5000 + 500);
    expect(e.total).toBeCloseTo(43_200 * 8 * 0.5 * 0.0000133334 + 0.00864, 9);
    expect(e.worstLatencyMillis).toBe(60_000 - 7500 + 2500 + 200);
  });

  it('gives cost mode no saving while records keep arriving', () => {
    expect(estimateMonthlyCost({ ...latency, costMode: true, traffic: 'steady' }).total).toBe(
      estimateMonthlyCost(latency).total,
    );
  });

  it('bills continuous mode for the whole month, each handover’s overlap and every watchdog tick', () => {
    const e = estimateMonthlyCost({ ...latency, continuous: true, timeBudgetMillis: 840_000 });
    // A new invocation every 835 s (14 minutes less the 5 s lead), billed 840.5 s each.
    expect(e.invocationsPerMonth).toBeCloseTo(2_592_000 / 835, 9);
    expect(e.billedMillisPerInvocation).toBe(840_500);
    expect(e.gbSecondsPerMonth).toBeCloseTo(((2_592_000 / 835) * 840.5 + 43_200 * 0.1) * 0.5, 6);
    expect(e.requestCost).toBeCloseTo(((2_592_000 / 835 + 43_200) / 1e6) * 0.2, 12);
    expect(e.worstLatencyMillis).toBe(500 + 200);
  });

  it('lets cost mode keep its meaning in continuous mode: it returns early and never hands over', () => {
    expect(estimateMonthlyCost({ ...latency, continuous: true, costMode: true })).toEqual(
      estimateMonthlyCost({ ...latency, costMode: true }),
    );
  });

  it('scales with memory, schedule and price', () => {
    const base = estimateMonthlyCost(latency);
    const bigger = estimateMonthlyCost(latency, { ...DEFAULT_COST_ASSUMPTIONS, memoryMb: 1024 });
    expect(bigger.computeCost).toBeCloseTo(base.computeCost * 2, 9);
    const slower = estimateMonthlyCost(latency, { ...DEFAULT_COST_ASSUMPTIONS, schedulePeriodSeconds: 120 });
    expect(slower.invocationsPerMonth).toBe(21_600);
  });
});

describe('docs/consumer.md', () => {
  const doc = readFileSync(join(__dirname, '..', '..', 'docs', 'consumer.md'), 'utf8');
  it('holds the cost table and its assumptions as estimateMonthlyCost computes them (regenerate: npx tsx test/support/cost-docs.ts)', () => {
    expect(doc).toContain(costTable());
    expect(doc).toContain(costAssumptions());
  });
});

describe("README's comparison table", () => {
  const readme = readFileSync(join(__dirname, '..', '..', 'README.md'), 'utf8');
  it('quotes the monthly costs estimateMonthlyCost gives for continuous, scheduled and idle cost mode', () => {
    const row = readme.split('\n').find((line) => line.startsWith('| cost shape |')) ?? '';
    const dollars = (settings: Parameters<typeof estimateMonthlyCost>[0]) =>
      `$${estimateMonthlyCost(settings).total.toFixed(2)}`;
    const scheduled = {
      costMode: false,
      timeBudgetMillis: 50_000,
      idleReturnMillis: 5000,
      traffic: 'steady',
    } as const;
    const continuous = {
      ...scheduled,
      continuous: true,
      timeBudgetMillis: CONTINUOUS_TIME_BUDGET_SECONDS * 1000,
    } as const;
    const idle = (idleReturnMillis: number) =>
      ({ costMode: true, timeBudgetMillis: 50_000, idleReturnMillis, traffic: 'idle' }) as const;
    expect(row).toContain(`about ${dollars(continuous)} a month per subtask`);
    expect(row).toContain(`the scheduled design ${dollars(scheduled)}`);
    expect(row).toContain(`cost mode ${dollars(idle(0))} to ${dollars(idle(5000))} on an idle stream`);
  });
});
