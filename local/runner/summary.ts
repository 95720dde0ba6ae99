import type { ContinuitySummary } from './continuity';
import type { LatencyPercentiles, ShardCounts } from './ledger';
import type { RunnerOptions } from './options';
import type { Resharding } from './resharding';

/** What `npm start` reports at the end of a run. */
export interface StartSummary {
  /** No sent record is missing. */
  readonly ok: boolean;
  /** Records the producer's queue accepted. */
  readonly recordsIn: number;
  /** Distinct records the consumer delivered. */
  readonly recordsOut: number;
  /** Records sent and never delivered (must be 0); after an interruption, those neither queued nor written. */
  readonly missing: number;
  /** The run was stopped early (Ctrl-C): records still on their way are counted apart from missing ones. */
  readonly interrupted: boolean;
  /** After an interruption: records still in the producer's queue, not yet written. */
  readonly stillQueued: number;
  /** After an interruption: records written to a stream and not yet read by the consumer. */
  readonly unread: number;
  /** Deliveries beyond the first of a record (a crash or a retried write makes some). */
  readonly duplicates: number;
  /** Send to first delivery; null when nothing was delivered. */
  readonly latencyMillis: LatencyPercentiles | null;
  /** User records written to the streams (more than recordsIn when a write was retried). */
  readonly written: number;
  /** Records `ProducerClient` refused or could not send. */
  readonly rejected: number;
  /** Messages in the producer's dead-letter queue at the end. */
  readonly deadLettered: number;
  /** Messages in the consumer's on-failure queue at the end (records it could not deliver). */
  readonly onFailure: number;
  /** Deliveries of data the run did not send. */
  readonly unknown: number;
  readonly durationSeconds: number;
  readonly options: RunnerOptions;
  readonly producer: {
    readonly invocations: number;
    readonly batchItemFailures: number;
    readonly errors: number;
    readonly timeouts: number;
  };
  readonly consumer: {
    readonly invocations: number;
    readonly completed: number;
    /** Another invocation held the subtask's lease. */
    readonly skipped: number;
    readonly failed: number;
    readonly timedOut: number;
    /** Invocations that died with a crashed sandbox. */
    readonly crashed: number;
    /** Invocations still running when the run ended (their sandbox was stopped). */
    readonly stopped: number;
    readonly coldStarts: number;
    /** Fork to ready of each cold start of the consumer's worker process. */
    readonly coldStartMillis: readonly number[];
  };
  readonly checkpointWrites: number;
  /** A real-time run's continuous consumer: per subtask, time with no reader and put-to-handler latency. */
  readonly continuity?: ContinuitySummary;
  readonly reshard?: Resharding & { readonly atSeconds: number };
  readonly crash?: { readonly atSeconds: number; readonly recordsInBatch: number };
  readonly shards: readonly ShardCounts[];
  /** The first missing ids, at most 20. */
  readonly missingIds: readonly string[];
  /** Where the functions' logs are. */
  readonly logDirectory: string;
  /** What the local Kinesis's write limits did; absent when they were off. */
  readonly writeLimits?: WriteLimitsSummary;
}

/** Entries the shards' write limits refused, and how much of each shard's limits the run used. */
export interface WriteLimitsSummary {
  /** PutRecords entries (and PutRecord calls) failed with ProvisionedThroughputExceededException. */
  readonly throttledEntries: number;
  /** Entries the shards accepted. */
  readonly acceptedEntries: number;
  /**
   * Per shard written: the larger of its records and bytes shares of the limits, from its first
   * write to its last.
   */
  readonly shards: readonly {
    readonly stream: string;
    readonly shardId: string;
    readonly utilisation: number;
  }[];
}

const number = (n: number) => n.toLocaleString('en-US');

/**
 * The one line a script or test can look for: `RESULT ok in=... out=... missing=... duplicates=... p50=...ms
 * p99=...ms`; after Ctrl-C, `RESULT interrupted in=... out=... queued=... unread=... missing=...` (FAILED
 * whenever a record is missing).
 */
export function resultLine(s: StartSummary): string {
  const latency = s.latencyMillis
    ? `p50=${s.latencyMillis.p50}ms p99=${s.latencyMillis.p99}ms`
    : 'p50=- p99=-';
  const verdict = !s.ok ? 'FAILED' : s.interrupted ? 'interrupted' : 'ok';
  const onTheirWay = s.interrupted ? ` queued=${s.stillQueued} unread=${s.unread}` : '';
  return `RESULT ${verdict} in=${s.recordsIn} out=${s.recordsOut}${onTheirWay} missing=${s.missing} duplicates=${s.duplicates} ${latency}`;
}

