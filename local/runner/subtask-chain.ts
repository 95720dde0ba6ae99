import { Logger } from '@aws-lambda-powertools/logger';
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { KinesisClient, PutRecordsCommand } from '@aws-sdk/client-kinesis';
import { SSMClient } from '@aws-sdk/client-ssm';
import type { CheckpointStore, SubtaskLease } from '../../functions/core/checkpoints/checkpoint-store';
import { DynamoDbCheckpointStore } from '../../functions/core/checkpoints/dynamodb-checkpoint-store';
import { SsmCheckpointStore } from '../../functions/core/checkpoints/ssm-checkpoint-store';
import { SsmSubtaskLease } from '../../functions/core/checkpoints/ssm-lease';
import { CONSUMER_DEFAULTS } from '../../functions/core/config/consumer-settings';
import { stringDeserializer } from '../../functions/core/consumer/deserializers';
import {
  ConsumerEngine,
  DEFAULT_ENGINE_SETTINGS,
  type RunSummary,
} from '../../functions/core/consumer/engine';
import type { SuccessorEvent } from '../../functions/core/consumer/handover';
import { kinesisReadApi, type KinesisReadApi } from '../../functions/core/consumer/kinesis-api';
import { LeaseHeldError } from '../../functions/core/errors';
import { seededRandom, systemClock } from '../../functions/core/time/clock';
import type { ConsumerRecord } from '../../functions/core/consumer/types';
import type { LocalAws } from '../harness';

export type StoreKind = 'ssm' | 'dynamodb';

/** How the test's stand-in for Lambda's asynchronous Invoke treats a successor's start. */
export type SuccessorBehaviour =
  | { readonly kind: 'prompt' }
  | { readonly kind: 'late'; readonly delayMillis: number }
  | { readonly kind: 'never' }
  | { readonly kind: 'twice' };

export interface ChainOptions {
  readonly aws: LocalAws;
  readonly store: StoreKind;
  readonly stream: string;
  /** Receives every batch the handler gets, with the time it got it. */
  readonly onBatch: (records: readonly ConsumerRecord<string>[], at: number) => void;
  /** The SSM checkpoint path or DynamoDB table (created here) of this chain; unique per chain. */
  readonly storeName: string;
  /**
   * Continuous mode: each invocation starts its successor and hands over. False: the scheduled
   * design, invocations only as the caller makes them. @default true
   */
  readonly continuous?: boolean;
  /** Reads Kinesis through this (a stand-in's repairs, say). @default the SDK client as is */
  readonly wrapKinesis?: (api: KinesisReadApi) => KinesisReadApi;
  /** @default a silent logger */
  readonly logger?: (invocationId: string) => Logger;
  readonly budgetMillis: number;
  readonly leadMillis: number;
  readonly expiryMillis: number;
  /** Invocations the chain starts in all (the first by "the schedule"), beyond which a start fails. */
  readonly maxInvocations: number;
  /** How the n-th successor start (1-based) behaves. @default prompt */
  readonly successor?: (n: number) => SuccessorBehaviour;
  /** Added before every call of the lease. @default 0 */
  readonly slowLeaseMillis?: number;
  /** SSM settle delay. @default the configuration's (2 s) */
  readonly settleMillis?: number;
  /** @default the configuration's default (10 s) */
  readonly checkpointIntervalMillis?: number;
  /** GetRecords interval per shard. @default 20 (the tests' pace; the configuration's default is 200) */
  readonly readerIntervalMillis?: number;
  /** Called as a successor is started, before it runs (a test may kill the predecessor here). */
  readonly onSuccessorStart?: (event: SuccessorEvent) => void;
}

/** One invocation of the chain as the stores and Kinesis saw it. */
export interface ChainInvocation {
  readonly id: string;
  readonly handedOverBy?: string;
  /** Start and end of every GetRecords call (end undefined: cut off by a crash). */
  readonly reads: { start: number; end?: number }[];
  frozenAt?: number;
  outcome?: RunSummary | Error;
}

// Subtask 0 of a consumer at the default parallelism: all of the stream's shards are its own.
const ONE_SUBTASK = { subtaskIndex: 0, parallelism: CONSUMER_DEFAULTS.parallelism } as const;

/** One call an invocation made (`end` undefined: it never returned). */
export interface ChainCall {
  readonly id: string;
  readonly call: string;
  readonly start: number;
  end?: number;
}

/** A never-settling promise: what a killed process's calls amount to. */
const forever = <T>(): Promise<T> => new Promise<T>(() => undefined);

