import { describeError } from '../errors';
import { decimalToHashKeyHex, hashKeyHexFor } from '../record-format';
import { systemClock, type Clock, type Random } from '../time/clock';
import { buildEntries, planRuns, type Entry, type PendingRecord } from './batcher';
import { BUDGET_SHARE_REFRESH_MILLIS, heldPartOfPause, type BudgetShare } from './budget-share';
import type { DeadLetter, DeadLetterSink } from './dead-letter';
import type { ProducerKinesisApi } from './kinesis-api';
import type { ProducerLogger } from './logger';
import {
  parseMessage,
  type MessageFormat,
  type ParsedRecord,
  type ProducerMessage,
} from './message-contract';
import type { ProducerConfig } from '../config/producer-settings';
import { resolveProducerOptions, runtimeOptionsFromConfig, type ProducerRuntimeOptions } from './options';
import { ShardRateLimiter } from './rate-limiter';
import {
  Router,
  type Partitioner,
  type RoutableRecord,
  type RoutingOptions,
  type TargetStreamSelector,
} from './routing';
import { ShardMapCache, type StreamShards } from './shard-map-cache';
import {
  emptyWriteStats,
  Writer,
  type FailureKind,
  type PendingFailure,
  type Planner,
  type WriteReport,
  type WriteStats,
} from './writer';

export interface ProducerSettings extends Partial<ProducerRuntimeOptions>, RoutingOptions {
  /** How a message body carries its record. @default 'envelope' */
  readonly messageFormat?: MessageFormat;
  /**
   * The source queue's maxReceiveCount: a message not written at that receive goes to the dead-letter
   * sink with its reason, and is reported done. @default - such a message takes the queue's redrive path
   */
  readonly maxReceiveCount?: number;
}

/**
 * The producer settings a validated configuration gives, plus the routing functions only code can give
 * (the reference's target-stream selector and custom partitioner).
 */
export function producerSettingsFromConfig(
  config: ProducerConfig,
  routing: { readonly targetStream?: TargetStreamSelector; readonly partitioner?: Partitioner } = {},
): ProducerSettings {
  return {
    ...runtimeOptionsFromConfig(config),
    messageFormat: config.raw ? 'raw' : 'envelope',
    region: config.aws.region,
    ...(config.defaultStream !== undefined ? { defaultStream: config.defaultStream } : {}),
    ...(config.defaultPartitionKey !== undefined ? { defaultPartitionKey: config.defaultPartitionKey } : {}),
    ...(config.allowedStreams !== undefined ? { allowedStreams: config.allowedStreams } : {}),
    ...(config.maxReceiveCount !== undefined ? { maxReceiveCount: config.maxReceiveCount } : {}),
    ...routing,
  };
}

export interface ProducerDependencies {
  readonly kinesis: ProducerKinesisApi;
  /**
   * Where malformed and oversize messages go at once, and messages not written by their last receive.
   * @default - they are reported failed instead
   */
  readonly deadLetters?: DeadLetterSink;
  /**
   * This container's share of each shard's budget, asked at a batch's start and again each second while
   * it is written.
   * @default - the whole budget: the producer writes as if it were the deployment's only container
   */
  readonly budgetShare?: BudgetShare;
  /** @default the system clock */
  readonly clock?: Clock;
  /** @default Math.random */
  readonly random?: Random;
  readonly logger?: ProducerLogger;
}

export interface ProcessOptions {
  /**
   * Epoch milliseconds by which processing ends (for a Lambda: its remaining time less a margin). No
   * PutRecords starts in its last 200 ms and none runs past it; records not written are reported failed.
   */
  readonly deadline?: number;
}

/** Why a message was not written: the writer's reasons, or `invalid` when it could not be dead-lettered. */
export type MessageFailureKind = FailureKind | 'invalid';

