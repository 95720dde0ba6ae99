import type { Logger } from '@aws-lambda-powertools/logger';
import type { BackoffSettings } from '../aws/retry';
import type { TransactWriteItem } from '@aws-sdk/client-dynamodb';
import { checkpointStreamKey } from '../aws/stream-ref';
import {
  parseShardKey,
  shardKey,
  type CheckpointValue,
  type CheckpointStore,
  type ShardCheckpoint,
  type ShardKey,
  type SubtaskLease,
  type TransactionalCheckpoints,
} from '../checkpoints/checkpoint-store';
import { CONSUMER_DEFAULTS, CONSUMER_SETTINGS } from '../config/consumer-settings';
import { streamRef, type Setting } from '../config/validate';
import { ConfigurationError, describeError, LeaseLostError } from '../errors';
import type { Clock, Random } from '../time/clock';
import { assignSubtask, uniformShardAssigner, type ShardAssigner } from './assigner';
import { AbortFanout } from './abort-fanout';
import { CheckpointBook } from './checkpoint-book';
import { ShardDelivery, type DeliverySettings } from './delivery';
import type { RecordDeserializer } from './deserializers';
import { listShards } from './discovery';
import { LeaseKeeper, takeHandedOverLease, type HandoffEvent, type SuccessorStarter } from './handover';
import type { KinesisReadApi } from './kinesis-api';
import { DEFAULT_SHARD_READ_LIMITS } from './rate-limit';
import type { OnFailureDestination } from './on-failure';
import { ShardReader, type ShardReaderSettings, type ShardReaderStats } from './shard-reader';
import type { ShardSourceFactory } from './shard-source';
import type { BatchHandler, ShardDescription, StartingPosition, TimestampAssigner } from './types';
import { WatermarkTracker, type ShardWatermark } from './watermarks';

/** Where the consumer starts on a stream it has never read. */
export type EngineInitialPosition =
  | { readonly type: 'LATEST' }
  | { readonly type: 'TRIM_HORIZON' }
  | { readonly type: 'AT_TIMESTAMP'; readonly timestampMillis: number };

/** Everything the engine needs to know; the typed configuration maps into this. */
export interface ConsumerEngineOptions<T> {
  /** Streams of one region, read together. */
  readonly streams: readonly string[];
  /** @default { type: 'LATEST' } in the configuration */
  readonly initialPosition: EngineInitialPosition;
  readonly reader: ShardReaderSettings;
  /** How often to look for new shards during an invocation (flink.shard.discovery.intervalmillis). */
  readonly discoveryIntervalMillis: number;
  readonly listShardsBackoff: BackoffSettings;
  /** How often to write checkpoints during an invocation, also at its end (consumer.checkpoint.intervalmillis). */
  readonly checkpointIntervalMillis: number;
  readonly delivery: DeliverySettings;
  /** @default uniformShardAssigner(streams) */
  readonly assigner?: ShardAssigner;
  readonly deserializer: RecordDeserializer<T>;
  readonly handler: BatchHandler<T>;
  /** How long after the deadline the lease stays ours, for the last delivery and checkpoint. @default LEASE_GRACE_MILLIS */
  readonly leaseGraceMillis: number;
  /** Gives each record its event time. @default - the approximate arrival time */
  readonly timestampAssigner?: TimestampAssigner<T>;
  /** After this long without records a shard stops holding back the watermark; -1 for never (flink.shard.idle.interval). */
  readonly shardIdleIntervalMillis?: number;
  /**
   * Cost mode: once every shard has been at its tip with no new record (MillisBehindLatest 0, empty
   * reads) for `idleReturnMillis`, the run checkpoints and returns before its deadline. @default - off: the run reads until its deadline
   */
  readonly costMode?: { readonly idleReturnMillis: number };
  /**
   * The lease lasts this long and is renewed by heartbeat while the run holds it, so a crashed
   * run's subtask can be taken over within seconds. @default - the lease lasts until the run's hard end
   */
  readonly leaseExpiryMillis?: number;
  /**
   * Continuous mode: `leadMillis` before the deadline the run starts its successor (RunRequest's
   * `startSuccessor`) and, after its final checkpoint, hands the lease over to it. Needs `leaseExpiryMillis`.
   * @default - off: the subtask has no reader between runs
   */
  readonly continuous?: { readonly leadMillis: number };
}

/**
 * How long after the deadline the lease stays ours when the caller gives no expiry (the Lambda handler
 * always gives one: the end of the invocation).
 */
export const LEASE_GRACE_MILLIS = 10_000;

const D = CONSUMER_DEFAULTS;

/**
 * Everything but the streams, the deserializer and the handler at the settings tables' defaults (the
 * reference connector's, config/consumer-settings.ts), so the engine built by hand runs as the
 * configured one does.
 */
export const DEFAULT_ENGINE_SETTINGS = {
  initialPosition: { type: D.initialPosition } as EngineInitialPosition,
  reader: {
    maxRecordsPerCall: D.getRecords.maxRecordCount,
    intervalMillis: D.getRecords.intervalMillis,
    getRecordsBackoff: D.getRecords.backoff,
    getShardIteratorBackoff: D.getShardIterator.backoff,
    limits: DEFAULT_SHARD_READ_LIMITS,
    adaptiveReads: D.adaptiveReads,
  },
  discoveryIntervalMillis: D.discoveryIntervalMillis,
  listShardsBackoff: D.listShards.backoff,
  checkpointIntervalMillis: D.checkpointIntervalMillis,
  delivery: {
    batchSize: D.batchSize,
    maxBatchingMillis: D.maxBatchingMillis,
    backoff: D.delivery.backoff,
    bisect: D.delivery.bisect,
    failOnError: D.failOnError,
  },
  leaseGraceMillis: LEASE_GRACE_MILLIS,
  shardIdleIntervalMillis: D.shardIdleIntervalMillis,
} as const satisfies Omit<ConsumerEngineOptions<unknown>, 'streams' | 'deserializer' | 'handler'>;

