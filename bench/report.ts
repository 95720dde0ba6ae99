import { renderHtmlReport, type Chart } from '../local/report/html';
import type { BenchSection } from './harness';

/** One bar of a section's chart: a figure or its anchor, with the ratio between them. */
export interface BenchBar {
  readonly figure: string;
  readonly series: 'measured' | 'anchor';
  readonly label: string;
  readonly value: number;
  readonly unit: string;
  readonly ratio?: number;
}

/** Each figure of a section beside its anchor (figures of one unit per chart, so bars compare). */
export function benchBars(section: BenchSection): BenchBar[] {
  return section.rows.flatMap((row) => {
    const ratio = row.anchor && row.anchor.value !== 0 ? row.value / row.anchor.value : undefined;
    // A figure may be judged against several anchors, one row each: the pair names the bars.
    const figure = row.anchor ? `${row.label} vs ${row.anchor.label}` : row.label;
    const measured: BenchBar = {
      figure,
      series: 'measured',
      label: row.label,
      value: row.value,
      unit: row.unit,
      ...(ratio !== undefined ? { ratio: Math.round(ratio * 100) / 100 } : {}),
    };
    return row.anchor
      ? [
          measured,
          {
            figure,
            series: 'anchor',
            label: row.anchor.label,
            value: row.anchor.value,
            unit: row.unit,
          },
        ]
      : [measured];
  });
}

function charts(section: BenchSection): Chart[] {
  const bars = benchBars(section);
  return [...new Set(bars.map((b) => b.unit))].map((unit) => ({
    title: `${section.title} (${unit})`,
    note:
      (section.notes ?? []).join(' ') || 'Each figure (dark) beside its anchor (light), with their ratio.',
    spec: {
      width: 680,
      data: { values: bars.filter((b) => b.unit === unit) },
      encoding: {
        y: { field: 'figure', type: 'nominal', title: null, sort: null, axis: { labelLimit: 420 } },
        yOffset: { field: 'series', sort: ['measured', 'anchor'] },
        x: { field: 'value', type: 'quantitative', title: unit },
      },
      layer: [
        {
          mark: { type: 'bar', height: { band: 0.4 } },
          encoding: {
            color: {
              field: 'series',
              type: 'nominal',
              title: null,
              scale: { domain: ['measured', 'anchor'], range: ['#4c78a8', '#9ecae9'] },
            },
            tooltip: [{ field: 'label' }, { field: 'value' }],
          },
        },
        {
          mark: { type: 'text', align: 'left', dx: 4, fontSize: 11 },
          encoding: {
            text: { field: 'ratio', format: '.2f' },
            opacity: { condition: { test: 'datum.ratio != null', value: 1 }, value: 0 },
          },
        },
      ],
    },
  }));
}

/** The benchmark results as one self-contained HTML page: per section, each figure beside its anchor. */
export function renderBenchReport(sections: readonly BenchSection[], heading: string): Promise<string> {
  return renderHtmlReport({
    title: heading,
    summary: sections.map((s) => [s.title, `${s.rows.length} figure(s)`] as const),
    charts: sections.flatMap(charts),
    data: sections.map((s) => ({ title: s.title, bars: benchBars(s) })),
  });
}
