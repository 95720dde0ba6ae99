import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { DEFAULT_RUNNER_OPTIONS } from '../../local/runner/options';
import { runLocalPipeline } from '../../local/runner/run';
import { formatSummary, type StartSummary } from '../../local/runner/summary';

// npm start -- --real-time, in process: no time compression, the consumer continuous as deployed, each
// invocation starting its successor with an asynchronous Invoke through its own Lambda client, answered
// by the local Lambda endpoint. Short invocations (10 s, less the 5 s lead) give several handovers in a
// short run; the schedule ticks once a minute, so every invocation after the first came from a successor
// start.

describe('npm start -- --real-time', () => {
  let summary: StartSummary;

  beforeAll(async () => {
    summary = await runLocalPipeline(
      {
        ...DEFAULT_RUNNER_OPTIONS,
        realTime: true,
        timeScale: 1,
        invocationSeconds: 10,
        records: 250,
        rate: 10,
        drainTimeoutSeconds: 30,
        progressIntervalSeconds: 5,
      },
      { progress: { write: () => true, interactive: false } },
    );
  }, 90_000);

  afterAll(() => {
    if (summary) rmSync(summary.logDirectory, { recursive: true, force: true });
  });

  it('reads every record with a continuous chain of invocations started by their predecessors', () => {
    // Where records stopped, should any be missing: unwritten (the producer) or written and unread (the
    // consumer's chain); the summary also says what each function's invocations did.
    if (summary.missing !== 0) console.error(`${formatSummary(summary)}\n${producerWarnings(summary)}`);
    expect(summary).toMatchObject({ ok: true, recordsIn: 250, written: 250, recordsOut: 250, missing: 0 });
    // One tick (the first) in a run this short; the rest were successors.
    expect(summary.durationSeconds).toBeLessThan(60);
    expect(summary.consumer.completed).toBeGreaterThanOrEqual(2);
    expect(summary.consumer.failed).toBe(0);
  });

  it('reports, per subtask, the time with no reader and put-to-handler latency across the handovers', () => {
    const [subtask] = summary.continuity?.subtasks ?? [];
    expect(summary.continuity?.invocationSeconds).toBe(10);
    expect(subtask?.boundaries).toBeGreaterThanOrEqual(2);
    expect(subtask?.noReaderShare).toBeGreaterThan(0);
    expect(subtask?.noReaderShare).toBeLessThan(1);
    expect(subtask?.gapMillis?.max).toBeGreaterThanOrEqual(subtask?.gapMillis?.p50 ?? Infinity);
    expect(subtask?.latencyMillis?.p99).toBeGreaterThanOrEqual(subtask?.latencyMillis?.p50 ?? Infinity);
    expect(formatSummary(summary)).toMatch(
      /subtask 0 continuity +no reader \d+\.\d\d % of \d+ s, \d+ reader changes \(gap p50 [\d,]+ ms, max [\d,]+ ms\); put-to-handler p50 [\d,]+ ms, p99 [\d,]+ ms/,
    );
  });
});

/** The producer's warnings of a run (why it left records unwritten), for a failure's message. */
function producerWarnings(summary: StartSummary): string {
  const log = join(summary.logDirectory, 'producer.log');
  if (!existsSync(log)) return 'no producer log';
  return readFileSync(log, 'utf8')
    .split('\n')
    .filter((line) => line.includes('WARN') || line.includes('ERROR'))
    .slice(0, 20)
    .join('\n');
}