/**
 * Continuous mode at the configuration's defaults: a heartbeat lease and a handover. Apart from
 * DEFAULT_ENGINE_SETTINGS, which keeps the lease of a whole run, so code that runs the engine itself
 * (tests, benchmarks) opts in; the handler's configuration turns it on by default.
 */
export const DEFAULT_CONTINUOUS_SETTINGS = {
  leaseExpiryMillis: D.leaseExpiryMillis,
  continuous: { leadMillis: D.handoverLeadMillis },
} as const satisfies Pick<ConsumerEngineOptions<unknown>, 'leaseExpiryMillis' | 'continuous'>;

export interface ConsumerEngineDependencies {
  readonly kinesis: KinesisReadApi;
  readonly checkpoints: CheckpointStore;
  /** The lease of one subtask, held by one invocation. */
  readonly lease: (subtaskIndex: number, invocationId: string) => SubtaskLease;
  readonly clock: Clock;
  readonly random: Random;
  readonly logger: Logger;
  /** Where records that keep failing go. @default - none: such a record stops its shard */
  readonly onFailure?: OnFailureDestination;
  /**
   * Called while a run holds its subtask's lease: at the taking and at each renewal (the edge publishes
   * the Heartbeat metric from it). @default - nothing
   */
  readonly onHeartbeat?: (subtaskIndex: number) => void;
  /**
   * Exactly-once mode: the handler's effects commit with the checkpoint through this, in one transaction
   * fenced by the lease (see core/exactly-once). @default - at-least-once: checkpoints only
   */
  readonly transactions?: TransactionalCheckpoints;
  /** How each shard is read. @default - polling through `kinesis` */
  readonly shardSource?: ShardSourceFactory;
}

export interface RunRequest {
  readonly subtaskIndex: number;
  readonly parallelism: number;
  /** Epoch milliseconds at which reading stops; delivery of what was read and the last checkpoint follow. */
  readonly deadline: number;
  /** @default deadline + leaseGraceMillis */
  readonly leaseExpiresAt?: number;
  /** Aborting stops the run early, as the deadline would. */
  readonly signal?: AbortSignal;
  /** Who holds the lease (the Lambda request id). @default a random UUID */
  readonly invocationId?: string;
  /** Set when a predecessor started this run to take its lease over (continuous mode). */
  readonly handoff?: HandoffEvent;
  /** Starts this run's successor (continuous mode). @default - none: no handover */
  readonly startSuccessor?: SuccessorStarter;
}

export type ShardStatus = 'waiting' | 'reading' | 'ended' | 'stopped' | 'failed';

export interface ShardRunSummary extends Partial<ShardReaderStats> {
  readonly stream: string;
  readonly shardId: string;
  readonly status: ShardStatus;
  readonly recordsDelivered: number;
  readonly recordsFailed: number;
  readonly recordsSentToOnFailure: number;
  /** Batches or bisected parts that kept failing after their retries. */
  readonly failedBatches: number;
  /** Handler calls, retries and bisection included. */
  readonly handlerCalls: number;
  readonly position?: ShardCheckpoint;
  /** The greatest event time the shard delivered, epoch ms. */
  readonly watermark?: number;
}

/** What one run did. */
export interface RunSummary {
  readonly subtaskIndex: number;
  readonly parallelism: number;
  readonly startedAt: number;
  readonly endedAt: number;
  /**
   * `caught-up`: cost mode returned early, every shard having been at its tip for the idle time.
   * `lease-expiring`: the lease could not be renewed (a slow or failing store) and reading stopped
   * before it could expire.
   */
  readonly stoppedBy: 'deadline' | 'signal' | 'failure' | 'lease-lost' | 'caught-up' | 'lease-expiring';
  /** Continuous mode: the successor's handoff token, when the run handed its lease over. */
  readonly handedOverTo?: string;
  /** Set when a shard failed (handler, retries) or the lease was lost. */
  readonly error?: Error;
  readonly recordsDelivered: number;
  readonly recordsFailed: number;
  readonly recordsSentToOnFailure: number;
  readonly batchesDelivered: number;
  readonly checkpointWrites: number;
  /** The subtask watermark at the end of the run, epoch ms. */
  readonly watermark?: number;
  readonly shards: readonly ShardRunSummary[];
}

/**
 * The consumer: one run reads the shards a subtask owns, from their checkpoints, until the deadline,
 * and checkpoints what it delivered. It takes clients, a checkpoint store, a lease and a clock, and
 * knows nothing of Lambda.
 */
export class ConsumerEngine<T> {
  private readonly assigner: ShardAssigner;

  constructor(
    private readonly deps: ConsumerEngineDependencies,
    private readonly options: ConsumerEngineOptions<T>,
  ) {
    validateEngineOptions(options);
    this.assigner = options.assigner ?? uniformShardAssigner(options.streams);
  }

