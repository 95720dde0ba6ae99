import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import * as path from 'node:path';
import { reportDataOf } from '../../local/report/html';
import { renderRunReport, runReportData, type RunReportData } from '../../local/report/run-report';
import { percentile } from '../../local/runner/ledger';
import { DEFAULT_RUNNER_OPTIONS } from '../../local/runner/options';
import { runLocalPipeline } from '../../local/runner/run';
import { formatSummary, type StartSummary } from '../../local/runner/summary';
import type { RunTimelineData } from '../../local/runner/timeline';

const ROOT = path.join(__dirname, '..', '..');

describe('npm start in-process, non-interactive', () => {
  let summary: StartSummary;
  let timeline: RunTimelineData | undefined;
  let output = '';
  const warnings: Error[] = [];
  const onWarning = (warning: Error) => warnings.push(warning);

  beforeAll(async () => {
    process.on('warning', onWarning);
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
      {
        progress: { write: (text) => (output += text), interactive: false },
        onTimeline: (recorded) => (timeline = recorded),
      },
    );
  }, 90_000);

  afterAll(() => {
    process.off('warning', onWarning);
    if (summary) rmSync(summary.logDirectory, { recursive: true, force: true });
  });

  it("left no listener warning in this process or in the functions' logs (a listener per shard or poll once did)", () => {
    const logs = readdirSync(summary.logDirectory)
      .filter((name) => name.endsWith('.log'))
      .map((name) => readFileSync(path.join(summary.logDirectory, name), 'utf8'));
    expect(logs.length).toBeGreaterThan(0);
    expect(warnings.filter((w) => w.name === 'MaxListenersExceededWarning').map((w) => w.message)).toEqual(
      [],
    );
    expect(logs.filter((text) => text.includes('MaxListenersExceededWarning'))).toEqual([]);
  });

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

  it('recorded a timeline whose report agrees with the ledger: counts, latencies, invocations, events', async () => {
    if (!timeline) throw new Error('No timeline was recorded.');
    const data = runReportData(timeline);
    expect({ sent: data.sent, delivered: data.delivered }).toEqual({
      sent: summary.recordsIn,
      delivered: summary.recordsOut,
    });
    const total = (series: string) =>
      data.throughput.filter((row) => row.series === series).reduce((sum, row) => sum + row.records, 0);
    expect(total('in (sent)')).toBe(summary.recordsIn);
    expect(total('out (delivered)')).toBe(summary.recordsOut);
    const sorted = [...data.latencies].sort((a, b) => a - b);
    expect({
      p50: percentile(sorted, 0.5),
      p99: percentile(sorted, 0.99),
      max: sorted.at(-1),
    }).toEqual(summary.latencyMillis);
    // Each second's p50 <= p90 <= p99.
    for (const second of new Set(data.latencyOverTime.map((row) => row.second))) {
      const at = data.latencyOverTime.filter((row) => row.second === second).map((row) => row.millis);
      expect(at).toEqual([...at].sort((a, b) => a - b));
    }
    expect(data.invocations).toHaveLength(summary.consumer.invocations);
    expect(data.invocations.filter((i) => i.status === 'crashed')).toHaveLength(summary.consumer.crashed);
    expect(data.events.map((e) => e.kind).sort()).toEqual(['crash', 'reshard']);
    const shards = new Set(data.recordsBehind.map((row) => row.shard));
    expect(shards.size).toBe(summary.shards.length);
    // The last sample of each shard's backlog matches the ledger's lag at the end (0: all consumed).
    expect(data.recordsBehind.filter((row) => row.records < 0)).toEqual([]);
    expect(data.backlog.length).toBeGreaterThan(5);

    const html = await renderRunReport(timeline, { title: 'test run', summary: [['records', '2000']] });
    expect(reportDataOf(html) as RunReportData).toEqual(JSON.parse(JSON.stringify(data)));
    expect(html.match(/<svg[\s>]/g)).toHaveLength(7);
    // Self-contained: nothing to fetch, no script to run.
    expect(html).not.toMatch(/<script(?![^>]*type="application\/json")|<link|<img|src=|@import/);
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

// Each spawned run's log directory (which holds its report), from its summary; removed after the tests.
const logDirectories: string[] = [];
afterAll(() => {
  for (const directory of logDirectories) rmSync(directory, { recursive: true, force: true });
});

function run(
  command: string,
  args: string[],
  onStdout?: (text: string, child: ReturnType<typeof spawn>) => void,
): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: ROOT,
      env: { ...process.env, CI: 'true' },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      onStdout?.(stdout, child);
    });
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      const logs = /^ {2}logs +(\S.*)$/m.exec(stdout)?.[1] ?? /"logDirectory": "([^"]+)"/.exec(stdout)?.[1];
      if (logs !== undefined) logDirectories.push(logs);
      resolve({ code, stdout, stderr });
    });
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
    // The report's path is printed, and the file is one page with its charts.
    const report = /^ {2}report +(\S.*)$/m.exec(result.stdout)?.[1] as string;
    expect(path.dirname(report)).toBe(logDirectories.at(-1));
    expect(readFileSync(report, 'utf8')).toMatch(/^<!doctype html>[\s\S]*<svg[\s\S]*<\/html>\n$/);
  }, 60_000);

  it('on Ctrl-C counts the records still queued or unread apart from missing ones, and does not fail for them', async () => {
    let interrupted = false;
    // node itself (not npx) gets the SIGINT, as the terminal would send it to the foreground process.
    const result = await run(
      process.execPath,
      ['--import', 'tsx', 'local/start.ts', '--records', '100000', '--rate', '500', '--plain'],
      (stdout, child) => {
        if (!interrupted && /sending: sent [1-9]/.test(stdout)) {
          interrupted = true;
          child.kill('SIGINT');
        }
      },
    );
    const line = /^RESULT (\w+) in=(\d+) out=(\d+) queued=(\d+) unread=(\d+) missing=(\d+) /m.exec(
      result.stdout,
    );
    expect({ code: result.code, verdict: line?.[1], missing: line?.[6] }).toEqual({
      code: 130,
      verdict: 'interrupted',
      missing: '0',
    });
    const [sent, out, queued, unread] = [2, 3, 4, 5].map((i) => Number(line?.[i]));
    expect((out as number) + (queued as number) + (unread as number)).toBe(sent);
    expect(result.stdout).toMatch(/^ {2}still queued {11}[\d,]+ \(stopped early/m);
  }, 90_000);

  it('printed where each run left its logs, so the tests remove them', () => {
    expect(logDirectories.length).toBeGreaterThanOrEqual(2);
    for (const directory of logDirectories) {
      expect(path.basename(directory)).toMatch(/^skc-start-/);
      expect(existsSync(directory)).toBe(true);
    }
  });

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
