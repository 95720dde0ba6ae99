import { KinesisClient } from '@aws-sdk/client-kinesis';
import { systemClock } from '../functions/core/time/clock';
import { startLocalAws, type LocalAws } from '../local/harness';
import { createStreamAndWait } from '../local/kinesis/streams';
import { Chain, trickle } from '../local/runner/subtask-chain';
import type { BenchRow, BenchSection } from './harness';

/**
 * Continuous mode against the scheduled design, in real time on the local servers (kinesalite behind
 * the fault proxy, the SSM server for checkpoints and leases), one subtask of one shard each, the same
 * record trickle into both. Nothing is compressed that the runtime paces: GetRecords every 200 ms, the
 * SSM lease's 2 s settle delay, a 10 s lease expiry (the setting's least) and its 3 s margin. The
 * schedule is shortened with its proportions kept: a tick every 12 s (60 s deployed), the scheduled
 * design reading 10 s of it (50 s of 60). Continuous invocations read 6 s each and start their successor
 * 1 s before (14 minutes and 5 s deployed), so a run has a boundary every 5 s. Halfway through the
 * continuous run the reading invocation is killed (every later call of it never returns): the next tick
 * after its lease expires takes over, and that takeover is reported apart from the boundaries.
 */

const RUN_SECONDS = 60;
const TICK_MILLIS = 12_000;
const SCHEDULED_BUDGET_MILLIS = 10_000;
const CONTINUOUS_BUDGET_MILLIS = 6000;
const LEAD_MILLIS = 1000;
const EXPIRY_MILLIS = 10_000;
// The handler's default settle delay (createConsumerHandler's leaseSettleMillis).
const SETTLE_MILLIS = 2000;
const PUT_EVERY_MILLIS = 50;

interface Measured {
  /** Time no invocation had a GetRecords call open, as a share of the run's wall time (crash window excluded). */
  readonly noReaderShare: number;
  readonly latencies: number[];
  readonly boundaries: number;
  /** Continuous run only: from the kill to the takeover's first read. */
  readonly takeoverMillis?: number;
  readonly duplicates: number;
  readonly missing: number;
  /** No-reader time at each change of reader (crash takeover left out), ms. */
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
    await systemClock.sleep((RUN_SECONDS * 1000) / 2);
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
    startedAt + 1000,
    endedAt,
    excluded,
  );
  const window = endedAt - (startedAt + 1000) - (excluded ? excluded.to - excluded.from : 0);
  const latencies: number[] = [];
  for (const data of sent) {
    const sentAt = producer.sentAt.get(data) as number;
    const at = delivered.get(data);
    if (at === undefined || sentAt < startedAt + 1000) continue;
    if (excluded && sentAt >= excluded.from - 1000 && sentAt <= excluded.to) continue;
    latencies.push(at - sentAt);
  }
  latencies.sort((a, b) => a - b);
  return {
    noReaderShare: noReader / window,
    latencies,
    boundaries: spans.filter((s) => s.from > startedAt + 1000 && s.from < endedAt).length,
    ...(excluded ? { takeoverMillis: excluded.to - excluded.from } : {}),
    duplicates,
    missing: sent.filter((d) => !delivered.has(d)).length,
    gaps: chain
      .gaps()
      .filter((_gap, i) => !(takeover && spans[i + 1] === takeover))
      .sort((a, b) => a - b),
  };
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
    const scheduled = await measure(aws, 'scheduled', false);
    const continuous = await measure(aws, 'continuous', true);
    const pct = (share: number) => Math.round(share * 10_000) / 100;
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
    ];
    return {
      title: 'Continuous mode against the scheduled design, real time, local servers (SSM leases)',
      rows,
      notes: [
        `${RUN_SECONDS} s each, a record every ${PUT_EVERY_MILLIS} ms; ticks every ${TICK_MILLIS / 1000} s; scheduled ` +
          `budget ${SCHEDULED_BUDGET_MILLIS / 1000} s; continuous budget ${CONTINUOUS_BUDGET_MILLIS / 1000} s, lead ` +
          `${LEAD_MILLIS / 1000} s; lease expiry ${EXPIRY_MILLIS / 1000} s, SSM settle ${SETTLE_MILLIS / 1000} s (not compressed)`,
        `continuous: ${continuous.boundaries} reader changes, ${continuous.latencies.length} records measured, ` +
          `max ${percentile(continuous.latencies, 100)} ms, ${continuous.duplicates} duplicates, ${continuous.missing} missing; ` +
          `no-reader gap per handover ${continuous.gaps.join(', ')} ms`,
        `scheduled: ${scheduled.boundaries} reader changes, ${scheduled.latencies.length} records measured, ` +
          `max ${percentile(scheduled.latencies, 100)} ms, ${scheduled.duplicates} duplicates, ${scheduled.missing} missing; ` +
          `no-reader gap per boundary ${scheduled.gaps.join(', ')} ms`,
        continuous.takeoverMillis !== undefined
          ? `crash halfway (the reading invocation killed): taken over after ${(continuous.takeoverMillis / 1000).toFixed(1)} s ` +
            `by the next tick past the lease's expiry; that window (and the records sent in it) is left out of the rows above`
          : 'crash halfway: no invocation was reading at the kill point',
      ],
    };
  } finally {
    await aws.stop();
  }
}
