// `npm start`: the example pipeline on this machine (local/runner/). `npm start -- --help` lists the options.
import { CommanderError } from 'commander';
import { describeError } from '../functions/core/errors';
import { parseRunnerOptions } from './runner/options';
import { runLocalPipeline } from './runner/run';
import { formatSummary } from './runner/summary';

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
  const interrupt = new AbortController();
  process.once('SIGINT', () => interrupt.abort());
  try {
    const summary = await runLocalPipeline(options, {
      progress: { write: (text) => progressStream.write(text), interactive },
      signal: interrupt.signal,
    });
    process.stdout.write(options.json ? `${JSON.stringify(summary, null, 2)}\n` : formatSummary(summary));
    return summary.ok ? 0 : 1;
  } catch (error) {
    process.stderr.write(`The local run failed: ${describeError(error)}\n`);
    return 2;
  }
}

void main().then((code) => {
  // Exit at once: nothing is left to wait for, and an SDK socket kept alive must not hold the process.
  process.exit(code);
});