  /**
   * Runs one invocation of one subtask. Throws LeaseHeldError, without reading, when another invocation
   * of the subtask holds the lease; otherwise resolves with a summary (failures included).
   */
  async run(request: RunRequest): Promise<RunSummary> {
    validateRunRequest(request, this.deps.clock.now());
    return new SubtaskRun(this.deps, this.options, this.assigner, request).run();
  }
}

interface OwnedShard<T> {
  readonly shard: ShardDescription;
  readonly key: ShardKey;
  status: ShardStatus;
  delivery?: ShardDelivery<T>;
  reader?: ShardReader<T>;
  watermark?: ShardWatermark;
  done?: Promise<void>;
}

class SubtaskRun<T> {
  private readonly stop = new AbortController();
  private readonly startedAt: number;
  private readonly lease: SubtaskLease;
  private readonly invocationId: string;
  private readonly logger: Logger;
  private stoppedBy: RunSummary['stoppedBy'] = 'deadline';
  private failure: Error | undefined;
  private leaseLost = false;
  private book: CheckpointBook | undefined;
  private readonly known = new Map<string, Map<string, ShardDescription>>();
  /** The configured stream (a name or an ARN) of each checkpoint stream key. */
  private readonly streamOfKey = new Map<string, string>();
  private readonly owned = new Map<ShardKey, OwnedShard<T>>();
  private writing: Promise<void> | undefined;
  private writeAgain = false;
  /** Every write of the subtask's checkpoint item, plain or transactional, one at a time. */
  private itemLock: Promise<void> = Promise.resolve();
  private checkpointWrites = 0;
  private readonly watermarks: WatermarkTracker;
  private keeper: LeaseKeeper | undefined;
  /** The handoff token of the successor this run started. */
  private successorToken: string | undefined;
  /** The successor's start, in progress or done (at most one before the stop and one after). */
  private successorStart: Promise<void> | undefined;
  private handedOverTo: string | undefined;
  /** Each shard's stop signal, so the run's carries one listener whatever the shard count. */
  private readonly shardStops: AbortFanout;

  constructor(
    private readonly deps: ConsumerEngineDependencies,
    private readonly options: ConsumerEngineOptions<T>,
    private readonly assigner: ShardAssigner,
    private readonly request: RunRequest,
  ) {
    this.startedAt = deps.clock.now();
    this.invocationId = request.invocationId ?? crypto.randomUUID();
    this.lease = deps.lease(request.subtaskIndex, this.invocationId);
    this.logger = deps.logger;
    this.watermarks = new WatermarkTracker(
      () => deps.clock.now(),
      options.shardIdleIntervalMillis ?? D.shardIdleIntervalMillis,
    );
    this.shardStops = new AbortFanout(this.stop.signal);
  }

  async run(): Promise<RunSummary> {
    const { subtaskIndex, parallelism, deadline } = this.request;
    await this.takeLease();
    this.logger.info('Subtask run started', {
      subtaskIndex,
      parallelism,
      deadline: new Date(deadline).toISOString(),
      ...(this.request.handoff ? { handedOverBy: this.request.handoff.from } : {}),
    });
    const loops: Promise<void>[] = [];
    try {
      await this.begin();
      loops.push(this.deadlineLoop(), this.discoveryLoop(), this.checkpointLoop());
      if (this.options.costMode) loops.push(this.caughtUpLoop(this.options.costMode.idleReturnMillis));
      if (this.options.continuous && this.continues()) {
        loops.push(this.successorLoop(this.options.continuous.leadMillis));
      }
      await new Promise<void>((resolve) => {
        if (this.stop.signal.aborted) resolve();
        else this.stop.signal.addEventListener('abort', () => resolve(), { once: true });
      });
    } catch (error) {
      // Calls cut short by a stop (deadline or signal) end the start-up quietly.
      if (!this.stop.signal.aborted) this.fail(error);
    }
    this.stop.abort();
    // Started now, its start-up overlaps this run's last delivery and checkpoint.
    const successor = this.startSuccessorAtEnd();
    await Promise.all([...this.owned.values()].map((s) => s.done));
    await Promise.all(loops);
    await this.writing;
    if (this.book && !this.leaseLost) {
      try {
        await this.requestWrite();
      } catch (error) {
        this.fail(error);
      }
    }
    await successor;
    // No renewal may land after the handover or the release: it would name this run as holder again.
    await this.keeper?.stop();
    if (!this.leaseLost) await this.letLeaseGo();
    const summary = this.summary();
    this.logger.info('Subtask run ended', {
      subtaskIndex,
      stoppedBy: summary.stoppedBy,
      recordsDelivered: summary.recordsDelivered,
      checkpointWrites: summary.checkpointWrites,
      ...(summary.error ? { error: describeError(summary.error) } : {}),
    });
    return summary;
  }

