import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';

/** One chart of a report: a Vega-Lite specification with its title and a sentence on what it shows. */
export interface Chart {
  readonly title: string;
  readonly note: string;
  readonly spec: object;
}

export interface HtmlReport {
  readonly title: string;
  /** Label and value rows shown above the charts. */
  readonly summary: readonly (readonly [string, string])[];
  readonly charts: readonly Chart[];
  /** The figures the charts draw, embedded as JSON so a script (or a test) can read them back. */
  readonly data: unknown;
}

/** The id of the script element holding the report's data. */
export const REPORT_DATA_ELEMENT_ID = 'report-data';

const CONFIG = {
  font: 'system-ui, -apple-system, "Segoe UI", Roboto, sans-serif',
  axis: { labelFontSize: 11, titleFontSize: 12, gridColor: '#eee' },
  legend: { labelFontSize: 11, titleFontSize: 11 },
  view: { stroke: '#ddd' },
} as const;

/** Renders a Vega-Lite specification to an SVG string in Node, with no browser and no network. */
export async function renderSvg(spec: object): Promise<string> {
  const compiled = compile({ ...spec, config: CONFIG, background: 'white' } as TopLevelSpec).spec;
  // No loader: every chart's data is inline, so nothing may be fetched.
  const view = new vega.View(vega.parse(compiled), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/** One HTML page holding every chart as inline SVG, the summary, and the data: it opens offline. */
export async function renderHtmlReport(report: HtmlReport): Promise<string> {
  const sections: string[] = [];
  for (const chart of report.charts) {
    sections.push(
      `<section><h2>${escape(chart.title)}</h2><p class="note">${escape(chart.note)}</p>` +
        `<figure>${await renderSvg(chart.spec)}</figure></section>`,
    );
  }
  const rows = report.summary
    .map(([label, value]) => `<tr><th>${escape(label)}</th><td>${escape(value)}</td></tr>`)
    .join('');
  // `<` is escaped so no value can close the script element.
  const json = JSON.stringify(report.data).replace(/</g, '\\u003c');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>${escape(report.title)}</title>
<style>
  body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 24px 32px; color: #222; }
  h1 { font-size: 22px; margin: 0 0 12px; }
  h2 { font-size: 16px; margin: 28px 0 4px; }
  p.note { margin: 0 0 8px; color: #555; font-size: 13px; max-width: 1100px; }
  table.summary { border-collapse: collapse; font-size: 13px; }
  table.summary th { text-align: left; font-weight: 600; padding: 2px 16px 2px 0; }
  table.summary td { font-variant-numeric: tabular-nums; padding: 2px 0; }
  figure { margin: 0; }
</style>
</head>
<body>
<h1>${escape(report.title)}</h1>
<table class="summary">${rows}</table>
${sections.join('\n')}
<script type="application/json" id="${REPORT_DATA_ELEMENT_ID}">${json}</script>
</body>
</html>
`;
}

/** The data a report embeds, read back from its HTML. */
export function reportDataOf(html: string): unknown {
  const match = new RegExp(
    `<script type="application/json" id="${REPORT_DATA_ELEMENT_ID}">([\\s\\S]*?)</script>`,
  ).exec(html);
  if (!match) throw new Error('The HTML holds no report data.');
  return JSON.parse(match[1] as string) as unknown;
}

function escape(text: string): string {
  return text.replace(
    /[&<>"]/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c] as string,
  );
}