/** The summary as text: the figures that judge the run first, then what happened along the way. */
export function formatSummary(s: StartSummary, extra: readonly (readonly [string, string])[] = []): string {
  const lines: string[] = [];
  const row = (label: string, value: string) => lines.push(`  ${label.padEnd(22)} ${value}`);
  lines.push('', 'Summary');
  row('records in', number(s.recordsIn));
  row('records out', number(s.recordsOut));
  if (s.interrupted) {
    row('still queued', `${number(s.stillQueued)} (stopped early: in the producer's queue, not yet written)`);
    row('written, not yet read', number(s.unread));
  }
  row('missing', `${number(s.missing)}${s.missing === 0 ? '' : '  <- must be 0'}`);
  row('duplicates', number(s.duplicates));
  row('latency p50', s.latencyMillis ? `${number(s.latencyMillis.p50)} ms` : '-');
  row('latency p99', s.latencyMillis ? `${number(s.latencyMillis.p99)} ms` : '-');
  lines.push('');
  row('written to Kinesis', number(s.written));
  if (s.rejected > 0) row('refused by the client', number(s.rejected));
  row('dead-lettered', number(s.deadLettered));
  row('on-failure queue', number(s.onFailure));
  row(
    'producer invocations',
    `${number(s.producer.invocations)} (batch item failures ${s.producer.batchItemFailures}, errors ${s.producer.errors}, timeouts ${s.producer.timeouts})`,
  );
  const c = s.consumer;
  row(
    'consumer invocations',
    `${number(c.invocations)} (completed ${c.completed}, skipped ${c.skipped}, failed ${c.failed}, timed out ${c.timedOut}, lost in a crash ${c.crashed}, cut short at the end ${c.stopped})`,
  );
  row(
    'consumer cold starts',
    `${c.coldStarts} (${c.coldStartMillis.map((ms) => `${number(ms)} ms`).join(', ') || '-'})`,
  );
  row('checkpoints written', number(s.checkpointWrites));
  if (s.continuity) {
    row('continuous invocations', `read ${s.continuity.invocationSeconds} s each (14 minutes deployed)`);
    for (const t of s.continuity.subtasks) {
      const gaps = t.gapMillis
        ? `gap p50 ${number(t.gapMillis.p50)} ms, max ${number(t.gapMillis.max)} ms`
        : 'no gap';
      const latency = t.latencyMillis
        ? `put-to-handler p50 ${number(t.latencyMillis.p50)} ms, p99 ${number(t.latencyMillis.p99)} ms`
        : 'nothing delivered';
      row(
        `subtask ${t.subtaskIndex} continuity`,
        `no reader ${(100 * t.noReaderShare).toFixed(2)} % of ${(t.windowMillis / 1000).toFixed(0)} s, ` +
          `${t.boundaries} reader changes (${gaps}); ${latency}`,
      );
    }
  }
  if (s.writeLimits) {
    const w = s.writeLimits;
    const attempted = w.throttledEntries + w.acceptedEntries;
    const share =
      attempted > 0 ? ` (${((100 * w.throttledEntries) / attempted).toFixed(1)} % of entries)` : '';
    row('throttled entries', `${number(w.throttledEntries)}${share}`);
    row(
      'shard utilisation',
      w.shards.map((u) => `${u.stream}/${u.shardId} ${(100 * u.utilisation).toFixed(0)} %`).join(', ') || '-',
    );
  }
  if (s.reshard) {
    const r = s.reshard;
    row(
      'resharding',
      `${r.kind} at ${r.atSeconds.toFixed(1)} s: ${r.stream} ${r.parents.join(' + ')} -> ${r.children.join(' + ')}`,
    );
  }
  if (s.crash) {
    row(
      'consumer crash',
      `at ${s.crash.atSeconds.toFixed(1)} s, inside a batch of ${s.crash.recordsInBatch}`,
    );
  } else if (s.options.crash) {
    row('consumer crash', 'asked for, but no batch came after the halfway point');
  }
  if (s.unknown > 0) row('unknown deliveries', number(s.unknown));
  if (s.missingIds.length > 0) row('first missing', s.missingIds.join(', '));
  row('duration', `${s.durationSeconds.toFixed(1)} s`);
  row('logs', s.logDirectory);
  for (const [label, value] of extra) row(label, value);
  lines.push('', resultLine(s));
  return `${lines.join('\n')}\n`;
}