  /**
   * Takes the subtask's lease: from the predecessor that started this run (continuous mode), else the
   * ordinary way; with a lease expiry set, starts the heartbeat that keeps it.
   */
  private async takeLease(): Promise<void> {
    const { clock } = this.deps;
    const expiryMillis = this.options.leaseExpiryMillis;
    const { handoff, deadline } = this.request;
    const signal = this.request.signal;
    let expiresAt: number;
    if (expiryMillis !== undefined && handoff) {
      expiresAt = await takeHandedOverLease({
        lease: this.lease,
        handoff,
        clock,
        expiryMillis,
        ...(signal ? { signal } : {}),
      });
    } else {
      expiresAt =
        expiryMillis !== undefined
          ? clock.now() + expiryMillis
          : (this.request.leaseExpiresAt ?? deadline + this.options.leaseGraceMillis);
      await this.lease.acquire(expiresAt);
    }
    const lease = this.lease;
    if (expiryMillis === undefined || !lease.renew) return;
    const renewable = lease as SubtaskLease & { renew(expiresAt: number): Promise<boolean> };
    const onHeartbeat = this.deps.onHeartbeat;
    this.keeper = new LeaseKeeper({
      lease: renewable,
      clock,
      expiryMillis,
      logger: this.logger,
      onLost: () =>
        this.loseLease(
          new LeaseLostError(
            `Subtask ${this.request.subtaskIndex} lost its lease to another invocation while reading; it stops ` +
              'without writing checkpoints.',
          ),
        ),
      onExpiring: () => this.stopFor('lease-expiring'),
      ...(onHeartbeat ? { onHeld: () => onHeartbeat(this.request.subtaskIndex) } : {}),
    });
    this.keeper.start(expiresAt);
  }

  /**
   * Continuous mode: `leadMillis` before the deadline, starts the successor with a fresh handoff token,
   * so that its start-up overlaps this run's last reads.
   */
  private async successorLoop(leadMillis: number): Promise<void> {
    if (!(await this.sleep(this.request.deadline - leadMillis - this.deps.clock.now()))) return;
    this.successorStart ??= this.startSuccessor(this.request.deadline);
    await this.successorStart;
  }

  /**
   * Continuous mode, as reading stops: starts the successor if none was started, so that the chain goes
   * on whenever the run ends before its lead time (a start-up that took the whole budget, a lease that
   * could not be renewed) or the first start failed. Not after a failure (the schedule retries, a minute
   * apart) nor when the lease was lost (its new holder reads).
   */
  private async startSuccessorAtEnd(): Promise<void> {
    if (!this.continues()) return;
    await this.successorStart;
    if (this.successorToken || !['deadline', 'lease-expiring'].includes(this.stoppedBy) || this.leaseLost)
      return;
    // Stopped early, the run hands over (or releases) as soon as its last checkpoint is written.
    this.successorStart = this.startSuccessor(Math.min(this.request.deadline, this.deps.clock.now()));
    await this.successorStart;
  }

  /** Continuous mode with a way to start successors (cost mode never hands over). */
  private continues(): boolean {
    return Boolean(this.options.continuous && this.request.startSuccessor && !this.options.costMode);
  }

  /** Starts the successor, to take the lease over from `at` on; keeps its token when the start succeeds. */
  private async startSuccessor(at: number): Promise<void> {
    const start = this.request.startSuccessor as SuccessorStarter;
    const token = crypto.randomUUID();
    const { subtaskIndex, parallelism, deadline } = this.request;
    const hardEnd = this.request.leaseExpiresAt ?? deadline + this.options.leaseGraceMillis;
    try {
      await start({
        subtaskIndex,
        parallelism,
        handoff: { token, from: this.invocationId, at, until: hardEnd },
      });
      this.successorToken = token;
      this.logger.info('Successor started', { subtaskIndex, handoff: token });
    } catch (error) {
      // The schedule (the watchdog) starts the subtask again once this run's lease is released.
      this.logger.warn(
        'Could not start the successor; the next scheduled invocation takes the subtask over',
        {
          subtaskIndex,
          error: describeError(error),
        },
      );
    }
  }

  /**
   * At the end of the run: hands the lease over to the successor when the run reached its deadline with
   * its checkpoint written and a successor started; else releases it.
   */
  private async letLeaseGo(): Promise<void> {
    const { subtaskIndex } = this.request;
    const token = this.successorToken;
    const expiryMillis = this.options.leaseExpiryMillis;
    const durable = !this.book || !this.book.differsFromDurable(this.lastValue());
    const safe = !this.keeper || this.deps.clock.now() < this.keeper.safeUntil;
    if (token && expiryMillis !== undefined && this.lease.handOver && this.stoppedBy === 'deadline') {
      if (durable && safe) {
        try {
          await this.lease.handOver(token, this.deps.clock.now() + expiryMillis);
          this.handedOverTo = token;
          this.logger.info('Lease handed over to the successor', { subtaskIndex, handoff: token });
          return;
        } catch (error) {
          if (error instanceof LeaseLostError) {
            this.loseLease(error);
            return;
          }
          this.logger.warn('Could not hand the lease over; releasing it', {
            subtaskIndex,
            error: describeError(error),
          });
        }
      }
    }
    try {
      await this.lease.release();
    } catch (error) {
      this.logger.warn('Could not release the subtask lease; it expires on its own', {
        subtaskIndex,
        error: describeError(error),
      });
    }
  }

  /** The value a checkpoint write would store now (to see whether the last one made it). */
  private lastValue(): CheckpointValue {
    const positions = new Map<ShardKey, ShardCheckpoint | undefined>();
    for (const owned of this.owned.values()) positions.set(owned.key, owned.delivery?.committed);
    return (this.book as CheckpointBook).valueToWrite(
      positions,
      (key) => this.isListed(key),
      this.deps.clock.now(),
    );
  }

