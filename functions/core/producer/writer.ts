import { streamTarget } from '../aws/stream-ref';
import type { PutRecordsResultEntry } from '@aws-sdk/client-kinesis';
import { classifyError, fullJitterDelay, type BackoffSettings, type ErrorClass } from '../aws/retry';
import { PRODUCER_SETTINGS } from '../config/producer-settings';
import { describeError } from '../errors';
import type { Clock, Random } from '../time/clock';
import { buildEntries, RequestCollector, type Entry, type PendingRecord } from './batcher';
import type { ProducerKinesisApi } from './kinesis-api';
import type { ProducerLogger } from './logger';
import type { ProducerRuntimeOptions } from './options';
import type { ShardRateLimiter } from './rate-limiter';

/** Why a record was not written. */
export type FailureKind =
  /** RecordTtl passed before it could be written. */
  | 'expired'
  /** The invocation ran out of time. */
  | 'deadline'
  /** Throttled with FailIfThrottled set. */
  | 'throttled'
  /** Kinesis refused it for good (access, KMS, a missing stream). */
  | 'rejected'
  /** An earlier record of its FIFO message group was not written. */
  | 'group'
  /** Its stream's shards could not be listed. */
  | 'unavailable';

export type RecordOutcome =
  | {
      readonly written: true;
      readonly shardId: string;
      readonly sequenceNumber: string;
      readonly writtenAt: number;
    }
  | {
      readonly written: false;
      readonly kind: FailureKind;
      readonly reason: string;
      /** The shard the record was last sent to, when it was sent. */
      readonly shardId?: string;
      /** PutRecords attempts of the record in this invocation. */
      readonly attempts?: number;
    };

/** What the writer asks of the producer when a prediction turns out stale. */
export interface Planner {
  /** Predicts shards again with the newest shard map and rebuilds entries for records of one stream. */
  rebuild(records: readonly PendingRecord[]): Promise<Entry[]>;
  /**
   * Called when an entry landed on `shardId` instead of the predicted shard: refreshes the map and says
   * whether a KCL reader of that shard keeps the entry (every sub-record's hash key inside its range).
   */
  checkPlacement(entry: Entry, shardId: string): Promise<boolean>;
  /** The newest shard-map version of a stream; entries predicted from an older one are rebuilt. */
  mapVersion(stream: string): number;
}

export interface WriterDependencies {
  readonly kinesis: Pick<ProducerKinesisApi, 'putRecords'>;
  readonly limiter: ShardRateLimiter;
  readonly planner: Planner;
  readonly clock: Clock;
  readonly random: Random;
  readonly options: ProducerRuntimeOptions;
  readonly logger?: ProducerLogger;
}

/** Counters of one write, for logs and metrics. */
export interface WriteStats {
  putRecordsCalls: number;
  /** Kinesis records written: aggregated and plain. */
  kinesisRecordsPut: number;
  aggregatedRecordsPut: number;
  userRecordsPut: number;
  /** Data plus partition keys written. */
  bytesPut: number;
  /** Entries a PutRecords refused (per entry, or all of a failed call). */
  failedEntries: number;
  throttledEntries: number;
  /** `throttledEntries` by stream name. */
  throttledEntriesByStream: Record<string, number>;
  /** Entries sent again after a failure. */
  retries: number;
  /** Entries that landed on another shard than predicted. */
  wrongShardPuts: number;
  /** User records written again because a KCL reader would drop the aggregate they landed in. */
  reputRecords: number;
  expiredRecords: number;
  /** Milliseconds from a message being sent to its record being written: sum and maximum. */
  bufferedMillisTotal: number;
  bufferedMillisMax: number;
}

export function emptyWriteStats(): WriteStats {
  return {
    putRecordsCalls: 0,
    kinesisRecordsPut: 0,
    aggregatedRecordsPut: 0,
    userRecordsPut: 0,
    bytesPut: 0,
    failedEntries: 0,
    throttledEntries: 0,
    throttledEntriesByStream: {},
    retries: 0,
    wrongShardPuts: 0,
    reputRecords: 0,
    expiredRecords: 0,
    bufferedMillisTotal: 0,
    bufferedMillisMax: 0,
  };
}

