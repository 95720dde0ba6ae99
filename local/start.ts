// `npm start`: the example pipeline on this machine (local/runner/). `npm start -- --help` lists the options.
import { mkdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { CommanderError } from 'commander';
import { describeError } from '../functions/core/errors';
import { renderRunReport } from './report/run-report';
import { parseRunnerOptions } from './runner/options';
import { runLocalPipeline } from './runner/run';
import { serveUntilStopped } from './runner/serve';
import { formatSummary, resultLine, type StartSummary } from './runner/summary';
import type { RunTimelineData } from './runner/timeline';

/** The exit code of a run stopped with Ctrl-C and no record missing (128 + SIGINT, as shells report it). */
const INTERRUPTED_EXIT_CODE = 130;

async function main(): Promise<number> {
  // The SDK warns once per process that its releases after January 2027 need Node.js 22 (the README
  // says so); in the middle of the progress output it would only alarm.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  let options;
  try {
    options = parseRunnerOptions(process.argv.slice(2), {
      writeOut: (text) => process.stdout.write(text),
      writeErr: (text) => process.stderr.write(text),
    });
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : 2;
    process.stderr.write(`${describeError(error)}\n`);
    return 2;
  }
  // With --json, stdout carries only the summary; progress goes to stderr.
  const progressStream = options.json ? process.stderr : process.stdout;
  const interactive = Boolean(progressStream.isTTY) && !process.env.CI && !options.plain;
  // Ctrl-C stops the run (with a summary) or, once it is serving, the serving.
  const interrupt = new AbortController();
  const stopServing = new AbortController();
  let serving = false;
  process.on('SIGINT', () => (serving ? stopServing : interrupt).abort());
  let timeline: RunTimelineData | undefined;
  try {
    const print = async (summary: StartSummary) => {
      const reportPath = await writeReport(summary, timeline, options.report);
      const text = options.json
        ? `${JSON.stringify({ ...summary, report: reportPath }, null, 2)}\n`
        : formatSummary(summary, [['report', reportPath]]);
      process.stdout.write(text);
    };
    let printed = false;
    const summary = await runLocalPipeline(options, {
      progress: { write: (text) => progressStream.write(text), interactive },
      signal: interrupt.signal,
      onTimeline: (recorded) => (timeline = recorded),
      dynamodb: options.serve,
      ...(options.serve
        ? {
            serve: async (pipeline) => {
              await print(pipeline.summary);
              printed = true;
              serving = true;
              await serveUntilStopped(pipeline, {
                write: (text) => progressStream.write(text),
                signal: stopServing.signal,
              });
            },
          }
        : {}),
    });
    if (!printed) await print(summary);
    if (!summary.ok) return 1;
    return summary.interrupted ? INTERRUPTED_EXIT_CODE : 0;
  } catch (error) {
    process.stderr.write(`The local run failed: ${describeError(error)}\n`);
    return 2;
  }
}

/** Writes the HTML report of the run and returns its path. */
async function writeReport(
  summary: StartSummary,
  timeline: RunTimelineData | undefined,
  requested: string | undefined,
): Promise<string> {
  if (!timeline) return '-';
  const file = path.resolve(requested ?? path.join(summary.logDirectory, 'report.html'));
  const latency = summary.latencyMillis;
  const html = await renderRunReport(timeline, {
    title: `npm start: ${summary.recordsIn.toLocaleString('en-US')} records, ${summary.durationSeconds.toFixed(1)} s`,
    summary: [
      ['result', resultLine(summary).replace(/^RESULT /, '')],
      ['records in / out', `${summary.recordsIn} / ${summary.recordsOut}`],
      ['missing', String(summary.missing)],
      ['duplicates', String(summary.duplicates)],
      ['latency p50 / p99 / max', latency ? `${latency.p50} / ${latency.p99} / ${latency.max} ms` : '-'],
      ['consumer invocations', String(summary.consumer.invocations)],
      ['options', describeOptions(summary)],
    ],
  });
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, html);
  return file;
}

function describeOptions(summary: StartSummary): string {
  const o = summary.options;
  return (
    `--records ${o.records} --rate ${o.rate} --streams ${o.streams} --shards ${o.shards} --parallelism ${o.parallelism}` +
    `${o.reshard ? ` --reshard ${o.reshard}` : ''}${o.crash ? ' --crash' : ''} --time-scale ${o.timeScale}`
  );
}

void main().then((code) => {
  // Exit at once: nothing is left to wait for, and an SDK socket kept alive must not hold the process.
  process.exit(code);
});