export interface ProcessResult {
  /** Messages to report as batch item failures: SQS delivers them again, then moves them to the DLQ. */
  readonly failures: readonly string[];
  /** Why each of `failures` failed, in batch order. */
  readonly failed: readonly {
    readonly messageId: string;
    readonly kind: MessageFailureKind;
    readonly reason: string;
  }[];
  /**
   * Messages sent to the DLQ with the reason (malformed or oversize ones, and those not written by their
   * last receive); handled, so not failures.
   */
  readonly deadLettered: readonly {
    readonly messageId: string;
    readonly field: string;
    readonly reason: string;
  }[];
  /** Messages whose record is in the stream. */
  readonly written: number;
  readonly stats: ProducerStats;
}

export interface ProducerStats extends WriteStats {
  messages: number;
  invalidMessages: number;
  deadLettered: number;
  /** Of `deadLettered`: valid messages not written by their last receive. */
  lastReceiveDeadLettered: number;
  /** The share of each shard's budget this container wrote under. */
  budgetShare: number;
}

/**
 * The producer core: validates a batch of SQS messages, routes each record, predicts its shard from a
 * cached shard map, aggregates per shard, writes under per-shard rate limits, and says which messages
 * SQS must deliver again. It keeps its shard maps and rate limiters between calls.
 */
export class Producer {
  readonly options: ProducerRuntimeOptions;
  /** The time the producer runs on; deadlines given to `process` are on this clock. */
  readonly clock: Clock;
  private readonly random: Random;
  private readonly router: Router;
  private readonly cache: ShardMapCache;
  private readonly limiter: ShardRateLimiter;
  private readonly writer: Writer;
  private readonly format: MessageFormat;
  /**
   * Messages of the batches this producer is processing now. A Lambda container runs one batch at a
   * time, but a producer given several at once (the local runner's pollers share one) holds them all,
   * and its share of the deployment's budget is theirs together.
   */
  private heldMessages = 0;

  constructor(
    private readonly settings: ProducerSettings,
    private readonly deps: ProducerDependencies,
  ) {
    this.options = resolveProducerOptions(settings);
    this.clock = deps.clock ?? systemClock;
    this.random = deps.random ?? Math.random;
    this.format = settings.messageFormat ?? 'envelope';
    this.router = new Router({ ...settings, random: settings.random ?? this.random });
    this.cache = new ShardMapCache({
      listShards: (stream) => deps.kinesis.listShards(stream),
      clock: this.clock,
      random: this.random,
      ttlMillis: this.options.shardMapTtlMillis,
    });
    this.limiter = new ShardRateLimiter({
      clock: this.clock,
      rateLimitPercent: this.options.rateLimitPercent,
      sharesBudget: deps.budgetShare !== undefined,
    });
    this.writer = new Writer({
      kinesis: deps.kinesis,
      limiter: this.limiter,
      planner: this.planner(),
      clock: this.clock,
      random: this.random,
      options: this.options,
      ...(deps.logger ? { logger: deps.logger } : {}),
    });
  }

  /**
   * Asks the budget share again each refresh period while the batch is written: containers finish their
   * batches at different times, so a share fixed at a batch's start would leave the budget of those that
   * finished unspent (and an underestimate would throttle until the next batch). Stopped by the abort.
   */
  private followShare(writing: boolean): AbortController {
    const stop = new AbortController();
    const budgetShare = this.deps.budgetShare;
    if (!budgetShare || !writing) return stop;
    void (async () => {
      while (!stop.signal.aborted) {
        await this.clock.sleep(BUDGET_SHARE_REFRESH_MILLIS, stop.signal);
        const share = await budgetShare.shareFor(this.heldMessages);
        if (!stop.signal.aborted) this.limiter.setShare(share);
      }
    })().catch(() => undefined);
    return stop;
  }

  /** Processes one batch; never throws for a bad message or a failed put, it reports them. */
  async process(messages: readonly ProducerMessage[], options: ProcessOptions = {}): Promise<ProcessResult> {
    if (this.heldMessages === 0) {
      const pausedAt = this.limiter.pausedSince;
      this.limiter.resume(pausedAt === undefined ? 1 : heldPartOfPause(messages, pausedAt, this.clock.now()));
    }
    this.heldMessages += messages.length;
    try {
      return await this.processHeld(messages, options);
    } finally {
      this.heldMessages -= messages.length;
      // Between batches it earns only for the time its messages were in the queue's count (heldPartOfPause).
      if (this.heldMessages === 0) this.limiter.pause();
    }
  }