export interface WriteRequest {
  readonly entries: readonly Entry[];
  /**
   * The write ends by this time: no PutRecords starts within MIN_CALL_WINDOW_MILLIS of it, a call still
   * running at it is abandoned, and what is left is reported failed. @default no deadline
   */
  readonly deadline?: number;
  /**
   * Records of FIFO groups that failed before writing began (dead-letter sends that failed, expired or
   * unroutable records): later records of those groups are not written.
   */
  readonly failedBefore?: readonly PendingFailure[];
}

export interface PendingFailure {
  readonly index: number;
  readonly group?: string;
  readonly messageId: string;
  readonly reason: string;
}

export interface WriteReport {
  /** By record index, one outcome for every record of every entry. */
  readonly outcomes: ReadonlyMap<number, RecordOutcome>;
  readonly stats: WriteStats;
}

/**
 * Puts entries with bounded concurrency (ThreadPoolSize calls in flight, one call per shard at a time so a
 * shard's records keep their order), per-shard token buckets, and retries of only the failed entries with
 * full-jitter backoff until each record's TTL, the call's RequestTimeout or the invocation's deadline.
 */
export class Writer {
  constructor(private readonly deps: WriterDependencies) {}

  write(request: WriteRequest): Promise<WriteReport> {
    return new WriteRun(this.deps, request).run();
  }
}

interface Work {
  entry: Entry;
  attempts: number;
  retryAt: number;
  inFlight: boolean;
  queued: boolean;
  /** When its last PutRecords call started. */
  sentAt?: number;
  lastError?: string;
}

const MAX_WAIT_MILLIS = 60000;

/** A PutRecords call is not started with less time than this before the deadline. */
export const MIN_CALL_WINDOW_MILLIS = 200;

class TimeoutError extends Error {
  override readonly name = 'TimeoutError';
}

/** PutRecords attempts made for a work item: its failures, plus the one in flight or made last. */
function attemptsOf(work: Work): number {
  return work.attempts + (work.inFlight ? 1 : 0);
}

function shardKey(entry: Entry): string {
  return `${entry.target.stream}\u0000${entry.target.shardId}`;
}

class WriteRun {
  private readonly queues = new Map<string, Work[]>();
  private readonly busyShards = new Set<string>();
  private readonly inFlight = new Set<Promise<void>>();
  private readonly outcomes = new Map<number, RecordOutcome>();
  private readonly groups = new Map<string, { indices: number[]; pos: number }>();
  private readonly messageIds = new Map<number, string>();
  private readonly stats = emptyWriteStats();
  private readonly deadline: number;
  /** The last moment a call may start. */
  private readonly lastStart: number;
  private readonly backoff: BackoffSettings;

  constructor(
    private readonly deps: WriterDependencies,
    private readonly request: WriteRequest,
  ) {
    this.deadline = request.deadline ?? Number.POSITIVE_INFINITY;
    this.lastStart = this.deadline - MIN_CALL_WINDOW_MILLIS;
    const { retryBaseMillis, retryMaxMillis, retryExpConst } = deps.options;
    this.backoff = {
      maxRetries: Infinity,
      baseMillis: retryBaseMillis,
      maxMillis: retryMaxMillis,
      expConst: retryExpConst,
    };
    const grouped: { index: number; group: string }[] = [];
    for (const entry of request.entries) {
      for (const record of entry.records) {
        this.messageIds.set(record.index, record.messageId);
        if (record.group !== undefined) grouped.push({ index: record.index, group: record.group });
      }
    }
    for (const failure of request.failedBefore ?? []) {
      this.messageIds.set(failure.index, failure.messageId);
      if (failure.group !== undefined) grouped.push({ index: failure.index, group: failure.group });
    }
    grouped.sort((a, b) => a.index - b.index);
    for (const { index, group } of grouped) {
      let state = this.groups.get(group);
      if (!state) {
        state = { indices: [], pos: 0 };
        this.groups.set(group, state);
      }
      state.indices.push(index);
    }
    this.enqueue(request.entries);
  }

