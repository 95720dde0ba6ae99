import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DEFAULT_COST_ASSUMPTIONS, estimateMonthlyCost } from '../../tools/consumer-cost';
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