/**
 * A subtask's chain of invocations in this process (for the handover tests and the continuity
 * benchmark), each an engine of its own with its own clients'
 * wrappers, so that one can be "killed" (frozen: every later call of its Kinesis reads, checkpoint store,
 * lease and handler never returns, as in a process that is gone) while the others go on. The successor
 * start stands in for Lambda's asynchronous Invoke and may be prompt, late, lost or doubled.
 */
export class Chain {
  readonly invocations: ChainInvocation[] = [];
  /** Checkpoint writes in the order the store took them, with the writer's fencing token (DynamoDB). */
  readonly checkpointWrites: { id: string; token: number | undefined; at: number }[] = [];
  readonly beats: { subtaskIndex: number; at: number }[] = [];
  /** Every store, lease and Kinesis call of every invocation, with its start and end (to see where a boundary's time goes). */
  readonly calls: ChainCall[] = [];
  private readonly running = new Set<Promise<unknown>>();
  private readonly runs = new Map<string, Promise<unknown>>();
  private readonly frozen = new Set<string>();
  private successorStarts = 0;
  private readonly waiters: { count: number; resolve: () => void }[] = [];
  private readonly storeName: string;
  private ready: Promise<void>;

  constructor(private readonly options: ChainOptions) {
    this.storeName = options.storeName;
    this.ready = this.prepare();
  }

  private async prepare(): Promise<void> {
    if (this.options.store === 'dynamodb') {
      await this.options.aws.clients.client('dynamodb', DynamoDBClient).send(
        new CreateTableCommand({
          TableName: this.storeName,
          AttributeDefinitions: [
            { AttributeName: 'pk', AttributeType: 'S' },
            { AttributeName: 'sk', AttributeType: 'S' },
          ],
          KeySchema: [
            { AttributeName: 'pk', KeyType: 'HASH' },
            { AttributeName: 'sk', KeyType: 'RANGE' },
          ],
          BillingMode: 'PAY_PER_REQUEST',
        }),
      );
    }
  }

  /** An invocation as the schedule starts it (or a successor with `handoff`); resolves once it started. */
  async invoke(
    event: Partial<SuccessorEvent> = {},
    how: { readonly final?: boolean } = {},
  ): Promise<ChainInvocation> {
    await this.ready;
    const id = `inv-${this.invocations.length + 1}`;
    const invocation: ChainInvocation = {
      id,
      reads: [],
      ...(event.handoff ? { handedOverBy: event.handoff.from } : {}),
    };
    this.invocations.push(invocation);
    for (const waiter of this.waiters.filter((w) => this.invocations.length >= w.count)) waiter.resolve();
    const { store, lease } = this.stores(id);
    const engine = new ConsumerEngine<string>(
      {
        kinesis: this.kinesis(invocation),
        checkpoints: store,
        lease: (subtaskIndex, owner) => this.lease(id, lease(subtaskIndex, owner)),
        clock: systemClock,
        random: seededRandom(3),
        logger: this.options.logger?.(id) ?? new Logger({ logLevel: 'SILENT' }),
        onHeartbeat: (subtaskIndex) => this.beats.push({ subtaskIndex, at: Date.now() }),
      },
      {
        ...DEFAULT_ENGINE_SETTINGS,
        streams: [this.options.stream],
        initialPosition: { type: 'TRIM_HORIZON' },
        reader: {
          ...DEFAULT_ENGINE_SETTINGS.reader,
          intervalMillis: this.options.readerIntervalMillis ?? 20,
        },
        discoveryIntervalMillis: 1000,
        checkpointIntervalMillis:
          this.options.checkpointIntervalMillis ?? CONSUMER_DEFAULTS.checkpointIntervalMillis,
        deserializer: stringDeserializer,
        handler: async (records) => {
          if (this.frozen.has(id)) await forever();
          this.options.onBatch(records, Date.now());
        },
        leaseExpiryMillis: this.options.expiryMillis,
        ...(this.options.continuous === false ? {} : { continuous: { leadMillis: this.options.leadMillis } }),
      },
    );
    const now = Date.now();
    const run = engine
      .run({
        ...ONE_SUBTASK,
        deadline: now + this.options.budgetMillis,
        leaseExpiresAt: now + this.options.budgetMillis + 5000,
        invocationId: id,
        ...(event.handoff ? { handoff: event.handoff } : {}),
        ...(how.final
          ? {}
          : { startSuccessor: (successor: SuccessorEvent) => this.startSuccessor(successor) }),
      })
      .then(
        (summary) => {
          invocation.outcome = summary;
        },
        (error: Error) => {
          invocation.outcome = error;
        },
      );
    this.runs.set(id, run);
    if (!this.frozen.has(id)) this.track(run);
    return invocation;
  }