  async run(): Promise<WriteReport> {
    for (const failure of this.request.failedBefore ?? []) {
      if (failure.group !== undefined) this.breakGroup(failure.group, failure.index, failure.reason);
    }
    for (;;) {
      const now = this.deps.clock.now();
      this.expire(now);
      this.dispatch(now);
      if (this.inFlight.size === 0 && this.queuedWorks().length === 0) break;
      const wake = this.nextWake(now);
      if (this.inFlight.size === 0 && wake === undefined) {
        // Nothing can move: a bug, but never a hang and never a silent loss.
        this.deps.logger?.error('The producer writer stalled; failing the records left.', {
          records: this.queuedWorks().reduce((n, w) => n + w.entry.records.length, 0),
        });
        for (const work of this.queuedWorks()) this.failWork(work, 'rejected', 'The writer stalled.');
        break;
      }
      await this.waitFor(now, wake);
    }
    return { outcomes: this.outcomes, stats: this.stats };
  }

  private queuedWorks(): Work[] {
    const all: Work[] = [];
    for (const queue of this.queues.values()) all.push(...queue);
    return all;
  }

  private enqueue(entries: readonly Entry[], from?: Work): void {
    for (const entry of entries) {
      const key = shardKey(entry);
      let queue = this.queues.get(key);
      if (!queue) {
        queue = [];
        this.queues.set(key, queue);
      }
      const work: Work = {
        entry,
        attempts: from?.attempts ?? 0,
        retryAt: from?.retryAt ?? 0,
        inFlight: false,
        queued: true,
        ...(from?.lastError !== undefined ? { lastError: from.lastError } : {}),
      };
      const first = entry.records[0]?.index ?? 0;
      let at = queue.length;
      while (at > 0 && (queue[at - 1]?.entry.records[0]?.index ?? 0) > first) at--;
      queue.splice(at, 0, work);
    }
  }

  private remove(work: Work): void {
    if (!work.queued) return;
    work.queued = false;
    const key = shardKey(work.entry);
    const queue = this.queues.get(key);
    if (!queue) return;
    const at = queue.indexOf(work);
    if (at >= 0) queue.splice(at, 1);
    if (queue.length === 0) this.queues.delete(key);
  }

  /** The earliest record of a group that has no outcome yet. */
  private head(group: string): number | undefined {
    const state = this.groups.get(group);
    if (!state) return undefined;
    while (state.pos < state.indices.length && this.outcomes.has(state.indices[state.pos] ?? -1)) state.pos++;
    return state.indices[state.pos];
  }

  private blockedByGroup(work: Work): boolean {
    let seen: Set<string> | undefined;
    for (const record of work.entry.records) {
      if (record.group === undefined || seen?.has(record.group)) continue;
      (seen ??= new Set()).add(record.group);
      if (this.head(record.group) !== record.index) return true;
    }
    return false;
  }

  private dispatch(now: number): void {
    if (now >= this.lastStart) return;
    let budget = this.deps.options.threadPoolSize - this.inFlight.size;
    if (budget <= 0) return;
    const streams = new Map<string, [string, Work[]][]>();
    for (const [key, queue] of this.queues) {
      const first = queue[0];
      if (!first || this.busyShards.has(key)) continue;
      const list = streams.get(first.entry.target.stream) ?? [];
      list.push([key, queue]);
      streams.set(first.entry.target.stream, list);
    }
    for (const [stream, shards] of streams) {
      if (budget <= 0) break;
      const collector = new RequestCollector<Work>(this.deps.options);
      let opened = 0;
      shards: for (const [key, queue] of shards) {
        let took = false;
        for (const work of queue) {
          if (work.inFlight || work.retryAt > now) break;
          if (this.blockedByGroup(work)) continue;
          if (!collector.fits(work)) {
            // A shard's entries stay in one call: calls run concurrently and could reorder them.
            if (took) break;
            collector.close();
          }
          if (collector.pending === 0 && opened >= budget) break shards;
          if (!this.deps.limiter.tryAcquire(key, 1, work.entry.size)) break;
          if (collector.pending === 0) opened++;
          collector.add(work);
          took = true;
        }
        if (took) this.busyShards.add(key);
      }
      collector.close();
      budget -= collector.finished.length;
      for (const works of collector.finished) this.start(stream, works);
    }
  }