  private async processHeld(
    messages: readonly ProducerMessage[],
    options: ProcessOptions,
  ): Promise<ProcessResult> {
    const now = this.clock.now();
    const { maxRecordSizeBytes, recordTtlMillis } = this.options;
    const stats: ProducerStats = {
      ...emptyWriteStats(),
      messages: messages.length,
      invalidMessages: 0,
      deadLettered: 0,
      lastReceiveDeadLettered: 0,
      budgetShare: 1,
    };
    if (this.deps.budgetShare && messages.length > 0) {
      this.limiter.setShare(await this.deps.budgetShare.shareFor(this.heldMessages));
    }
    const failures = new Map<number, { kind: MessageFailureKind; reason: string }>();
    const failedBefore: PendingFailure[] = [];
    const letters: { index: number; letter: DeadLetter }[] = [];
    const byStream = new Map<string, PendingRecord[]>();

    messages.forEach((message, index) => {
      const parsed = parseMessage(message, this.format);
      if (!parsed.ok) {
        letters.push({ index, letter: { message, rejection: parsed } });
        return;
      }
      const routed = this.router.route(routable(parsed.record, message));
      if (!routed.ok) {
        letters.push({ index, letter: { message, rejection: routed } });
        return;
      }
      const { stream, partitionKey, explicitHashKey, data } = routed.record;
      const keyBytes = Buffer.byteLength(partitionKey);
      const size = data.length + keyBytes;
      if (size > maxRecordSizeBytes) {
        const reason =
          `The record is ${size} bytes (${data.length} of data and ${keyBytes} of partition key); ` +
          `a record of stream ${stream} may be at most ${maxRecordSizeBytes} bytes.`;
        letters.push({ index, letter: { message, rejection: { field: 'data', reason } } });
        return;
      }
      // RecordTtl counts from this invocation's start, not from the send: the queue is a durable
      // buffer, and a record that waited in it is as good as a new one.
      // Built field by field: conditional spreads cost more than the rest of this loop.
      const record: { -readonly [K in keyof PendingRecord]: PendingRecord[K] } = {
        index,
        messageId: message.messageId,
        stream,
        partitionKey,
        data,
        size,
        sentAt: message.sentTimestamp ?? now,
        expiresAt: now + recordTtlMillis,
      };
      if (explicitHashKey !== undefined) record.explicitHashKey = explicitHashKey;
      if (message.messageGroupId !== undefined) record.group = message.messageGroupId;
      const list = byStream.get(stream) ?? [];
      list.push(record);
      byStream.set(stream, list);
    });

    stats.invalidMessages = letters.length;
    const deadLettered: { messageId: string; field: string; reason: string }[] = [];
    if (letters.length > 0) {
      const errors = await this.sendDeadLetters(letters.map((l) => l.letter));
      for (const { index, letter } of letters) {
        const { messageId } = letter.message;
        const error = errors.get(messageId);
        if (error === undefined) {
          deadLettered.push({ messageId, ...letter.rejection });
          continue;
        }
        const reason = `${letter.rejection.reason} It could not be sent to the dead-letter queue: ${error}`;
        failures.set(index, { kind: 'invalid', reason });
        failedBefore.push({ index, messageId, reason, ...groupOf(letter.message) });
      }
      stats.deadLettered = deadLettered.length;
      this.deps.logger?.warn('Messages rejected by the producer.', {
        rejected: letters.map(({ letter }) => ({ messageId: letter.message.messageId, ...letter.rejection })),
        deadLettered: deadLettered.length,
      });
    }

    const entries: Entry[] = [];
    await Promise.all(
      [...byStream].map(async ([stream, records]) => {
        try {
          entries.push(...this.plan(records, await this.cache.get(stream)));
        } catch (error) {
          const reason = `The shards of stream ${stream} could not be listed: ${describeError(error)}.`;
          this.deps.logger?.error('Cannot write to a stream.', { stream, error: describeError(error) });
          for (const record of records) {
            failures.set(record.index, { kind: 'unavailable', reason });
            failedBefore.push({
              index: record.index,
              messageId: record.messageId,
              reason,
              ...groupOf(record),
            });
          }
        }
      }),
    );

    let report: WriteReport;
    const shareFollower = this.followShare(entries.length > 0);
    try {
      report = await this.writer.write({
        entries,
        failedBefore,
        ...(options.deadline !== undefined ? { deadline: options.deadline } : {}),
      });
    } finally {
      shareFollower.abort();
    }
    stats.budgetShare = this.limiter.currentShare;
    let written = 0;
    const where = new Map<number, { stream: string; shardId?: string; attempts?: number }>();
    for (const entry of entries) for (const r of entry.records) where.set(r.index, { stream: r.stream });
    for (const [index, outcome] of report.outcomes) {
      if (outcome.written) {
        written++;
        continue;
      }
      failures.set(index, { kind: outcome.kind, reason: outcome.reason });
      const stream = where.get(index)?.stream;
      if (stream !== undefined) {
        where.set(index, {
          stream,
          ...(outcome.shardId !== undefined ? { shardId: outcome.shardId } : {}),
          ...(outcome.attempts !== undefined ? { attempts: outcome.attempts } : {}),
        });
      }
    }
    stats.lastReceiveDeadLettered = await this.deadLetterLastReceives(
      messages,
      failures,
      where,
      deadLettered,
    );
    stats.deadLettered = deadLettered.length;
    const failed = [...failures]
      .sort(([a], [b]) => a - b)
      .map(([index, failure]) => ({ messageId: messages[index]?.messageId ?? '', ...failure }));
    return {
      failures: failed.map((f) => f.messageId),
      failed,
      deadLettered,
      written,
      stats: {
        ...stats,
        ...report.stats,
        expiredRecords: stats.expiredRecords + report.stats.expiredRecords,
      },
    };
  }

