import type { InvocationReport } from './consumer-protocol';
import type { LostInvocation } from './consumer-function';

/** One sample of what the run looked like at a moment: taken once a second while it runs. */
export interface TimelineSample {
  /** Milliseconds since the run started. */
  readonly atMillis: number;
  /** Messages in the producer's queue (visible, in flight and delayed). */
  readonly queued: number;
  /** Entries Kinesis refused with throttling so far (the producer's ThrottledEntries, summed). */
  readonly throttledEntries: number;
  /** Per shard (`stream/shardId`): records written and not yet consumed. */
  readonly recordsBehind: Readonly<Record<string, number>>;
}

/** One invocation of the consumer function, from its start to its end. */
export interface TimelineInvocation {
  readonly subtaskIndex: number;
  readonly startMillis: number;
  readonly endMillis: number;
  /** completed, skipped, failed, timed-out, crashed or stopped. */
  readonly status: string;
  readonly recordsDelivered: number;
  /** MillisBehindLatest of each shard the invocation read, at its last read (`stream/shardId`). */
  readonly millisBehindLatest: Readonly<Record<string, number>>;
}

/** Something that happened once: the consumer crash, a resharding, the interruption. */
export interface TimelineEvent {
  readonly atMillis: number;
  readonly kind: 'crash' | 'reshard' | 'interrupted';
  readonly label: string;
}

/** Each record the run sent: when it was sent and when it was first delivered (relative to the run's start). */
export interface TimelineRecord {
  readonly sentMillis: number;
  readonly deliveredMillis?: number;
}

/** Everything a run report draws, in milliseconds since the run started. */
export interface RunTimelineData {
  readonly startedAt: number;
  readonly durationMillis: number;
  readonly records: readonly TimelineRecord[];
  readonly samples: readonly TimelineSample[];
  readonly invocations: readonly TimelineInvocation[];
  readonly events: readonly TimelineEvent[];
}

/**
 * What a local run records over its time for the report (local/report/): samples of the queue, the
 * throttled entries and the records behind per shard, the consumer's invocations, and the crash and
 * resharding. The records' send and delivery times come from the run's ledger at the end.
 */
export class RunTimeline {
  private startedAt = 0;
  private readonly samples: TimelineSample[] = [];
  private readonly invocations: TimelineInvocation[] = [];
  private readonly events: TimelineEvent[] = [];

  /** Marks the run's start: every time recorded after is relative to it. */
  start(at: number): void {
    this.startedAt = at;
  }

  sample(at: number, sample: Omit<TimelineSample, 'atMillis'>): void {
    this.samples.push({ atMillis: at - this.startedAt, ...sample });
  }

  event(at: number, kind: TimelineEvent['kind'], label: string): void {
    this.events.push({ atMillis: at - this.startedAt, kind, label });
  }

  /** Wraps one invocation so its start, end and outcome are recorded. */
  async invocation<R extends InvocationReport | LostInvocation>(
    subtaskIndex: number,
    now: () => number,
    invoke: () => Promise<R>,
  ): Promise<R> {
    const start = now();
    const result = await invoke();
    const report = isReport(result) ? result : undefined;
    this.invocations.push({
      subtaskIndex,
      startMillis: start - this.startedAt,
      endMillis: now() - this.startedAt,
      status: result.status,
      recordsDelivered: report?.recordsDelivered ?? 0,
      millisBehindLatest: Object.fromEntries(
        (report?.shards ?? [])
          .filter((s) => s.millisBehindLatest !== undefined)
          .map((s) => [`${s.stream}/${s.shardId}`, s.millisBehindLatest as number]),
      ),
    });
    return result;
  }

  /** The recorded timeline with the ledger's records, taken when the run ends. */
  finish(
    at: number,
    records: Iterable<{ readonly sentAt: number; readonly deliveredAt?: number }>,
  ): RunTimelineData {
    return {
      startedAt: this.startedAt,
      durationMillis: at - this.startedAt,
      records: [...records].map((r) => ({
        sentMillis: r.sentAt - this.startedAt,
        ...(r.deliveredAt !== undefined ? { deliveredMillis: r.deliveredAt - this.startedAt } : {}),
      })),
      samples: [...this.samples],
      invocations: [...this.invocations].sort((a, b) => a.startMillis - b.startMillis),
      events: [...this.events],
    };
  }
}

function isReport(result: InvocationReport | LostInvocation): result is InvocationReport {
  return 'shards' in result;
}
