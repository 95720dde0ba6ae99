import { spawn } from 'node:child_process';
import * as path from 'node:path';
import { DEFAULT_RUNNER_OPTIONS } from '../../local/runner/options';
import { runLocalPipeline } from '../../local/runner/run';
import { formatSummary, type StartSummary } from '../../local/runner/summary';

const ROOT = path.join(__dirname, '..', '..');

describe('npm start in-process, non-interactive', () => {
  let summary: StartSummary;
  let output = '';

  beforeAll(async () => {
    summary = await runLocalPipeline(
      {
        ...DEFAULT_RUNNER_OPTIONS,
        records: 2000,
        shards: 2,
        parallelism: 2,
        reshard: 'split',
        crash: true,
        drainTimeoutSeconds: 40,
        progressIntervalSeconds: 1,
      },
      { progress: { write: (text) => (output += text), interactive: false } },
    );
  }, 90_000);

  it('gets every record out through a resharding and a consumer crash: none missing', () => {
    expect(summary).toMatchObject({
      ok: true,
      recordsIn: 2000,
      recordsOut: 2000,
      missing: 0,
      missingIds: [],
      rejected: 0,
      deadLettered: 0,
      onFailure: 0,
      unknown: 0,
    });
    expect(summary.written).toBeGreaterThanOrEqual(2000);
  });

  it('split a shard of the first stream halfway, and the consumer read the children', () => {
    expect(summary.reshard).toMatchObject({
      kind: 'split',
      stream: 'orders',
      parents: [expect.stringMatching(/^shardId-/)],
      children: [expect.stringMatching(/^shardId-/), expect.stringMatching(/^shardId-/)],
    });
    const children = summary.shards.filter((s) => summary.reshard?.children.includes(s.shardId));
    expect(children).toHaveLength(2);
    for (const child of children) expect(child.consumed).toBeGreaterThan(0);
    const parent = summary.shards.find((s) => s.shardId === summary.reshard?.parents[0]);
    expect(parent).toMatchObject({ closed: true, lag: 0 });
  });

  it('killed the consumer inside a batch and restarted it from its checkpoints: that batch came again', () => {
    expect(summary.crash?.recordsInBatch).toBeGreaterThan(0);
    expect(summary.consumer.crashed).toBeGreaterThanOrEqual(1);
    expect(summary.consumer.coldStarts).toBe(2);
    // The killed batch was never checkpointed, so each of its records was delivered again.
    expect(summary.duplicates).toBeGreaterThanOrEqual(summary.crash?.recordsInBatch ?? Infinity);
    expect(summary.checkpointWrites).toBeGreaterThan(0);
  });

  it("ran the local Kinesis with Kinesis's write limits and reported throttled entries and shard utilisation", () => {
    const limits = summary.writeLimits;
    expect(limits).toBeDefined();
    expect(limits?.acceptedEntries).toBeGreaterThan(0);
    expect(limits?.throttledEntries).toBeGreaterThanOrEqual(0);
    expect(limits?.shards.length).toBeGreaterThanOrEqual(2);
    for (const shard of limits?.shards ?? []) {
      expect(shard.utilisation).toBeGreaterThanOrEqual(0);
      expect(shard.utilisation).toBeLessThanOrEqual(1.01);
    }
    expect(formatSummary(summary)).toMatch(/^ {2}throttled entries +\d+/m);
    expect(formatSummary(summary)).toMatch(/^ {2}shard utilisation +orders\/shardId-\d+ \d+ %/m);
  });

  it('measured end-to-end latency', () => {
    const latency = summary.latencyMillis;
    expect(latency).not.toBeNull();
    expect(latency?.p50).toBeGreaterThan(0);
    expect(latency?.p50).toBeLessThanOrEqual(latency?.p99 ?? 0);
    expect(latency?.p99).toBeLessThanOrEqual(latency?.max ?? 0);
  });

  it('printed plain progress lines and the events, with no terminal control codes', () => {
    expect(output).not.toContain('\x1b[');
    expect(output).toMatch(/^\[\d+\.\d s\] sending: sent \d+\/2000 written \d+ consumed \d+/m);
    expect(output).toMatch(/resharding: split orders shardId-\d+ -> shardId-\d+ \+ shardId-\d+/);
    expect(output).toMatch(/consumer crashed inside a batch of \d+/);
    expect(formatSummary(summary)).toMatch(
      new RegExp(
        `^RESULT ok in=2000 out=2000 missing=0 duplicates=${summary.duplicates} p50=\\d+ms p99=\\d+ms$`,
        'm',
      ),
    );
  });
});

interface Run {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

function run(command: string, args: string[]): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: ROOT, env: { ...process.env, CI: 'true' } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('npm start as a command', () => {
  it('runs `npm start -- --records 200`, ends with the result line and exits 0', async () => {
    const result = await run('npm', ['start', '--', '--records', '200', '--plain']);
    expect({ code: result.code, stderr: result.code === 0 ? '' : result.stderr }).toEqual({
      code: 0,
      stderr: '',
    });
    expect(result.stdout).toMatch(/^RESULT ok in=200 out=200 missing=0 duplicates=\d+ p50=\d+ms p99=\d+ms$/m);
    expect(result.stdout).toMatch(/^ {2}missing {16}0$/m);
  }, 60_000);

  it('prints only the summary as JSON on stdout with --json, progress on stderr', async () => {
    const result = await run('npx', ['tsx', 'local/start.ts', '--records', '100', '--json']);
    expect(result.code).toBe(0);
    const parsed = JSON.parse(result.stdout) as StartSummary;
    expect(parsed).toMatchObject({ ok: true, recordsIn: 100, recordsOut: 100, missing: 0 });
    expect(result.stderr).toMatch(/consumer pinned its start positions/);
  }, 60_000);

  it('refuses a bad option with exit code 2, naming the option and what is allowed', async () => {
    const result = await run('npx', ['tsx', 'local/start.ts', '--records', '0']);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/--records <n>.*'0' is invalid.*from 1 to 1,000,000/);
    expect(result.stdout).toBe('');
  }, 30_000);
});