  /**
   * Messages that failed at their last receive (SQS's count at maxReceiveCount) go to the dead-letter
   * sink with their reason, stream, shard and attempts, and leave `failures`: reported done, SQS deletes
   * them. One whose send fails stays a failure, and the queue's redrive moves it without a reason.
   */
  private async deadLetterLastReceives(
    messages: readonly ProducerMessage[],
    failures: Map<number, { kind: MessageFailureKind; reason: string }>,
    where: ReadonlyMap<number, { stream: string; shardId?: string; attempts?: number }>,
    deadLettered: { messageId: string; field: string; reason: string }[],
  ): Promise<number> {
    const maxReceives = this.settings.maxReceiveCount;
    if (maxReceives === undefined || !this.deps.deadLetters) return 0;
    const last: { index: number; letter: DeadLetter }[] = [];
    for (const [index, failure] of failures) {
      const message = messages[index];
      // 'invalid' ones already failed to reach the dead-letter queue.
      if (!message || failure.kind === 'invalid' || (message.receiveCount ?? 0) < maxReceives) continue;
      const place = where.get(index);
      last.push({
        index,
        letter: {
          message,
          rejection: {
            field: failure.kind,
            reason:
              `Not written by receive ${message.receiveCount} of ${maxReceives}` +
              (place?.attempts !== undefined
                ? ` (${place.attempts} PutRecords attempt(s) in the last)`
                : '') +
              `: ${failure.reason}`,
          },
          failure: {
            kind: failure.kind,
            ...(place?.stream !== undefined ? { stream: place.stream } : {}),
            ...(place?.shardId !== undefined ? { shardId: place.shardId } : {}),
            receives: message.receiveCount ?? maxReceives,
          },
        },
      });
    }
    if (last.length === 0) return 0;
    const errors = await this.sendDeadLetters(last.map((l) => l.letter));
    let sent = 0;
    for (const { index, letter } of last) {
      if (errors.has(letter.message.messageId)) continue;
      failures.delete(index);
      deadLettered.push({ messageId: letter.message.messageId, ...letter.rejection });
      sent++;
    }
    this.deps.logger?.warn('Messages not written by their last receive were sent to the dead-letter queue.', {
      deadLettered: last
        .filter(({ letter }) => !errors.has(letter.message.messageId))
        .slice(0, 20)
        .map(({ letter }) => ({ messageId: letter.message.messageId, ...letter.rejection })),
      notSent: errors.size,
    });
    return sent;
  }

