import os from 'node:os';
import { KinesisClient } from '@aws-sdk/client-kinesis';
import { CONSUMER_DEFAULTS } from '../functions/core/config/consumer-settings';
import { systemClock } from '../functions/core/time/clock';
import { startLocalAws, type LocalAws } from '../local/harness';
import { createStreamAndWait } from '../local/kinesis/streams';
import { Chain, trickle } from '../local/runner/subtask-chain';
import type { BenchRow, BenchSection } from './harness';

/**
 * Continuous mode against the scheduled design, in real time on the local servers (kinesalite behind
 * the fault proxy, the SSM server for checkpoints and leases), one subtask of one shard each, the same
 * record trickle into each, both runs at once (so both see the same load). Nothing is compressed that
 * the runtime paces: GetRecords every 200 ms (the default), the SSM lease's 2 s settle delay, the
 * default 20 s lease expiry and its 3 s margin, the default 5 s handover lead.
 *
 * The scheduled design runs at its deployed proportions: a tick every 60 s, each invocation reading
 * for 50 s. Continuous invocations read for 60 s each, where a deployed one reads for 14 minutes: a
 * boundary costs the same time whatever the invocation's length, so this run has 14 times a deployed
 * consumer's boundaries per hour, and its no-reader share is 14 times a deployment's; the per-boundary
 * gap is printed so it can be scaled. The 60 s schedule stays as the continuous chain's watchdog.
 * Partway through, the reading continuous invocation is killed (every later call of it never returns):
 * whoever runs next once its lease expires takes over; that takeover is reported apart from the boundaries.
 */

const RUN_SECONDS = 420;
const TICK_MILLIS = 60_000;
const SCHEDULED_BUDGET_MILLIS = 50_000;
const CONTINUOUS_BUDGET_MILLIS = 60_000;
const DEPLOYED_CONTINUOUS_BUDGET_MILLIS = 14 * 60_000;
/** When the continuous run's reader is killed: mid-read, between two boundaries. */
const CRASH_AT_MILLIS = 150_000;
const LEAD_MILLIS = CONSUMER_DEFAULTS.handoverLeadMillis;
const EXPIRY_MILLIS = CONSUMER_DEFAULTS.leaseExpiryMillis;
const SETTLE_MILLIS = CONSUMER_DEFAULTS.leaseSettleMillis;
const READ_INTERVAL_MILLIS = CONSUMER_DEFAULTS.getRecords.intervalMillis;
const PUT_EVERY_MILLIS = 50;
/** Left out at the start: both runs' first start-up. */
const WARMUP_MILLIS = 3000;

interface Measured {
  /** Time no invocation had a GetRecords call open, as a share of the run's wall time (crash window excluded). */
  readonly noReaderShare: number;
  readonly latencies: number[];
  /** Continuous run only: from the kill to the takeover's first read, and how long of it the lease was live. */
  readonly takeover?: { readonly millis: number; readonly leaseLiveMillis: number };
  readonly duplicates: number;
  readonly missing: number;
  /** No-reader time at each change of reader (crash takeover left out), ms, ascending. */
  readonly gaps: number[];
}

