import { reportDataOf } from '../../local/report/html';
import { benchBars, renderBenchReport } from '../../bench/report';
import type { BenchSection } from '../../bench/harness';

const section: BenchSection = {
  title: 'Record format: shard prediction',
  rows: [
    { label: 'shardFor', value: 1500, unit: 'ns/key', anchor: { label: 'BigInt lookup', value: 4500 } },
    { label: 'shardFor', value: 1500, unit: 'ns/key', anchor: { label: 'MD5 hex alone', value: 1500 } },
    { label: 'bundle', value: 120, unit: 'KiB' },
  ],
};

describe('npm run bench -- --report', () => {
  it('puts each figure beside each of its anchors with their ratio', () => {
    expect(benchBars(section)).toEqual([
      {
        figure: 'shardFor vs BigInt lookup',
        series: 'measured',
        label: 'shardFor',
        value: 1500,
        unit: 'ns/key',
        ratio: 0.33,
      },
      {
        figure: 'shardFor vs BigInt lookup',
        series: 'anchor',
        label: 'BigInt lookup',
        value: 4500,
        unit: 'ns/key',
      },
      {
        figure: 'shardFor vs MD5 hex alone',
        series: 'measured',
        label: 'shardFor',
        value: 1500,
        unit: 'ns/key',
        ratio: 1,
      },
      {
        figure: 'shardFor vs MD5 hex alone',
        series: 'anchor',
        label: 'MD5 hex alone',
        value: 1500,
        unit: 'ns/key',
      },
      { figure: 'bundle', series: 'measured', label: 'bundle', value: 120, unit: 'KiB' },
    ]);
  });

  it('draws one chart per unit, as inline SVG, with the figures embedded', async () => {
    const html = await renderBenchReport([section], 'bench');
    expect(html.match(/<svg[\s>]/g)).toHaveLength(2);
    expect(reportDataOf(html)).toEqual([{ title: section.title, bars: benchBars(section) }]);
  });
});
