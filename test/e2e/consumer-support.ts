import {
  KinesisClient,
  ListShardsCommand,
  MergeShardsCommand,
  PutRecordsCommand,
  SplitShardCommand,
} from '@aws-sdk/client-kinesis';
import { SSMClient } from '@aws-sdk/client-ssm';
import { SsmCheckpointStore } from '../../functions/core/checkpoints/ssm-checkpoint-store';
import { SsmSubtaskLease } from '../../functions/core/checkpoints/ssm-lease';
import type { LocalAws } from '../../local/harness';
import { createStreamAndWait, waitForStreamActive } from '../../local/kinesis/streams';
import type { CheckpointStore, SubtaskLease } from '../../functions/core/checkpoints/checkpoint-store';
import { stringDeserializer } from '../../functions/core/consumer/deserializers';
import {
  ConsumerEngine,
  DEFAULT_ENGINE_SETTINGS,
  type ConsumerEngineOptions,
  type RunSummary,
} from '../../functions/core/consumer/engine';
import { kinesisReadApi, type KinesisReadApi } from '../../functions/core/consumer/kinesis-api';
import { enhancedFanOut } from '../../functions/core/consumer/efo/enhanced-fan-out';
import type { EfoConfig } from '../../functions/core/config/consumer-settings';
import { seededRandom, systemClock, type Clock } from '../../functions/core/time/clock';
import { silentLogger, uncontendedLease } from '../core/consumer/helpers';
import type { ConsumerRecord } from '../../functions/core/consumer/types';
import type { OnFailureDestination } from '../../functions/core/consumer/on-failure';

/** A fresh checkpoint path per consumer, so tests sharing servers never see each other's checkpoints. */
let consumers = 0;
export function uniquePath(): string {
  return `/e2e/consumer-${++consumers}/checkpoints`;
}

/** The SSM checkpoint store on the local SSM server. */
export function ssmStore(
  aws: LocalAws,
  parameterPath = uniquePath(),
  clock: Clock = systemClock,
): SsmCheckpointStore {
  return new SsmCheckpointStore({
    ssm: aws.clients.client('ssm', SSMClient),
    parameterPath,
    clock,
    random: seededRandom(11),
  });
}

/**
 * SSM leases beside a store's checkpoints. The settle delay is short for tests, yet long enough for a
 * claim to land on a loaded CI machine (a claim slower than the delay stands down, by design).
 */
export function ssmLeases(
  aws: LocalAws,
  store: SsmCheckpointStore,
  settleMillis = 300,
): (subtaskIndex: number, owner: string) => SubtaskLease {
  return (subtaskIndex, owner) =>
    new SsmSubtaskLease({
      ssm: aws.clients.client('ssm', SSMClient),
      parameterName: store.leaseParameterName(subtaskIndex),
      owner,
      settleMillis,
      clock: systemClock,
      random: seededRandom(12),
    });
}

export async function createStream(
  kinesis: KinesisClient,
  streamName: string,
  shardCount: number,
): Promise<void> {
  await createStreamAndWait(kinesis, streamName, shardCount);
}

/**
 * Puts `count` records `${prefix}-${i}` (i from `from`), record i with partition key `key-${i % keys}`;
 * returns what was put.
 */
export async function putRecords(
  kinesis: KinesisClient,
  streamName: string,
  count: number,
  options: { keys?: number; prefix?: string; from?: number } = {},
): Promise<string[]> {
  const keys = options.keys ?? 50;
  const prefix = options.prefix ?? 'r';
  const from = options.from ?? 0;
  const sent: string[] = [];
  for (let start = from; start < from + count; start += 500) {
    const entries = [];
    for (let i = start; i < Math.min(from + count, start + 500); i++) {
      const data = `${prefix}-${i}`;
      sent.push(data);
      entries.push({ PartitionKey: `key-${i % keys}`, Data: new TextEncoder().encode(data) });
    }
    const result = await kinesis.send(new PutRecordsCommand({ StreamName: streamName, Records: entries }));
    if (result.FailedRecordCount) throw new Error(`${result.FailedRecordCount} records failed to put`);
  }
  return sent;
}

/**
 * Collects delivered records and checks per-partition-key order as they arrive: within one key,
 * the numbers in `${prefix}-${n}` must grow (a redelivered earlier record is a duplicate, counted apart).
 */