  /** Loads checkpoints, lists every stream, pins first starts and starts the readers that may start. */
  private async begin(): Promise<void> {
    const signal = this.request.signal;
    if (signal) {
      if (signal.aborted) this.stopFor('signal');
      const onAbort = () => this.stopFor('signal');
      signal.addEventListener('abort', onAbort, { once: true });
      this.stop.signal.addEventListener('abort', () => signal.removeEventListener('abort', onAbort), {
        once: true,
      });
    }
    // The listing does not depend on the checkpoints: both at once, so a successor taking over a
    // handed-over lease reads again one round trip sooner.
    const [stored, listed] = await Promise.all([
      this.deps.checkpoints.loadAll(),
      Promise.all(this.options.streams.map((stream) => this.list(stream))),
    ]);
    this.book = new CheckpointBook(this.request.subtaskIndex, stored);
    this.options.streams.forEach((stream, i) => {
      this.streamOfKey.set(checkpointStreamKey(stream), stream);
      const shards = listed[i] ?? [];
      this.known.set(stream, new Map(shards.map((s) => [s.shardId, s])));
    });
    await this.pinFirstStarts(this.book);
    for (const shards of this.known.values()) for (const shard of shards.values()) this.adopt(shard);
    this.startEligible();
  }

  /**
   * On the consumer's first start on a stream, writes where every shard starts before reading anything,
   * so that a first invocation that crashes is retried from the same place: LATEST becomes the time of
   * this start (closed shards hold nothing newer: they count as read), AT_TIMESTAMP its timestamp.
   * Shards found later start at TRIM_HORIZON.
   */
  private async pinFirstStarts(book: CheckpointBook): Promise<void> {
    const initial = this.options.initialPosition;
    if (initial.type === 'TRIM_HORIZON') return;
    let pinned = false;
    for (const stream of this.options.streams) {
      if (book.hasStream(stream)) continue;
      const at = initial.type === 'LATEST' ? this.startedAt : initial.timestampMillis;
      for (const shard of this.known.get(stream)?.values() ?? []) {
        const checkpoint: ShardCheckpoint =
          initial.type === 'LATEST' && shard.endingSequenceNumber
            ? { kind: 'shard-end' }
            : { kind: 'pinned', timestampMillis: at };
        book.carry(shardKey(stream, shard.shardId), checkpoint);
        pinned = true;
      }
      this.logger.info('First start on this stream; start positions pinned', {
        stream,
        initialPosition: initial.type,
        pinnedAt: new Date(at).toISOString(),
      });
    }
    if (pinned) await this.requestWrite();
  }

  private adopt(shard: ShardDescription): void {
    const key = shardKey(shard.streamName, shard.shardId);
    if (this.owned.has(key)) return;
    if (assignSubtask(this.assigner, shard, this.request.parallelism) !== this.request.subtaskIndex) return;
    this.owned.set(key, { shard, key, status: 'waiting' });
  }

  /** Starts every owned shard that is not read yet and whose parents are read to their end. */
  private startEligible(): void {
    const book = this.book;
    if (!book || this.stop.signal.aborted) return;
    for (const owned of this.owned.values()) {
      if (owned.status !== 'waiting') continue;
      const checkpoint = book.checkpointOf(owned.key);
      if (checkpoint?.kind === 'shard-end') {
        owned.status = 'ended';
        continue;
      }
      if (checkpoint?.kind !== 'sequence' && !this.parentsDone(owned.shard, book)) continue;
      this.startReader(owned, checkpoint);
    }
  }

  /** A parent is done when its end is durably checkpointed, or when it is gone (trimmed past retention). */
  private parentsDone(shard: ShardDescription, book: CheckpointBook): boolean {
    for (const parent of [shard.parentShardId, shard.adjacentParentShardId]) {
      if (!parent) continue;
      if (this.known.get(shard.streamName)?.has(parent) === false) continue;
      if (book.checkpointOf(shardKey(shard.streamName, parent))?.kind !== 'shard-end') return false;
    }
    return true;
  }

  private startReader(owned: OwnedShard<T>, checkpoint: ShardCheckpoint | undefined): void {
    const { deps, options } = this;
    const { shard } = owned;
    const keys = { stream: shard.streamName, shardId: shard.shardId };
    const { start, skipThrough } = startingPoint(checkpoint);
    const watermark = this.watermarks.track(owned.key);
    const shardStop = this.shardStops.child();
    const delivery = new ShardDelivery<T>(
      {
        ...keys,
        subtaskIndex: this.request.subtaskIndex,
        handler: options.handler,
        settings: options.delivery,
        clock: deps.clock,
        random: deps.random,
        logger: this.logger,
        signal: shardStop.signal,
        watermark: () => this.watermarks.current(),
        observe: (eventTime) => watermark.observe(eventTime),
        ...(deps.transactions
          ? {
              commit: (position: ShardCheckpoint, actions: readonly TransactWriteItem[], mark: () => void) =>
                this.commitWith(owned, position, actions, mark),
              hashRange: { start: shard.startingHashKey, end: shard.endingHashKey },
            }
          : {}),
        ...(deps.onFailure ? { onFailure: deps.onFailure } : {}),
      },
      checkpoint,
    );
    const source = deps.shardSource?.({
      shard,
      polling: deps.kinesis,
      dueAt: () => delivery.dueAt,
      stop: shardStop.signal,
      logger: this.logger,
    });
    const reader = new ShardReader<T>({
      api: source?.api ?? deps.kinesis,
      shard,
      start,
      ...(skipThrough ? { skipThrough } : {}),
      delivery,
      deserializer: options.deserializer,
      ...(options.timestampAssigner ? { timestampAssigner: options.timestampAssigner } : {}),
      watermark,
      settings: source ? source.settings(options.reader) : options.reader,
      clock: deps.clock,
      random: deps.random,
      logger: this.logger,
      stop: shardStop.signal,
    });
    owned.delivery = delivery;
    owned.reader = reader;
    owned.watermark = watermark;
    owned.status = 'reading';
    this.logger.info('Reading shard', { ...keys, start: start.type });
    owned.done = reader
      .run()
      .finally(shardStop.release)
      .then(
        (outcome) => {
          owned.status = outcome === 'shard-end' ? 'ended' : 'stopped';
          if (outcome === 'shard-end') watermark.ended = true;
          // Children (here or in another subtask) wait for this end to be durable: write it now.
          if (outcome === 'shard-end') this.requestWrite().catch((error) => this.writeFailed(error));
        },
        (error: unknown) => {
          owned.status = 'failed';
          this.logger.error('Shard reader failed', { ...keys, error: describeError(error) });
          this.fail(error);
        },
      );
  }