  private start(stream: string, works: Work[]): void {
    const now = this.deps.clock.now();
    for (const work of works) {
      work.inFlight = true;
      work.sentAt = now;
    }
    this.stats.putRecordsCalls++;
    const promise: Promise<void> = this.send(stream, works).finally(() => this.inFlight.delete(promise));
    this.inFlight.add(promise);
  }

  private async send(stream: string, works: Work[]): Promise<void> {
    const { clock, kinesis, options } = this.deps;
    const keys = new Set(works.map((w) => shardKey(w.entry)));
    const call = new AbortController();
    const timer = new AbortController();
    let timedOut = false;
    const timeoutMillis = Math.min(options.requestTimeoutMillis, this.deadline - clock.now());
    void clock.sleep(timeoutMillis, timer.signal).then(
      () => {
        timedOut = true;
        call.abort(new TimeoutError(`PutRecords took over ${timeoutMillis} ms.`));
      },
      () => undefined,
    );
    try {
      let output: Awaited<ReturnType<typeof kinesis.putRecords>> | undefined;
      let error: unknown;
      try {
        output = await kinesis.putRecords(
          { ...streamTarget(stream), Records: works.map((w) => w.entry.request) },
          call.signal,
        );
      } catch (thrown) {
        error = timedOut
          ? new TimeoutError(`PutRecords took over ${options.requestTimeoutMillis} ms.`)
          : thrown;
      } finally {
        timer.abort();
      }
      const now = clock.now();
      const results = output?.Records;
      if (error === undefined && results?.length !== works.length) {
        error = new Error(`PutRecords answered ${results?.length ?? 0} results for ${works.length} records.`);
        (error as Error).name = 'InternalFailure';
      }
      if (error !== undefined || !results) {
        const errorClass = classifyError(error);
        for (const work of works) this.entryFailed(work, errorClass, describeError(error), now);
        return;
      }
      const misplaced: Promise<void>[] = [];
      works.forEach((work, i) => {
        const result = results[i] ?? {};
        if (result.ErrorCode) {
          const errorClass = classifyError({ name: result.ErrorCode });
          this.entryFailed(work, errorClass, `${result.ErrorCode}: ${result.ErrorMessage ?? ''}`, now);
        } else if (result.ShardId && result.ShardId !== work.entry.target.shardId) {
          misplaced.push(this.misplaced(work, result, now));
        } else {
          this.succeeded(work, result, now);
        }
      });
      await Promise.all(misplaced);
    } catch (bug) {
      this.deps.logger?.error('The producer writer failed handling a PutRecords result.', {
        error: describeError(bug),
      });
      for (const work of works) if (work.queued) this.failWork(work, 'rejected', describeError(bug));
    } finally {
      for (const work of works) work.inFlight = false;
      for (const key of keys) this.busyShards.delete(key);
    }
  }

  private succeeded(work: Work, result: PutRecordsResultEntry, now: number): void {
    this.remove(work);
    const { entry } = work;
    this.stats.kinesisRecordsPut++;
    if (entry.aggregated) this.stats.aggregatedRecordsPut++;
    this.stats.bytesPut += entry.size;
    for (const record of entry.records) {
      if (this.outcomes.has(record.index)) continue;
      this.outcomes.set(record.index, {
        written: true,
        shardId: result.ShardId ?? entry.target.shardId,
        sequenceNumber: result.SequenceNumber ?? '',
        writtenAt: now,
      });
      this.stats.userRecordsPut++;
      const buffered = Math.max(0, now - record.sentAt);
      this.stats.bufferedMillisTotal += buffered;
      this.stats.bufferedMillisMax = Math.max(this.stats.bufferedMillisMax, buffered);
    }
  }