  private async sendDeadLetters(letters: readonly DeadLetter[]): Promise<ReadonlyMap<string, string>> {
    const sink = this.deps.deadLetters;
    if (!sink) {
      return new Map(letters.map((l) => [l.message.messageId, 'no dead-letter queue is configured.']));
    }
    try {
      return await sink.send(letters);
    } catch (error) {
      return new Map(letters.map((l) => [l.message.messageId, describeError(error)]));
    }
  }

  /** Predicts each record's shard and builds the entries: aggregated per shard, FIFO groups kept in order. */
  private plan(records: readonly PendingRecord[], shards: StreamShards): Entry[] {
    // Keys repeat within a batch; hashing each distinct one once saves an MD5 per record.
    const byKey = new Map<string, ReturnType<typeof shards.map.shardFor>>();
    const items = records.map((record) => {
      let shard: ReturnType<typeof shards.map.shardFor> | undefined;
      if (record.explicitHashKey !== undefined) {
        shard = shards.map.shardFor(record.partitionKey, record.explicitHashKey);
      } else {
        shard = byKey.get(record.partitionKey);
        if (!shard) {
          shard = shards.map.shardFor(record.partitionKey);
          byKey.set(record.partitionKey, shard);
        }
      }
      return { record, shardKey: shard.shardId, shard };
    });
    const entries: Entry[] = [];
    for (const run of planRuns(items)) {
      const first = run[0];
      if (!first) continue;
      const target = {
        stream: shards.stream,
        shardId: first.shard.shardId,
        explicitHashKey: shards.map.explicitHashKeyFor(first.shard),
        mapVersion: shards.version,
      };
      entries.push(
        ...buildEntries(
          run.map((i) => i.record),
          target,
          this.options,
        ),
      );
    }
    return entries;
  }

  private planner(): Planner {
    return {
      rebuild: async (records) => {
        const stream = records[0]?.stream;
        if (stream === undefined) return [];
        return this.plan(records, await this.cache.get(stream));
      },
      checkPlacement: async (entry, shardId) => {
        const shards = await this.cache.refresh(entry.target.stream, entry.target.mapVersion);
        if (!entry.aggregated) return true;
        const range = shards.byId.get(shardId)?.HashKeyRange;
        if (!range?.StartingHashKey || !range.EndingHashKey) return false;
        const start = decimalToHashKeyHex(range.StartingHashKey);
        const end = decimalToHashKeyHex(range.EndingHashKey);
        return entry.records.every((r) => {
          const hash = hashKeyHexFor(r.partitionKey, r.explicitHashKey);
          return hash >= start && hash <= end;
        });
      },
      mapVersion: (stream) => this.cache.version(stream),
    };
  }
}

function routable(record: ParsedRecord, message: ProducerMessage): RoutableRecord {
  const r: { -readonly [K in keyof RoutableRecord]: RoutableRecord[K] } = {
    data: record.data,
    value: record.value,
    message,
  };
  if (record.partitionKey !== undefined) r.partitionKey = record.partitionKey;
  if (record.explicitHashKey !== undefined) r.explicitHashKey = record.explicitHashKey;
  if (record.stream !== undefined) r.stream = record.stream;
  return r;
}

function groupOf(source: { readonly messageGroupId?: string; readonly group?: string }): { group?: string } {
  const group = source.messageGroupId ?? source.group;
  return group !== undefined ? { group } : {};
}
