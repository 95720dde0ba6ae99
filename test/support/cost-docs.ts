// Renders the cost table of docs/consumer.md from estimateMonthlyCost, so a test holds the docs to the
// code. Print it with: npx tsx test/support/cost-docs.ts
import { CONSUMER_DEFAULTS } from '../../functions/core/config';
import { DEFAULT_COST_ASSUMPTIONS, estimateMonthlyCost, type CostSettings } from '../../tools/consumer-cost';

const ROWS: [string, string, CostSettings][] = [
  [
    'latency (default)',
    'any',
    { costMode: false, timeBudgetMillis: 50_000, idleReturnMillis: 5000, traffic: 'steady' },
  ],
  [
    'cost, idle return 5 s',
    'idle stream',
    { costMode: true, timeBudgetMillis: 50_000, idleReturnMillis: 5000, traffic: 'idle' },
  ],
  [
    'cost, idle return 5 s',
    'a record at least every 5 s',
    { costMode: true, timeBudgetMillis: 50_000, idleReturnMillis: 5000, traffic: 'steady' },
  ],
  [
    'cost, idle return 0 s',
    'idle stream',
    { costMode: true, timeBudgetMillis: 50_000, idleReturnMillis: 0, traffic: 'idle' },
  ],
];

const seconds = (millis: number) => `${(millis / 1000).toFixed(1)} s`;

/** The table: one row per mode and traffic. */
export function costTable(): string {
  const header =
    '| mode | traffic | billed per invocation | GB-s per month | cost per month per subtask | typical latency | worst latency |\n' +
    '|---|---|---|---|---|---|---|';
  const rows = ROWS.map(([mode, traffic, settings]) => {
    const e = estimateMonthlyCost(settings);
    return `| ${mode} | ${traffic} | ${seconds(e.billedMillisPerInvocation)} | ${Math.round(e.gbSecondsPerMonth).toLocaleString('en-US')} | $${e.total.toFixed(2)} | ${seconds(e.typicalLatencyMillis)} | ${seconds(e.worstLatencyMillis)} |`;
  });
  return [header, ...rows].join('\n');
}

/** The assumptions under the table. */
export function costAssumptions(): string {
  const a = DEFAULT_COST_ASSUMPTIONS;
  return (
    `Assumptions: ${a.memoryMb} MB arm64 function at $${a.pricePerGbSecond} per GB-s and ` +
    `$${a.pricePerMillionRequests.toFixed(2)} per million requests (us-east-1 list prices, free tier ignored); ` +
    `one invocation every ${a.schedulePeriodSeconds} s, ${((a.daysPerMonth * 86400) / a.schedulePeriodSeconds).toLocaleString('en-US')} a month (${a.daysPerMonth} days); ` +
    `time budget ${CONSUMER_DEFAULTS.timeBudgetMillis / 1000} s; ${a.startMillis / 1000} s from the start to the first read ` +
    `(the SSM lease's 2 s settle delay and start-up) and ${a.endMillis / 1000} s for the last checkpoint; a GetRecords ` +
    `interval of ${a.readIntervalMillis} ms.`
  );
}

if (require.main === module) console.log(`${costTable()}\n\n${costAssumptions()}`);