  /** Resolves once `count` invocations have started. */
  whenInvocations(count: number): Promise<void> {
    if (this.invocations.length >= count) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ count, resolve }));
  }

  /** Kills an invocation: from now on none of its calls returns. */
  freeze(id: string): void {
    this.frozen.add(id);
    const run = this.runs.get(id);
    if (run) this.running.delete(run);
    const invocation = this.invocations.find((i) => i.id === id);
    if (invocation) invocation.frozenAt = Date.now();
  }

  /** Waits for every invocation that can still end (a frozen one never does), and for late starts. */
  async settle(): Promise<void> {
    for (let live = [...this.running]; live.length > 0; live = [...this.running]) await Promise.all(live);
  }

  /** Invocations that read, with the first and last moment they had a GetRecords call open. */
  readSpans(): { id: string; from: number; to: number }[] {
    return this.invocations
      .filter((i) => i.reads.length > 0)
      .map((i) => ({
        id: i.id,
        from: Math.min(...i.reads.map((r) => r.start)),
        to: Math.max(...i.reads.map((r) => r.end ?? i.frozenAt ?? Number.POSITIVE_INFINITY)),
      }))
      .sort((a, b) => a.from - b.from);
  }

  /** Pairs of invocations whose read spans overlap: two readers of the subtask's shards at once. */
  overlaps(): string[] {
    const spans = this.readSpans();
    const found: string[] = [];
    for (let i = 1; i < spans.length; i++) {
      const a = spans[i - 1] as (typeof spans)[number];
      const b = spans[i] as (typeof spans)[number];
      if (b.from < a.to) found.push(`${a.id} read until ${a.to}, ${b.id} from ${b.from}`);
    }
    return found;
  }

  /** Time from one reader's last GetRecords to the next reader's first, per boundary. */
  gaps(): number[] {
    const spans = this.readSpans();
    return spans.slice(1).map((b, i) => b.from - (spans[i] as (typeof spans)[number]).to);
  }

  /** Runs `fn`, noting the call in `calls`. */
  private async timed<T>(id: string, call: string, fn: () => Promise<T>): Promise<T> {
    const entry: ChainCall = { id, call, start: Date.now() };
    this.calls.push(entry);
    try {
      return await fn();
    } finally {
      if (!this.frozen.has(id)) entry.end = Date.now();
    }
  }

  private track(promise: Promise<unknown>): void {
    this.running.add(promise);
    void promise.finally(() => this.running.delete(promise));
  }

  private async startSuccessor(event: SuccessorEvent): Promise<void> {
    const n = ++this.successorStarts;
    if (this.invocations.length >= this.options.maxInvocations) {
      throw new Error('The chain has run all the invocations the test allows.');
    }
    this.options.onSuccessorStart?.(event);
    const behaviour = this.options.successor?.(n) ?? { kind: 'prompt' };
    switch (behaviour.kind) {
      case 'prompt':
        this.track(this.invoke(event));
        return;
      case 'twice':
        this.track(this.invoke(event));
        this.track(this.invoke(event));
        return;
      case 'late':
        this.track(
          new Promise((resolve) => setTimeout(resolve, behaviour.delayMillis)).then(() => this.invoke(event)),
        );
        return;
      case 'never':
        return;
    }
  }

  private stores(id: string): {
    store: CheckpointStore;
    lease: (subtaskIndex: number, owner: string) => SubtaskLease;
  } {
    const { aws } = this.options;
    const common = { clock: systemClock, random: seededRandom(5) };
    let store: CheckpointStore;
    let lease: (subtaskIndex: number, owner: string) => SubtaskLease;
    if (this.options.store === 'dynamodb') {
      const dynamo = new DynamoDbCheckpointStore({
        dynamodb: aws.clients.client('dynamodb', DynamoDBClient),
        tableName: this.storeName,
        consumerName: 'continuous',
        ...common,
      });
      store = dynamo;
      lease = (subtaskIndex, owner) => dynamo.lease(subtaskIndex, owner);
    } else {
      const ssm = aws.clients.client('ssm', SSMClient);
      const ssmStore = new SsmCheckpointStore({ ssm, parameterPath: this.storeName, ...common });
      store = ssmStore;
      lease = (subtaskIndex, owner) =>
        new SsmSubtaskLease({
          ssm,
          parameterName: ssmStore.leaseParameterName(subtaskIndex),
          owner,
          settleMillis: this.options.settleMillis ?? CONSUMER_DEFAULTS.leaseSettleMillis,
          ...common,
        });
    }
    let current: SubtaskLease | undefined;
    const wrapped: CheckpointStore = {
      loadAll: async () => {
        if (this.frozen.has(id)) return forever();
        return this.timed(id, 'checkpoints.loadAll', () => store.loadAll());
      },
      save: async (subtaskIndex, value, held) => {
        if (this.frozen.has(id)) return forever();
        const result = await this.timed(id, 'checkpoints.save', () => store.save(subtaskIndex, value, held));
        this.checkpointWrites.push({ id, token: held?.fencingToken, at: Date.now() });
        return result;
      },
    };
    return {
      store: wrapped,
      lease: (subtaskIndex, owner) => {
        current = lease(subtaskIndex, owner);
        return current;
      },
    };
  }

  /** The lease, every call slowed down by `slowLeaseMillis` and cut off once the invocation is killed. */
  private lease(id: string, lease: SubtaskLease): SubtaskLease {
    const slow = this.options.slowLeaseMillis ?? 0;
    const frozen = this.frozen;
    const timed = this.timed.bind(this);
    return new Proxy(lease, {
      get(target, property) {
        const value: unknown = Reflect.get(target, property, target);
        if (typeof value !== 'function') return value;
        return async (...args: unknown[]) => {
          if (slow) await new Promise((resolve) => setTimeout(resolve, slow));
          if (frozen.has(id)) return forever();
          return timed(id, `lease.${String(property)}`, () =>
            (value as (...a: unknown[]) => Promise<unknown>).apply(target, args),
          );
        };
      },
    });
  }

  private kinesis(invocation: ChainInvocation): KinesisReadApi {
    const raw = kinesisReadApi(this.options.aws.clients.client('kinesis', KinesisClient));
    const api = this.options.wrapKinesis ? this.options.wrapKinesis(raw) : raw;
    const frozen = () => this.frozen.has(invocation.id);
    return {
      listShards: async (input, signal) =>
        frozen()
          ? forever()
          : this.timed(invocation.id, 'kinesis.listShards', () => api.listShards(input, signal)),
      getShardIterator: async (input, signal) =>
        frozen()
          ? forever()
          : this.timed(invocation.id, 'kinesis.getShardIterator', () => api.getShardIterator(input, signal)),
      getRecords: async (input, signal) => {
        if (frozen()) return forever();
        const read: { start: number; end?: number } = { start: Date.now() };
        invocation.reads.push(read);
        try {
          const output = await api.getRecords(input, signal);
          if (frozen()) return forever();
          return output;
        } finally {
          // A call the run's stop cut short ends when it is given up: its answer is never used.
          if (!frozen()) read.end = Date.now();
        }
      },
    };
  }
}