  private async misplaced(work: Work, result: PutRecordsResultEntry, now: number): Promise<void> {
    const { planner, logger } = this.deps;
    const stream = work.entry.target.stream;
    const landed = result.ShardId ?? '';
    this.stats.wrongShardPuts++;
    let readable: boolean;
    try {
      readable = await planner.checkPlacement(work.entry, landed);
    } catch (error) {
      // Without a fresh map the aggregate cannot be checked; writing it again is the safe side.
      logger?.warn('Could not list shards after a put landed on an unexpected shard.', {
        stream,
        error: describeError(error),
      });
      readable = !work.entry.aggregated;
    }
    if (readable) {
      this.succeeded(work, result, now);
    } else {
      logger?.info(
        'An aggregated record landed on a shard that does not hold all its sub-records; writing them again.',
        {
          stream,
          predicted: work.entry.target.shardId,
          landed,
          records: work.entry.records.length,
        },
      );
      this.stats.reputRecords += work.entry.records.length;
      this.remove(work);
      await this.rebuild(work.entry.records, stream);
    }
    await this.replanStale(stream);
  }

  /** Entries of `stream` still queued under an older shard map are predicted again. */
  private async replanStale(stream: string): Promise<void> {
    const version = this.deps.planner.mapVersion(stream);
    const stale = this.queuedWorks().filter(
      (w) => !w.inFlight && w.entry.target.stream === stream && w.entry.target.mapVersion < version,
    );
    if (stale.length === 0) return;
    for (const work of stale) this.remove(work);
    const records = stale.flatMap((w) => w.entry.records).sort((a, b) => a.index - b.index);
    await this.rebuild(records, stream);
  }

  private async rebuild(records: readonly PendingRecord[], stream: string): Promise<void> {
    try {
      this.enqueue(await this.deps.planner.rebuild(records.filter((r) => !this.outcomes.has(r.index))));
    } catch (error) {
      this.fail(
        records,
        'unavailable',
        `The shards of stream ${stream} could not be listed: ${describeError(error)}.`,
      );
    }
  }

  private entryFailed(work: Work, errorClass: ErrorClass, error: string, now: number): void {
    const { options, random } = this.deps;
    this.stats.failedEntries++;
    if (errorClass === 'throttled') {
      this.stats.throttledEntries++;
      const stream = work.entry.target.stream;
      this.stats.throttledEntriesByStream[stream] = (this.stats.throttledEntriesByStream[stream] ?? 0) + 1;
      this.deps.limiter.throttled(shardKey(work.entry), work.sentAt);
    }
    if (errorClass === 'fatal') {
      this.failWork(work, 'rejected', `Kinesis refused the record: ${error}.`);
      return;
    }
    if (errorClass === 'throttled' && options.failIfThrottled) {
      this.failWork(
        work,
        'throttled',
        `The shard was throttled and ${PRODUCER_SETTINGS.failIfThrottled.key} is set: ${error}.`,
      );
      return;
    }
    work.attempts++;
    work.lastError = error;
    work.retryAt = now + fullJitterDelay(work.attempts - 1, this.backoff, random);
    this.stats.retries++;
  }

  private failWork(work: Work, kind: FailureKind, reason: string): void {
    this.remove(work);
    this.fail(work.entry.records, kind, reason, work);
  }

  private fail(records: readonly PendingRecord[], kind: FailureKind, reason: string, work?: Work): void {
    const where = work ? { shardId: work.entry.target.shardId, attempts: attemptsOf(work) } : {};
    for (const record of records) {
      if (this.outcomes.has(record.index)) continue;
      this.outcomes.set(record.index, { written: false, kind, reason, ...where });
      if (kind === 'expired') this.stats.expiredRecords++;
    }
    for (const record of records) {
      if (record.group !== undefined) this.breakGroup(record.group, record.index, reason);
    }
  }