async function measure(aws: LocalAws, name: string, continuous: boolean): Promise<Measured> {
  const stream = `bench-${name}`;
  await createStreamAndWait(aws.clients.client('kinesis', KinesisClient), stream, 1);
  const delivered = new Map<string, number>();
  let duplicates = 0;
  let stopping = false;
  const chain = new Chain({
    aws,
    store: 'ssm',
    storeName: `/bench/${name}`,
    stream,
    onBatch: (records, at) => {
      for (const record of records) {
        if (delivered.has(record.data)) duplicates++;
        else delivered.set(record.data, at);
      }
    },
    continuous,
    readerIntervalMillis: READ_INTERVAL_MILLIS,
    budgetMillis: continuous ? CONTINUOUS_BUDGET_MILLIS : SCHEDULED_BUDGET_MILLIS,
    leadMillis: LEAD_MILLIS,
    expiryMillis: EXPIRY_MILLIS,
    settleMillis: SETTLE_MILLIS,
    maxInvocations: Number.MAX_SAFE_INTEGER,
    successor: () => (stopping ? { kind: 'never' } : { kind: 'prompt' }),
  });
  const producer = trickle(aws, stream, PUT_EVERY_MILLIS);
  const startedAt = Date.now();
  const stop = new AbortController();
  // The schedule: a tick at once, then every TICK_MILLIS.
  const ticks = (async () => {
    for (let n = 0; !stop.signal.aborted; n++) {
      await chain.invoke({}, { final: !continuous });
      const next = startedAt + (n + 1) * TICK_MILLIS;
      await systemClock.sleep(Math.max(0, next - Date.now()), stop.signal).catch(() => undefined);
    }
  })();
  let crash: { at: number; id: string } | undefined;
  if (continuous) {
    await systemClock.sleep(CRASH_AT_MILLIS);
    const reading = chain.invocations.filter((i) => i.outcome === undefined && i.reads.length > 0).pop();
    if (reading) {
      chain.freeze(reading.id);
      crash = { at: Date.now(), id: reading.id };
    }
  }
  await systemClock.sleep(Math.max(0, startedAt + RUN_SECONDS * 1000 - Date.now()));
  stopping = true;
  stop.abort();
  await ticks;
  const sent = await producer.stop();
  const endedAt = Date.now();
  await chain.settle();
  for (let tick = 0; tick < 3 && sent.some((d) => !delivered.has(d)); tick++) {
    await chain.invoke({}, { final: true });
    await chain.settle();
  }

  const spans = chain.readSpans();
  const takeover = crash && spans.find((s) => s.from > (crash as { at: number }).at);
  const excluded = crash && takeover ? { from: crash.at, to: takeover.from } : undefined;
  const noReader = uncovered(
    spans.map((s) => ({ from: s.from, to: Math.min(s.to, endedAt) })),
    startedAt + WARMUP_MILLIS,
    endedAt,
    excluded,
  );
  const window = endedAt - (startedAt + WARMUP_MILLIS) - (excluded ? excluded.to - excluded.from : 0);
  const latencies: number[] = [];
  for (const data of sent) {
    const sentAt = producer.sentAt.get(data) as number;
    const at = delivered.get(data);
    if (at === undefined || sentAt < startedAt + WARMUP_MILLIS) continue;
    if (excluded && sentAt >= excluded.from - 1000 && sentAt <= excluded.to) continue;
    latencies.push(at - sentAt);
  }
  latencies.sort((a, b) => a - b);
  return {
    noReaderShare: noReader / window,
    latencies,
    ...(excluded && crash
      ? {
          takeover: {
            millis: excluded.to - excluded.from,
            leaseLiveMillis: Math.max(0, lastBeatBefore(chain.beats, crash.at) + EXPIRY_MILLIS - crash.at),
          },
        }
      : {}),
    duplicates,
    missing: sent.filter((d) => !delivered.has(d)).length,
    gaps: chain
      .gaps()
      .filter((_gap, i) => !(takeover && spans[i + 1] === takeover))
      .sort((a, b) => a - b),
  };
}

/** The last heartbeat (lease taken or renewed) at or before `at`. */
function lastBeatBefore(beats: readonly { at: number }[], at: number): number {
  return Math.max(...beats.filter((b) => b.at <= at).map((b) => b.at));
}

/** Milliseconds of [from, to) that no span covers, leaving out `excluded`. */
function uncovered(
  spans: readonly { from: number; to: number }[],
  from: number,
  to: number,
  excluded?: { from: number; to: number },
): number {
  const covering = [...spans, ...(excluded ? [excluded] : [])].sort((a, b) => a.from - b.from);
  let gap = 0;
  let at = from;
  for (const span of covering) {
    if (span.to <= at) continue;
    if (span.from >= to) break;
    if (span.from > at) gap += span.from - at;
    at = Math.max(at, span.to);
  }
  if (at < to) gap += to - at;
  return gap;
}

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? NaN;
}

