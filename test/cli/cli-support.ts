import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Readable, Writable } from 'node:stream';
import { run } from '../../cli/program';
import type { CliIo } from '../../cli/io';
import type { LocalAws, LocalAwsOptions } from '../../local/harness';
import { useLocalAws } from '../support/local-aws';

export interface CliResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export interface RunOptions {
  /** What stdin holds; it ends after this text. @default '' */
  readonly stdin?: string | Readable;
  /** @default false */
  readonly isTTY?: boolean;
  /** @default {} (no AWS_REGION: the local flags give the region) */
  readonly env?: Record<string, string | undefined>;
  readonly signal?: AbortSignal;
  /** Called with each chunk written to stdout, as it is written. */
  readonly onStdout?: (chunk: string) => void;
}

function capture(onChunk?: (chunk: string) => void): { stream: Writable; text: () => string } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer | string, _encoding, callback) {
      const text = chunk.toString();
      chunks.push(text);
      onChunk?.(text);
      callback();
    },
  });
  return { stream, text: () => chunks.join('') };
}

/** Runs the CLI in this process, as `skc <argv>` would, and returns its exit code and output. */
export async function runCli(argv: readonly string[], options: RunOptions = {}): Promise<CliResult> {
  const stdout = capture(options.onStdout);
  const stderr = capture();
  const stdin =
    options.stdin instanceof Readable ? options.stdin : Readable.from([Buffer.from(options.stdin ?? '')]);
  const io: CliIo = {
    stdout: stdout.stream,
    stderr: stderr.stream,
    stdin,
    env: options.env ?? {},
    isTTY: options.isTTY ?? false,
    ...(options.signal ? { signal: options.signal } : {}),
  };
  const code = await run(argv, io);
  return { code, stdout: stdout.text(), stderr: stderr.text() };
}

/** A stdin that stays open until the test writes to it (a person at a terminal). */
export function interactiveStdin(): PassThrough {
  return new PassThrough();
}

/**
 * A properties file with the dummy credentials the local servers accept, as an operator would keep
 * one for local mode; removed by `remove()`.
 */
export function localProperties(extra: Record<string, string> = {}): { path: string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'skc-cli-'));
  const path = join(dir, 'local.properties');
  const lines = {
    'aws.credentials.provider': 'BASIC',
    'aws.credentials.provider.basic.accesskeyid': 'local',
    'aws.credentials.provider.basic.secretkey': 'local',
    ...extra,
  };
  writeFileSync(
    path,
    Object.entries(lines)
      .map(([k, v]) => `${k}=${v}`)
      .join('\n'),
  );
  return { path, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** The global flags that point the CLI at the local servers. */
export function localFlags(aws: LocalAws, propertiesPath: string): string[] {
  const flags = ['--region', aws.region, '--properties', propertiesPath];
  for (const [service, endpoint] of Object.entries(aws.endpoints)) {
    if (['kinesis', 'ssm', 'sqs', 'dynamodb'].includes(service))
      flags.push(`--${service}-endpoint`, endpoint);
  }
  return flags;
}

/**
 * The CLI on the local servers for one test file: starts the servers (`useLocalAws`), writes a
 * properties file removed after the file's tests, and runs `skc` with the flags that point at both.
 */
export function useLocalCli(options: LocalAwsOptions) {
  const aws = useLocalAws(options);
  const properties = localProperties();
  afterAll(() => properties.remove());
  const flags = () => localFlags(aws(), properties.path);
  const skc = (args: readonly string[], runOptions?: RunOptions) => runCli([...flags(), ...args], runOptions);
  return { aws, properties, flags, skc };
}