  /** After a record of a FIFO group fails, no later record of the group may be written. */
  private breakGroup(group: string, index: number, reason: string): void {
    const state = this.groups.get(group);
    if (!state) return;
    const later = new Set(state.indices.filter((i) => i > index && !this.outcomes.has(i)));
    if (later.size === 0) return;
    const cause = `An earlier record of message group "${group}" (message ${this.messageIds.get(index) ?? index}) was not written: ${reason}`;
    for (const work of this.queuedWorks()) {
      if (work.inFlight || !work.entry.records.some((r) => later.has(r.index))) continue;
      this.remove(work);
      const rest = work.entry.records.filter((r) => !later.has(r.index));
      if (rest.length > 0) this.enqueue(buildEntries(rest, work.entry.target, this.deps.options), work);
    }
    for (const i of later) this.outcomes.set(i, { written: false, kind: 'group', reason: cause });
  }

  private expire(now: number): void {
    const deadlinePassed = now >= this.lastStart;
    for (const work of this.queuedWorks()) {
      if (work.inFlight || !work.queued) continue;
      const last = work.lastError ? ` The last error was ${work.lastError}` : '';
      if (deadlinePassed) {
        this.failWork(
          work,
          'deadline',
          `The invocation ran out of time before the record was written.${last}`,
        );
        continue;
      }
      if (now < work.entry.expiresAt) continue;
      this.remove(work);
      const expired = work.entry.records.filter((r) => r.expiresAt <= now);
      this.fail(
        expired,
        'expired',
        `${PRODUCER_SETTINGS.recordTtlMillis.key} (${this.deps.options.recordTtlMillis} ms) ran out in this invocation before the record was ` +
          `written (${attemptsOf(work)} attempt(s)); it goes back to the queue.${last}`,
        work,
      );
      const rest = work.entry.records.filter((r) => !this.outcomes.has(r.index));
      if (rest.length > 0) this.enqueue(buildEntries(rest, work.entry.target, this.deps.options), work);
    }
  }

  /** When the next queued entry could move: a backoff ending, tokens refilling, a TTL or the deadline. */
  private nextWake(now: number): number | undefined {
    let wake = Number.POSITIVE_INFINITY;
    const poolFree = this.inFlight.size < this.deps.options.threadPoolSize;
    for (const [key, queue] of this.queues) {
      for (const work of queue) {
        if (work.inFlight) continue;
        wake = Math.min(wake, work.entry.expiresAt);
      }
      if (!poolFree || this.busyShards.has(key) || now >= this.lastStart) continue;
      // The same walk as dispatch: the first entry not waiting on its group decides.
      for (const work of queue) {
        if (work.retryAt > now) {
          wake = Math.min(wake, work.retryAt);
          break;
        }
        if (this.blockedByGroup(work)) continue;
        wake = Math.min(wake, now + this.deps.limiter.waitMillis(key, 1, work.entry.size));
        break;
      }
    }
    if (this.queues.size > 0 && Number.isFinite(this.lastStart)) wake = Math.min(wake, this.lastStart);
    return Number.isFinite(wake) ? Math.max(wake, now + 1) : undefined;
  }

  private async waitFor(now: number, wake: number | undefined): Promise<void> {
    const stop = new AbortController();
    const waits: Promise<unknown>[] = [...this.inFlight, this.deps.limiter.nextShareChange];
    // Capped: the loop works the next wake out again anyway, and timers overflow past 2^31 - 1 ms.
    if (wake !== undefined) {
      waits.push(
        this.deps.clock.sleep(Math.min(wake - now, MAX_WAIT_MILLIS), stop.signal).catch(() => undefined),
      );
    }
    await Promise.race(waits);
    stop.abort();
  }
}
