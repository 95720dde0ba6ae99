import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KinesisClient, PutRecordCommand } from '@aws-sdk/client-kinesis';
import { DEFAULT_RUNNER_OPTIONS } from '../../local/runner/options';
import { runLocalPipeline, type ServingPipeline } from '../../local/runner/run';
import { serveUntilStopped } from '../../local/runner/serve';
import type { StartSummary } from '../../local/runner/summary';
import { runCli, type CliResult } from '../cli/cli-support';
import { jqPath, shellExamples, shellWords, type ShellExample } from '../support/doc-examples';

// Every shell example of docs/cli.md and of the README's Operations section, run as written against
// `npm start -- --serve`: the served pipeline's properties file is what the CLI reads, as it would find
// .skc/local.properties in the repository.
const EXAMPLES: ShellExample[] = [
  ...shellExamples('docs/cli.md'),
  ...shellExamples('README.md', 'Operations'),
];
// How the docs call the CLI; the test runs it in this process instead.
const CLI_PREFIXES = [['skc'], ['npx', 'skc'], ['npm', 'run', 'cli', '--'], ['npx', 'tsx', 'bin/cli.ts']];
// Files the examples read, made here.
const FIXTURES: Record<string, string> = {
  'orders.ndjson': '{"orderId":"f-1","amount":5}\n{"orderId":"f-2","amount":7}\n',
};

const directory = mkdtempSync(join(tmpdir(), 'skc-doc-examples-'));
const propertiesFile = join(directory, 'local.properties');
const stopServing = new AbortController();
let served: ServingPipeline | undefined;
let run: Promise<StartSummary> | undefined;
const variables: Record<string, string> = {};

beforeAll(async () => {
  for (const [name, text] of Object.entries(FIXTURES)) writeFileSync(join(directory, name), text);
  let ready: () => void = () => undefined;
  const serving = new Promise<void>((resolve) => (ready = resolve));
  run = runLocalPipeline(
    { ...DEFAULT_RUNNER_OPTIONS, records: 100, rate: 500, drainTimeoutSeconds: 40 },
    {
      progress: { write: () => undefined, interactive: false },
      dynamodb: true,
      serve: async (pipeline) => {
        served = pipeline;
        await serveUntilStopped(pipeline, {
          write: () => ready(),
          propertiesFile,
          signal: stopServing.signal,
        });
      },
    },
  );
  // A run that fails before it serves must fail the tests, not hang them.
  await Promise.race([serving, run.then(() => Promise.reject(new Error('The run ended without serving.')))]);
}, 120_000);

afterAll(async () => {
  stopServing.abort();
  const summary = await run?.catch(() => undefined);
  if (summary) rmSync(summary.logDirectory, { recursive: true, force: true });
  rmSync(directory, { recursive: true, force: true });
});

/** Splits the words of a pipeline at `|` and reads a `< file` redirection. */
function parse(text: string): { commands: string[][]; stdinFile?: string } {
  const commands: string[][] = [[]];
  let stdinFile: string | undefined;
  const tokens = shellWords(text, variables);
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i];
    if (!token) continue;
    if ('operator' in token && token.operator === '|') commands.push([]);
    else if ('operator' in token) {
      const next = tokens[++i];
      if (!next || !('word' in next)) throw new Error(`< needs a file in: ${text}`);
      stdinFile = next.word;
    } else commands[commands.length - 1]?.push(token.word);
  }
  return { commands, ...(stdinFile !== undefined ? { stdinFile } : {}) };
}

function cliArgs(words: readonly string[]): string[] | undefined {
  for (const prefix of CLI_PREFIXES) {
    if (prefix.every((p, i) => words[i] === p)) {
      // A file an example names is the fixture of that name.
      return words.slice(prefix.length).map((w) => {
        if (w === '.skc/local.properties') return propertiesFile;
        return FIXTURES[w] !== undefined ? join(directory, w) : w;
      });
    }
  }
  return undefined;
}

/** Runs one pipeline of the CLI and jq; a `--follow` command runs until a record it was sent comes out. */
async function runLine(text: string): Promise<CliResult> {
  const { commands, stdinFile } = parse(text);
  const [first, ...rest] = commands;
  const args = cliArgs(first ?? []);
  if (!args) throw new Error(`Not a CLI command: ${text}`);
  const env = { SKC_PROPERTIES: propertiesFile };
  const stdin = stdinFile !== undefined ? readFileSync(join(directory, stdinFile), 'utf8') : '';
  let result: CliResult;
  if (args.includes('--follow') || args.includes('-f')) {
    const stop = new AbortController();
    let printed = '';
    const running = runCli(args, {
      env,
      stdin,
      signal: stop.signal,
      onStdout: (chunk) => (printed += chunk),
    });
    const kinesis = served?.aws.clients.client('kinesis', KinesisClient);
    // From LATEST, only records that arrive after the iterator was taken come out: keep writing until one does.
    for (let i = 0; printed === '' && i < 100; i++) {
      await kinesis?.send(
        new PutRecordCommand({
          StreamName: 'orders',
          Data: Buffer.from('{"orderId":"follow"}'),
          PartitionKey: 'f',
        }),
      );
      await Promise.race([running, new Promise((resolve) => setTimeout(resolve, 300))]);
    }
    stop.abort();
    result = await running;
    expect(result.stdout).toContain('follow');
  } else {
    result = await runCli(args, { env, stdin });
  }
  for (const next of rest) {
    if (next[0] !== 'jq') throw new Error(`Only jq may follow a pipe here: ${text}`);
    result = { ...result, stdout: jqPath(next.slice(1), result.stdout) };
  }
  return result;
}

describe('every shell example of docs/cli.md and the README Operations section runs against npm start -- --serve', () => {
  it.each(EXAMPLES.map((e) => [`${e.file}:${e.line}: ${e.text}`, e] as const))('%s', async (_, example) => {
    const text = example.text;
    // The example that starts the servers is what this test's setup does.
    if (/^npm (start|run local)\b/.test(text)) return;
    const assignment = /^([A-Z_][A-Z0-9_]*)=\$\((.*)\)$/.exec(text);
    const result = await runLine(assignment ? (assignment[2] as string) : text);
    // The whole stderr in the comparison, so a failure shows the CLI's message.
    expect({ code: result.code, error: result.stderr.match(/^skc: .*$/m)?.[0] }).toEqual({
      code: 0,
      error: undefined,
    });
    expect(result.stdout.trim()).not.toBe('');
    if (assignment) variables[assignment[1] as string] = result.stdout.trim();
  });

  it('covers the examples of every command, and the jq filters print real values', () => {
    const texts = EXAMPLES.map((e) => e.text).join('\n');
    for (const command of ['status', 'reset', 'tail', 'put', 'send']) expect(texts).toContain(` ${command} `);
    expect(variables.SEQUENCE).toMatch(/^\d+$/);
  });
});
