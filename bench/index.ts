/**
 * `npm run bench [-- <filter>] [--report[=PATH]]`: runs every registered section whose name contains the
 * filter and prints each figure beside its anchor; with `--report`, also writes an HTML page charting
 * each figure beside its anchor (.bench/report.html unless PATH is given). Benchmarks are not tests;
 * nothing here runs in CI.
 * To add a section, write `bench/<name>.bench.ts` exporting `run(): Promise<BenchSection>` and
 * register it below.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { printSection, type BenchSection } from './harness';
import { renderBenchReport } from './report';

const DEFAULT_REPORT = path.join('.bench', 'report.html');

// The SDK warns once per process that its releases after January 2027 need Node.js 22 (the README says
// so); set before any section loads a client, it stays out of the figures (and the sections' children).
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const sections: Readonly<Record<string, () => Promise<{ run: () => Promise<BenchSection> }>>> = {
  'record-format/codec': () => import('./codec.bench'),
  'record-format/shard-map': () => import('./shard-map.bench'),
  consumer: () => import('./consumer.bench'),
  'consumer/bundle': () => import('./consumer-bundle.bench'),
  'exactly-once': () => import('./exactly-once.bench'),
  efo: () => import('./efo.bench'),
  'read-path': () => import('./read-path.bench'),
  'read-path/put-records': () => import('./read-path.bench').then((m) => ({ run: m.putRecords })),
  'producer/throughput': () => import('./producer.bench').then((m) => ({ run: m.throughput })),
  'producer/calls': () => import('./producer.bench').then((m) => ({ run: m.calls })),
  'producer/rate-limit': () => import('./producer.bench').then((m) => ({ run: m.rateLimit })),
  'producer/bundle': () => import('./producer.bench').then((m) => ({ run: m.bundle })),
  'producer-scale': () => import('./producer-scale.bench'),
};

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const reportArg = args.find((a) => a === '--report' || a.startsWith('--report='));
  const report = reportArg === undefined ? undefined : reportArg.slice('--report='.length) || DEFAULT_REPORT;
  const filter = args.find((a) => !a.startsWith('--'));
  const selected = Object.keys(sections).filter((name) => filter === undefined || name.includes(filter));
  if (selected.length === 0) {
    console.error(`No benchmark section matches "${filter}". Sections: ${Object.keys(sections).join(', ')}.`);
    process.exitCode = 1;
    return;
  }
  console.log(
    `Node ${process.version}, ${process.platform}/${process.arch}; sections: ${selected.join(', ')}`,
  );
  const results: BenchSection[] = [];
  for (const name of selected) {
    const section = await (await sections[name]!()).run();
    printSection(section);
    results.push(section);
  }
  if (report !== undefined) {
    const file = path.resolve(report);
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, await renderBenchReport(results, `npm run bench (Node ${process.version})`));
    console.log(`Report: ${file}`);
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
