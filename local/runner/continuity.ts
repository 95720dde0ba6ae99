// What a real-time run (`npm start -- --real-time`) says about continuous reading: per subtask, the
// time no invocation of it was reading, as a share of wall time, the gap at each change of reader, and
// put-to-handler latency (Kinesis's arrival time to the processor) across those changes.

/** When one invocation of a subtask read: its first GetRecords sent to its last answered (any shard). */
export interface ReadSpan {
  readonly subtaskIndex: number;
  readonly from: number;
  readonly to: number;
}

/** Percentiles in milliseconds. */
export interface Percentiles {
  readonly p50: number;
  readonly p99: number;
  readonly max: number;
}

export interface SubtaskContinuity {
  readonly subtaskIndex: number;
  /**
   * Time with no invocation reading, over the window from the subtask's first read to the last read an
   * invocation reported (the one still running when the run ends is stopped with its reads unreported).
   */
  readonly noReaderShare: number;
  readonly windowMillis: number;
  /** Changes of reader in the window (handovers, and takeovers after a crash). */
  readonly boundaries: number;
  /** No-reader time at each change of reader, ms. */
  readonly gapMillis: { readonly p50: number; readonly max: number } | null;
  /** Put-to-handler latency of every delivery of the subtask, ms. */
  readonly latencyMillis: Percentiles | null;
}

export interface ContinuitySummary {
  /** How long each continuous invocation read (14 minutes deployed). */
  readonly invocationSeconds: number;
  readonly subtasks: readonly SubtaskContinuity[];
}

/** Collects read spans and latencies during a run. */
export class ContinuityRecorder {
  private readonly spans: ReadSpan[] = [];
  private readonly latencies = new Map<number, number[]>();

  /** One invocation's reads (nothing when it read nothing, or died with its reads unreported). */
  read(span: ReadSpan): void {
    this.spans.push(span);
  }

  /** A delivery of records that reached Kinesis at `arrivedAt` each, handed to the processor at `deliveredAt`. */
  delivered(subtaskIndex: number, deliveredAt: number, arrivedAt: readonly number[]): void {
    let list = this.latencies.get(subtaskIndex);
    if (!list) this.latencies.set(subtaskIndex, (list = []));
    for (const at of arrivedAt) list.push(deliveredAt - at);
  }

  /** The figures per subtask. */
  summary(parallelism: number, invocationSeconds: number): ContinuitySummary {
    const subtasks: SubtaskContinuity[] = [];
    for (let subtaskIndex = 0; subtaskIndex < parallelism; subtaskIndex++) {
      const spans = this.spans.filter((s) => s.subtaskIndex === subtaskIndex).sort((a, b) => a.from - b.from);
      const endedAt = Math.max(0, ...spans.map((s) => s.to));
      const latencies = [...(this.latencies.get(subtaskIndex) ?? [])].sort((a, b) => a - b);
      const from = spans[0]?.from ?? endedAt;
      const gaps: number[] = [];
      let covered = from;
      let uncovered = 0;
      for (const span of spans) {
        if (span.from > covered) {
          gaps.push(span.from - covered);
          uncovered += span.from - covered;
        }
        covered = Math.max(covered, span.to);
      }
      if (covered < endedAt) uncovered += endedAt - covered;
      const sortedGaps = [...gaps].sort((a, b) => a - b);
      const windowMillis = endedAt - from;
      subtasks.push({
        subtaskIndex,
        noReaderShare: windowMillis > 0 ? uncovered / windowMillis : 0,
        windowMillis,
        boundaries: gaps.length,
        gapMillis: gaps.length ? { p50: percentile(sortedGaps, 50), max: percentile(sortedGaps, 100) } : null,
        latencyMillis: latencies.length
          ? {
              p50: percentile(latencies, 50),
              p99: percentile(latencies, 99),
              max: percentile(latencies, 100),
            }
          : null,
      });
    }
    return { invocationSeconds, subtasks };
  }
}

/** Nearest-rank percentile of an ascending list. */
function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? 0;
}
