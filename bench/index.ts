/**
 * `npm run bench [-- <filter>]`: runs every registered section whose name contains the filter and
 * prints each figure beside its anchor. Benchmarks are not tests; nothing here runs in CI.
 * To add a section, write `bench/<name>.bench.ts` exporting `run(): Promise<BenchSection>` and
 * register it below.
 */
import { printSection, type BenchSection } from './harness';

const sections: Readonly<Record<string, () => Promise<{ run: () => Promise<BenchSection> }>>> = {
  'record-format/codec': () => import('./codec.bench'),
  'record-format/shard-map': () => import('./shard-map.bench'),
  consumer: () => import('./consumer.bench'),
  'consumer/bundle': () => import('./consumer-bundle.bench'),
  'read-path': () => import('./read-path.bench'),
  'read-path/put-records': () => import('./read-path.bench').then((m) => ({ run: m.putRecords })),
  'producer/throughput': () => import('./producer.bench').then((m) => ({ run: m.throughput })),
  'producer/calls': () => import('./producer.bench').then((m) => ({ run: m.calls })),
  'producer/rate-limit': () => import('./producer.bench').then((m) => ({ run: m.rateLimit })),
  'producer/bundle': () => import('./producer.bench').then((m) => ({ run: m.bundle })),
  'producer-scale': () => import('./producer-scale.bench'),
};

async function main(): Promise<void> {
  const filter = process.argv[2];
  const selected = Object.keys(sections).filter((name) => filter === undefined || name.includes(filter));
  if (selected.length === 0) {
    console.error(`No benchmark section matches "${filter}". Sections: ${Object.keys(sections).join(', ')}.`);
    process.exitCode = 1;
    return;
  }
  console.log(
    `Node ${process.version}, ${process.platform}/${process.arch}; sections: ${selected.join(', ')}`,
  );
  for (const name of selected) {
    const section = await (await sections[name]!()).run();
    printSection(section);
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