export class Collector {
  readonly records: ConsumerRecord<string>[] = [];
  private readonly seen = new Set<string>();
  readonly duplicates: string[] = [];
  readonly orderViolations: string[] = [];
  private readonly lastPerKey = new Map<string, number>();
  private readonly waiters: { count: number; resolve: () => void }[] = [];

  add(batch: ConsumerRecord<string>[]): void {
    for (const record of batch) {
      this.records.push(record);
      if (this.seen.has(record.data)) {
        this.duplicates.push(record.data);
        continue;
      }
      this.seen.add(record.data);
      const n = Number(record.data.slice(record.data.lastIndexOf('-') + 1));
      const last = this.lastPerKey.get(record.partitionKey);
      if (last !== undefined && n < last)
        this.orderViolations.push(`${record.partitionKey}: ${n} after ${last}`);
      this.lastPerKey.set(record.partitionKey, n);
    }
    for (const waiter of [...this.waiters]) {
      if (this.seen.size >= waiter.count) {
        this.waiters.splice(this.waiters.indexOf(waiter), 1);
        waiter.resolve();
      }
    }
  }

  get unique(): number {
    return this.seen.size;
  }

  has(data: string): boolean {
    return this.seen.has(data);
  }

  /** Resolves once `count` distinct records have arrived. */
  whenUnique(count: number): Promise<void> {
    if (this.seen.size >= count) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ count, resolve }));
  }

  /** The distinct records not yet received out of `expected`. */
  missing(expected: readonly string[]): string[] {
    return expected.filter((d) => !this.seen.has(d));
  }
}

/**
 * What a run got wrong against the records `sent`: records missing, delivered twice, or out of order
 * within a partition key. A run without a crash gets all three empty.
 */
export function deliveryFaults(collector: Collector, sent: readonly string[]) {
  return {
    missing: collector.missing(sent),
    duplicates: collector.duplicates,
    orderViolations: collector.orderViolations,
  };
}

/** The subtasks whose summaries name each shard: one each, where no two readers shared a shard. */
export function shardOwners(
  summaries: readonly { subtaskIndex: number; shards: readonly { stream: string; shardId: string }[] }[],
): Map<string, number[]> {
  const owners = new Map<string, number[]>();
  for (const summary of summaries) {
    for (const shard of summary.shards) {
      const key = `${shard.stream}/${shard.shardId}`;
      owners.set(key, [...(owners.get(key) ?? []), summary.subtaskIndex]);
    }
  }
  return owners;
}

export interface TestConsumerOptions extends Partial<ConsumerEngineOptions<string>> {
  readonly aws: LocalAws;
  readonly streams: string[];
  readonly collector: Collector;
  /** @default ssmStore(aws) */
  readonly store?: CheckpointStore;
  /** @default SSM leases beside the store when it is an SSM store */
  readonly lease?: (subtaskIndex: number, owner: string) => SubtaskLease;
  readonly clock?: Clock;
  readonly api?: KinesisReadApi;
  readonly onFailure?: OnFailureDestination;
  /**
   * EFO reads through SubscribeToShard (the local stack needs `kinesis: { enhancedFanOut: true }`), as
   * the named stream consumer, registered lazily.
   * @default 'POLLING'
   */
  readonly readerKind?: ReaderKind;
  /** With EFO: the stream consumer's name. @default a fresh name per consumer */
  readonly efoConsumerName?: string;
  /** With EFO: the configuration's EFO section over test defaults (short backoffs). */
  readonly efo?: Partial<EfoConfig>;
}

export type ReaderKind = 'POLLING' | 'EFO';

/** The reader kinds end-to-end tests run over. */
export const READER_KINDS: readonly ReaderKind[] = ['POLLING', 'EFO'];

/** EFO with the reference's settings but quick retries, for tests on the local stack. */
export function testEfoConfig(consumerName: string, overrides: Partial<EfoConfig> = {}): EfoConfig {
  const quick = { maxRetries: 10, baseMillis: 20, maxMillis: 200, expConst: 1.5 };
  return {
    consumerName,
    registration: 'LAZY',
    consumerArns: {},
    subscribeToShard: { backoff: quick, timeoutMillis: 10_000 },
    registerStreamConsumer: { backoff: quick, timeoutMillis: 10_000 },
    describeStreamConsumer: { backoff: quick },
    ...overrides,
  };
}