  private async deadlineLoop(): Promise<void> {
    const wait = this.request.deadline - this.deps.clock.now();
    if (await this.sleep(wait)) this.stopFor('deadline');
  }

  /**
   * Cost mode: stops the run once every shard being read has been at its tip for `idleMillis` (shards
   * waiting for a parent another subtask reads, or read to their end, do not keep it going).
   */
  private async caughtUpLoop(idleMillis: number): Promise<void> {
    const poll = Math.max(1, Math.min(idleMillis, 1000));
    while (await this.sleep(poll)) {
      const now = this.deps.clock.now();
      let since = this.startedAt;
      let caughtUp = true;
      for (const owned of this.owned.values()) {
        if (owned.status !== 'reading') continue;
        const at = owned.reader?.stats.caughtUpSince;
        if (at === undefined || (owned.delivery?.pendingCount ?? 0) > 0) {
          caughtUp = false;
          break;
        }
        since = Math.max(since, at);
      }
      if (caughtUp && now - since >= idleMillis) {
        this.logger.info('Every shard caught up; returning early (cost mode)', {
          subtaskIndex: this.request.subtaskIndex,
          caughtUpForMillis: now - since,
        });
        this.stopFor('caught-up');
        return;
      }
    }
  }

  private async discoveryLoop(): Promise<void> {
    while (await this.sleep(this.options.discoveryIntervalMillis)) {
      try {
        await this.discoverNew();
        if ([...this.owned.values()].some((s) => s.status === 'waiting')) {
          // A waiting child's parent may belong to another subtask: see what the others have written.
          this.book?.reload(await this.deps.checkpoints.loadAll());
        }
        this.startEligible();
      } catch (error) {
        if (error instanceof ConfigurationError) this.fail(error);
        // A call cut short by the run's own stop is no failure: a normal stop logs nothing above INFO.
        else if (!this.stop.signal.aborted)
          this.logger.warn('Shard discovery failed; trying again at the next interval', {
            error: describeError(error),
          });
      }
    }
  }

  private async checkpointLoop(): Promise<void> {
    while (await this.sleep(this.options.checkpointIntervalMillis)) {
      await this.requestWrite().catch((error) => this.writeFailed(error));
    }
  }

  /** Lists only shards newer than the newest known (shard ids grow with each split or merge). */
  private async discoverNew(): Promise<void> {
    for (const stream of this.options.streams) {
      const known = this.known.get(stream) ?? new Map<string, ShardDescription>();
      const newest = [...known.keys()].sort().pop();
      const found = await this.list(stream, newest);
      for (const shard of found) {
        if (known.has(shard.shardId)) continue;
        known.set(shard.shardId, shard);
        this.logger.info('New shard discovered', {
          stream,
          shardId: shard.shardId,
          parentShardId: shard.parentShardId,
        });
        this.adopt(shard);
      }
    }
  }

  private list(stream: string, exclusiveStartShardId?: string): Promise<ShardDescription[]> {
    return listShards(this.deps.kinesis, stream, {
      backoff: this.options.listShardsBackoff,
      clock: this.deps.clock,
      random: this.deps.random,
      logger: this.logger,
      ...(exclusiveStartShardId ? { exclusiveStartShardId } : {}),
      signal: this.stop.signal,
    });
  }

  /** Writes the checkpoint now, or once more after the write in progress. */
  private requestWrite(): Promise<void> {
    if (this.writing) {
      this.writeAgain = true;
      return this.writing;
    }
    this.writing = (async () => {
      try {
        do {
          this.writeAgain = false;
          await this.exclusive(() => this.writeCheckpoint());
        } while (this.writeAgain && !this.leaseLost);
      } finally {
        this.writing = undefined;
      }
    })();
    return this.writing;
  }

  private async writeCheckpoint(): Promise<void> {
    const book = this.book;
    if (!book || this.leaseLost) return;
    const positions = new Map<ShardKey, ShardCheckpoint | undefined>();
    for (const owned of this.owned.values()) positions.set(owned.key, owned.delivery?.committed);
    const value = book.valueToWrite(positions, (key) => this.isListed(key), this.deps.clock.now());
    if (!book.differsFromDurable(value)) return;
    // Fencing: never write over a newer owner's progress.
    if (!(await this.lease.isHeld())) {
      this.loseLease(
        new LeaseLostError(
          `Subtask ${this.request.subtaskIndex} lost its lease to another invocation; stopping without writing ` +
            'checkpoints. Keep the function timeout below the schedule period.',
        ),
      );
      return;
    }
    let writes: number;
    try {
      ({ writes } = await this.deps.checkpoints.save(this.request.subtaskIndex, value, this.lease));
    } catch (error) {
      if (error instanceof LeaseLostError) {
        this.loseLease(error);
        return;
      }
      throw error;
    }
    this.checkpointWrites += writes;
    book.markDurable(value);
    this.startEligible();
  }