/** Puts a record `${prefix}-${n}` every `everyMillis` until stopped; resolves with what it put. */
export function trickle(
  aws: LocalAws,
  stream: string,
  everyMillis: number,
  prefix = 'r',
): { stop: () => Promise<string[]>; sentAt: Map<string, number> } {
  const kinesis = aws.clients.client('kinesis', KinesisClient);
  const sent: string[] = [];
  const sentAt = new Map<string, number>();
  let stopped = false;
  const loop = (async () => {
    for (let n = 0; !stopped; n++) {
      const data = `${prefix}-${n}`;
      const at = Date.now();
      try {
        const result = await kinesis.send(
          new PutRecordsCommand({
            StreamName: stream,
            Records: [{ PartitionKey: `key-${n % 7}`, Data: new TextEncoder().encode(data) }],
          }),
        );
        if (!result.FailedRecordCount) {
          sent.push(data);
          sentAt.set(data, at);
        }
      } catch {
        // A put that failed in transit may still have landed: it counts as not sent (the next has a new
        // number), so it can be neither missing nor a duplicate.
      }
      await new Promise((resolve) => setTimeout(resolve, everyMillis));
    }
  })();
  return {
    sentAt,
    stop: async () => {
      stopped = true;
      await loop;
      return sent;
    },
  };
}

/** Whether an invocation ended without reading because another held the lease. */
export function skipped(invocation: ChainInvocation): boolean {
  return invocation.outcome instanceof LeaseHeldError;
}