/**
 * An engine on the local servers, with short intervals: Kinesis through the fault proxy, checkpoints and
 * leases in the local SSM server; records go to the collector.
 */
export function testConsumer(options: TestConsumerOptions): ConsumerEngine<string> {
  const {
    aws,
    collector,
    lease,
    clock,
    api,
    store: given,
    onFailure,
    readerKind,
    efoConsumerName,
    efo,
    ...engineOptions
  } = options;
  const store = given ?? ssmStore(aws);
  const leases = lease ?? (store instanceof SsmCheckpointStore ? ssmLeases(aws, store) : uncontendedLease);
  return new ConsumerEngine<string>(
    {
      // The client talks to the fault proxy, whose kinesalite repairs answer AT_TIMESTAMP as Kinesis does.
      kinesis: api ?? kinesisReadApi(aws.clients.client('kinesis', KinesisClient)),
      checkpoints: store,
      lease: leases,
      clock: clock ?? systemClock,
      random: seededRandom(7),
      logger: silentLogger(),
      ...(onFailure ? { onFailure } : {}),
      ...(readerKind === 'EFO'
        ? {
            shardSource: enhancedFanOut({
              subscriber: aws.clients.http2Client('kinesis', KinesisClient),
              control: aws.clients.client('kinesis', KinesisClient),
              efo: testEfoConfig(efoConsumerName ?? `consumer-${++consumers}`, efo),
              clock: clock ?? systemClock,
              random: seededRandom(8),
              logger: silentLogger(),
            }),
          }
        : {}),
    },
    {
      ...DEFAULT_ENGINE_SETTINGS,
      initialPosition: { type: 'TRIM_HORIZON' },
      reader: { ...DEFAULT_ENGINE_SETTINGS.reader, intervalMillis: 20 },
      discoveryIntervalMillis: 100,
      // The smallest interval consumer.checkpoint.intervalmillis allows.
      checkpointIntervalMillis: 1000,
      deserializer: stringDeserializer,
      handler: (records) => collector.add(records),
      ...engineOptions,
    },
  );
}

/**
 * Runs subtasks 0..parallelism-1 of an engine together until the collector holds `count` distinct
 * records (the 20 s deadline is only a backstop: reaching it fails the caller's assertions).
 */
export async function runSubtasksUntil(
  engine: ConsumerEngine<string>,
  collector: Collector,
  count: number,
  parallelism: number,
): Promise<RunSummary[]> {
  const controller = new AbortController();
  void collector.whenUnique(count).then(() => controller.abort());
  const deadline = Date.now() + 20_000;
  return Promise.all(
    Array.from({ length: parallelism }, (_, subtaskIndex) =>
      engine.run({ subtaskIndex, parallelism, deadline, signal: controller.signal }),
    ),
  );
}

export async function splitShard(kinesis: KinesisClient, streamName: string, shardId: string): Promise<void> {
  const shards = (await kinesis.send(new ListShardsCommand({ StreamName: streamName }))).Shards ?? [];
  const shard = shards.find((s) => s.ShardId === shardId);
  if (!shard?.HashKeyRange) throw new Error(`no shard ${shardId}`);
  const middle =
    (BigInt(shard.HashKeyRange.StartingHashKey as string) +
      BigInt(shard.HashKeyRange.EndingHashKey as string)) /
    2n;
  await kinesis.send(
    new SplitShardCommand({
      StreamName: streamName,
      ShardToSplit: shardId,
      NewStartingHashKey: middle.toString(),
    }),
  );
  await waitForStreamActive(kinesis, streamName);
}

export async function mergeShards(
  kinesis: KinesisClient,
  streamName: string,
  shardId: string,
  adjacent: string,
): Promise<void> {
  await kinesis.send(
    new MergeShardsCommand({ StreamName: streamName, ShardToMerge: shardId, AdjacentShardToMerge: adjacent }),
  );
  await waitForStreamActive(kinesis, streamName);
}

export async function openShards(kinesis: KinesisClient, streamName: string): Promise<string[]> {
  const shards = (await kinesis.send(new ListShardsCommand({ StreamName: streamName }))).Shards ?? [];
  return shards.filter((s) => !s.SequenceNumberRange?.EndingSequenceNumber).map((s) => s.ShardId as string);
}