  /**
   * Exactly-once: commits a batch's effects with the subtask's checkpoint, this shard at `position` and
   * every other shard where it stands, in one transaction fenced by the lease; `mark` then moves the
   * shard's delivery on. Serialised with the plain checkpoint writes, so no write ever puts a shard back.
   */
  private commitWith(
    owned: OwnedShard<T>,
    position: ShardCheckpoint,
    actions: readonly TransactWriteItem[],
    mark: () => void,
  ): Promise<void> {
    return this.exclusive(async () => {
      const book = this.book as CheckpointBook;
      if (this.leaseLost) throw this.failure ?? new LeaseLostError('The subtask lease was lost.');
      const positions = new Map<ShardKey, ShardCheckpoint | undefined>();
      for (const o of this.owned.values())
        positions.set(o.key, o === owned ? position : o.delivery?.committed);
      const value = book.valueToWrite(positions, (key) => this.isListed(key), this.deps.clock.now());
      const transactions = this.deps.transactions as TransactionalCheckpoints;
      try {
        const { writes } = await transactions.saveWith(
          this.request.subtaskIndex,
          value,
          this.lease,
          actions,
          {
            key: owned.key,
            from: owned.delivery?.committed,
            to: position,
          },
        );
        this.checkpointWrites += writes;
      } catch (error) {
        if (error instanceof LeaseLostError) this.loseLease(error);
        throw error;
      }
      book.markDurable(value);
      mark();
    });
  }

  private exclusive<R>(fn: () => Promise<R>): Promise<R> {
    const run = this.itemLock.then(fn);
    this.itemLock = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  }

  private loseLease(error: LeaseLostError): void {
    this.leaseLost = true;
    this.stoppedBy = 'lease-lost';
    this.failure ??= error;
    this.logger.error('Subtask lease lost; stopping without writing', {
      subtaskIndex: this.request.subtaskIndex,
      error: describeError(error),
    });
    this.stop.abort();
  }

  private writeFailed(error: unknown): void {
    this.logger.warn('Checkpoint write failed; trying again at the next interval', {
      error: describeError(error),
    });
  }

  private isListed(key: ShardKey): boolean | undefined {
    const { streamName, shardId } = parseShardKey(key);
    const shards = this.known.get(this.streamOfKey.get(streamName) ?? streamName);
    return shards ? shards.has(shardId) : undefined;
  }

  /** Sleeps on the clock; false when the run stopped meanwhile. */
  private async sleep(ms: number): Promise<boolean> {
    if (this.stop.signal.aborted) return false;
    try {
      await this.deps.clock.sleep(Math.max(0, ms), this.stop.signal);
      return !this.stop.signal.aborted;
    } catch {
      return false;
    }
  }

  private stopFor(reason: 'deadline' | 'signal' | 'caught-up' | 'lease-expiring'): void {
    if (this.stop.signal.aborted) return;
    this.stoppedBy = reason;
    this.stop.abort();
  }

  private fail(error: unknown): void {
    if (!this.failure) {
      this.failure = error instanceof Error ? error : new Error(String(error));
      if (!this.leaseLost) this.stoppedBy = 'failure';
    }
    this.stop.abort();
  }

  private summary(): RunSummary {
    const shards: ShardRunSummary[] = [...this.owned.values()].map((s) => {
      const position = s.delivery?.committed ?? this.book?.checkpointOf(s.key);
      const d = s.delivery;
      return {
        stream: s.shard.streamName,
        shardId: s.shard.shardId,
        status: s.status,
        recordsDelivered: d?.recordsDelivered ?? 0,
        recordsFailed: d?.recordsFailed ?? 0,
        recordsSentToOnFailure: d?.recordsSentToOnFailure ?? 0,
        failedBatches: d?.failedBatches ?? 0,
        handlerCalls: d?.handlerCalls ?? 0,
        ...(s.reader ? s.reader.stats : {}),
        ...(position ? { position } : {}),
        ...(s.watermark?.watermark !== undefined ? { watermark: s.watermark.watermark } : {}),
      };
    });
    const watermark = this.watermarks.current();
    return {
      subtaskIndex: this.request.subtaskIndex,
      parallelism: this.request.parallelism,
      startedAt: this.startedAt,
      endedAt: this.deps.clock.now(),
      stoppedBy: this.stoppedBy,
      ...(this.failure ? { error: this.failure } : {}),
      ...(this.handedOverTo ? { handedOverTo: this.handedOverTo } : {}),
      recordsDelivered: shards.reduce((n, s) => n + s.recordsDelivered, 0),
      recordsFailed: shards.reduce((n, s) => n + s.recordsFailed, 0),
      recordsSentToOnFailure: shards.reduce((n, s) => n + s.recordsSentToOnFailure, 0),
      ...(watermark !== undefined ? { watermark } : {}),
      batchesDelivered: [...this.owned.values()].reduce((n, s) => n + (s.delivery?.batchesDelivered ?? 0), 0),
      checkpointWrites: this.checkpointWrites,
      shards,
    };
  }
}