export async function run(): Promise<BenchSection> {
  const aws = await startLocalAws({ kinesis: true, ssm: true });
  try {
    const load = os.loadavg();
    const [scheduled, continuous] = await Promise.all([
      measure(aws, 'scheduled', false),
      measure(aws, 'continuous', true),
    ]);
    const loadAfter = os.loadavg();
    const pct = (share: number) => Math.round(share * 10_000) / 100;
    const gapP50 = percentile(continuous.gaps, 50);
    const gapMax = percentile(continuous.gaps, 100);
    const scale = CONTINUOUS_BUDGET_MILLIS / DEPLOYED_CONTINUOUS_BUDGET_MILLIS;
    const rows: BenchRow[] = [
      {
        label: 'no reader, share of wall time',
        value: pct(continuous.noReaderShare),
        unit: '%',
        anchor: { label: 'scheduled design', value: pct(scheduled.noReaderShare) },
        target: { maxValue: 1 },
      },
      {
        label: 'put-to-handler latency p50 across boundaries',
        value: percentile(continuous.latencies, 50),
        unit: 'ms',
        anchor: { label: 'scheduled design', value: percentile(scheduled.latencies, 50) },
        target: { maxValue: 300 },
      },
      {
        label: 'put-to-handler latency p99 across boundaries',
        value: percentile(continuous.latencies, 99),
        unit: 'ms',
        anchor: { label: 'scheduled design', value: percentile(scheduled.latencies, 99) },
        target: { maxValue: 1000 },
      },
      {
        label: 'no-reader gap per boundary, p50',
        value: gapP50,
        unit: 'ms',
        anchor: { label: 'scheduled design', value: percentile(scheduled.gaps, 50) },
      },
      {
        label: 'no-reader gap per boundary, max',
        value: gapMax,
        unit: 'ms',
        anchor: { label: 'scheduled design', value: percentile(scheduled.gaps, 100) },
      },
    ];
    return {
      title: 'Continuous mode against the scheduled design, real time, local servers (SSM leases)',
      rows,
      notes: [
        `${RUN_SECONDS} s, both runs at once, a record every ${PUT_EVERY_MILLIS} ms into each; GetRecords every ` +
          `${READ_INTERVAL_MILLIS} ms; lease expiry ${EXPIRY_MILLIS / 1000} s, SSM settle ${SETTLE_MILLIS / 1000} s, ` +
          `handover lead ${LEAD_MILLIS / 1000} s (defaults, not compressed); load average ${load.map((l) => l.toFixed(1)).join(' ')} ` +
          `before, ${loadAfter.map((l) => l.toFixed(1)).join(' ')} after`,
        `scheduled design at its deployed proportions: a tick every ${TICK_MILLIS / 1000} s, ${SCHEDULED_BUDGET_MILLIS / 1000} s of reading each`,
        `continuous invocations read ${CONTINUOUS_BUDGET_MILLIS / 1000} s each (${DEPLOYED_CONTINUOUS_BUDGET_MILLIS / 60_000} minutes deployed): ` +
          `${Math.round(1 / scale)} times a deployment's boundaries per hour; at 14 minutes the same gaps give a no-reader ` +
          `share of about ${pct(continuous.noReaderShare * scale)} % (p50 gap ${gapP50} ms / 840 s = ${((gapP50 / 840_000) * 100).toFixed(3)} %)`,
        `continuous: ${continuous.gaps.length} handovers and ${continuous.takeover ? 'one takeover' : 'no takeover'}, ` +
          `${continuous.latencies.length} records measured, ` +
          `max ${percentile(continuous.latencies, 100)} ms, ${continuous.duplicates} duplicates, ${continuous.missing} missing; ` +
          `no-reader gap per handover ${continuous.gaps.join(', ')} ms`,
        `scheduled: ${scheduled.gaps.length} changes of reader, ${scheduled.latencies.length} records measured, ` +
          `max ${percentile(scheduled.latencies, 100)} ms, ${scheduled.duplicates} duplicates, ${scheduled.missing} missing; ` +
          `no-reader gap per boundary ${scheduled.gaps.join(', ')} ms`,
        continuous.takeover !== undefined
          ? `crash at ${CRASH_AT_MILLIS / 1000} s (the reading invocation killed mid-read): taken over after ` +
            `${(continuous.takeover.millis / 1000).toFixed(1)} s, of which its lease was still live ` +
            `${(continuous.takeover.leaseLiveMillis / 1000).toFixed(1)} s (decided by the lease expiry) and the rest ` +
            `waited for the next ${TICK_MILLIS / 1000} s tick (the watchdog); that window, and the records sent in it, ` +
            'is left out of the rows above'
          : 'crash: no invocation was reading at the kill point',
      ],
    };
  } finally {
    await aws.stop();
  }
}