/** Where to start a shard from its checkpoint; no checkpoint means a shard found after the first start. */
function startingPoint(checkpoint: ShardCheckpoint | undefined): {
  start: StartingPosition;
  skipThrough?: { sequenceNumber: string; subSequenceNumber: number };
} {
  if (!checkpoint) return { start: { type: 'TRIM_HORIZON' } };
  switch (checkpoint.kind) {
    case 'pinned':
      return { start: { type: 'AT_TIMESTAMP', timestampMillis: checkpoint.timestampMillis } };
    case 'sequence':
      if (checkpoint.subSequenceNumber === undefined) {
        return { start: { type: 'AFTER_SEQUENCE_NUMBER', sequenceNumber: checkpoint.sequenceNumber } };
      }
      return {
        start: { type: 'AT_SEQUENCE_NUMBER', sequenceNumber: checkpoint.sequenceNumber },
        skipThrough: {
          sequenceNumber: checkpoint.sequenceNumber,
          subSequenceNumber: checkpoint.subSequenceNumber,
        },
      };
    case 'shard-end':
      throw new Error('A shard read to its end has no starting point.');
  }
}

/**
 * Checks the options against the settings tables' own rules (config/consumer-settings.ts), so an engine
 * built by hand accepts what the configuration accepts and nothing else.
 */
function validateEngineOptions<T>(options: ConsumerEngineOptions<T>): void {
  const fail = (key: string, value: unknown, allowed: string): never => {
    throw new ConfigurationError(`${key} is ${JSON.stringify(value)}; ${allowed}.`, key);
  };
  const check = (key: string, value: unknown, spec: Setting<unknown>) => {
    if (spec.kind.parse(value, false) === undefined) fail(key, value, `it must be ${spec.kind.allowed}`);
  };
  if (!options.streams.length) fail('streams', options.streams, 'name at least one stream');
  for (const stream of options.streams) {
    if (streamRef.parse(stream, false) === undefined) fail('streams', stream, `give ${streamRef.allowed}`);
  }
  if (new Set(options.streams).size !== options.streams.length)
    fail('streams', options.streams, 'name each stream once');
  const { reader, delivery } = options;
  const S = CONSUMER_SETTINGS;
  check('reader.maxRecordsPerCall', reader.maxRecordsPerCall, S.maxRecordCount);
  check('reader.intervalMillis', reader.intervalMillis, S.getRecordsIntervalMillis);
  check('discoveryIntervalMillis', options.discoveryIntervalMillis, S.discoveryIntervalMillis);
  check('checkpointIntervalMillis', options.checkpointIntervalMillis, S.checkpointIntervalMillis);
  check('delivery.batchSize', delivery.batchSize, S.batchSize);
  check('delivery.maxBatchingMillis', delivery.maxBatchingMillis, S.maxBatchingMillis);
  if (!Number.isSafeInteger(options.leaseGraceMillis) || options.leaseGraceMillis < 0)
    fail(
      'leaseGraceMillis',
      options.leaseGraceMillis,
      'it must be a whole number of milliseconds, 0 or more',
    );
  if (options.shardIdleIntervalMillis !== undefined)
    check('shardIdleIntervalMillis', options.shardIdleIntervalMillis, S.shardIdleIntervalMillis);
  if (
    options.leaseExpiryMillis !== undefined &&
    (!Number.isSafeInteger(options.leaseExpiryMillis) || options.leaseExpiryMillis < 1)
  )
    fail(
      'leaseExpiryMillis',
      options.leaseExpiryMillis,
      'it must be a whole number of milliseconds, 1 or more',
    );
  if (options.continuous) {
    const lead = options.continuous.leadMillis;
    if (!Number.isSafeInteger(lead) || lead < 0)
      fail('continuous.leadMillis', lead, 'it must be a whole number of milliseconds, 0 or more');
    if (options.leaseExpiryMillis === undefined)
      fail('continuous', options.continuous, 'continuous mode needs leaseExpiryMillis');
  }
  if (options.costMode)
    check('costMode.idleReturnMillis', options.costMode.idleReturnMillis, S.idleReturnMillis);
  if (
    options.initialPosition.type === 'AT_TIMESTAMP' &&
    !Number.isFinite(options.initialPosition.timestampMillis)
  ) {
    fail(
      'initialPosition.timestampMillis',
      options.initialPosition.timestampMillis,
      'AT_TIMESTAMP needs a timestamp',
    );
  }
  if (!['LATEST', 'TRIM_HORIZON', 'AT_TIMESTAMP'].includes(options.initialPosition.type)) {
    fail('initialPosition', options.initialPosition.type, 'use LATEST, TRIM_HORIZON or AT_TIMESTAMP');
  }
}

function validateRunRequest(request: RunRequest, now: number): void {
  const { subtaskIndex, parallelism, deadline } = request;
  if (!Number.isInteger(parallelism) || parallelism < 1) {
    throw new ConfigurationError(
      `parallelism is ${String(parallelism)}; it must be an integer of 1 or more.`,
      'parallelism',
    );
  }
  if (!Number.isInteger(subtaskIndex) || subtaskIndex < 0 || subtaskIndex >= parallelism) {
    throw new ConfigurationError(
      `subtaskIndex is ${String(subtaskIndex)}; it must be an integer from 0 to ${parallelism - 1} (parallelism ${parallelism}).`,
      'subtaskIndex',
    );
  }
  if (!Number.isFinite(deadline) || deadline <= now) {
    throw new ConfigurationError(
      `deadline ${String(deadline)} is not in the future; the run has no time to read.`,
      'deadline',
    );
  }
}
