import type { AddressInfo } from 'node:net';
import {
  CreateStreamCommand,
  DescribeStreamSummaryCommand,
  KinesisClient,
  ListShardsCommand,
  MergeShardsCommand,
  PutRecordsCommand,
  SplitShardCommand,
} from '@aws-sdk/client-kinesis';
import kinesalite from 'kinesalite';
import { AwsClientFactory } from '../../functions/core/aws/clients';
import type { CheckpointStore, SubtaskLease } from '../../functions/core/checkpoints/checkpoint-store';
import { stringDeserializer } from '../../functions/core/consumer/deserializers';
import {
  ConsumerEngine,
  DEFAULT_ENGINE_SETTINGS,
  type ConsumerEngineOptions,
  type RunSummary,
} from '../../functions/core/consumer/engine';
import { kinesisReadApi, type KinesisReadApi } from '../../functions/core/consumer/kinesis-api';
import { seededRandom, systemClock, type Clock } from '../../functions/core/time/clock';
import { silentLogger, uncontendedLease } from '../core/consumer/helpers';
import type { ConsumerRecord } from '../../functions/core/consumer/types';

/** Kinesalite in this process and a client for it. MERGE: replace with useLocalAws once local/ lands. */
export async function startKinesis(): Promise<{
  kinesis: KinesisClient;
  endpoint: string;
  close(): Promise<void>;
}> {
  const server = kinesalite({ createStreamMs: 0, deleteStreamMs: 0, updateStreamMs: 0, shardLimit: 1000 });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const factory = new AwsClientFactory({
    region: 'us-east-1',
    endpoint,
    credentials: { provider: 'BASIC', accessKeyId: 'local', secretAccessKey: 'local' },
  });
  const kinesis = factory.client('kinesis', KinesisClient);
  return {
    kinesis,
    endpoint,
    close: async () => {
      factory.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

export async function createStream(
  kinesis: KinesisClient,
  streamName: string,
  shardCount: number,
): Promise<void> {
  await kinesis.send(new CreateStreamCommand({ StreamName: streamName, ShardCount: shardCount }));
  await waitActive(kinesis, streamName);
}

async function waitActive(kinesis: KinesisClient, streamName: string): Promise<void> {
  for (;;) {
    const summary = await kinesis.send(new DescribeStreamSummaryCommand({ StreamName: streamName }));
    if (summary.StreamDescriptionSummary?.StreamStatus === 'ACTIVE') return;
  }
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
 * Kinesalite never answers GetShardIterator AT_TIMESTAMP when no record is at or after the timestamp
 * (real Kinesis returns an iterator at the tip). This wrapper answers such calls as Kinesis would: an
 * AT_SEQUENCE_NUMBER iterator at the first record at or after the timestamp, else a LATEST iterator
 * taken before the search (so nothing arriving meanwhile is skipped). Every other call goes through.
 */
export function withKinesaliteTimestampFix(api: KinesisReadApi): KinesisReadApi {
  return {
    listShards: (input, signal) => api.listShards(input, signal),
    getRecords: (input, signal) => api.getRecords(input, signal),
    getShardIterator: async (input, signal) => {
      if (input.ShardIteratorType !== 'AT_TIMESTAMP') return api.getShardIterator(input, signal);
      const shard = { StreamName: input.StreamName, ShardId: input.ShardId };
      const latest = await api.getShardIterator({ ...shard, ShardIteratorType: 'LATEST' }, signal);
      const at = (input.Timestamp as Date).getTime();
      let iterator = (await api.getShardIterator({ ...shard, ShardIteratorType: 'TRIM_HORIZON' }, signal))
        .ShardIterator;
      while (iterator) {
        const page = await api.getRecords({ ShardIterator: iterator }, signal);
        const found = page.Records?.find((r) => (r.ApproximateArrivalTimestamp as Date).getTime() >= at);
        if (found) {
          return api.getShardIterator(
            {
              ...shard,
              ShardIteratorType: 'AT_SEQUENCE_NUMBER',
              StartingSequenceNumber: found.SequenceNumber,
            },
            signal,
          );
        }
        if (!page.Records?.length) break;
        iterator = page.NextShardIterator;
      }
      return latest;
    },
  };
}

export interface TestConsumerOptions extends Partial<ConsumerEngineOptions<string>> {
  readonly kinesis: KinesisClient;
  readonly store: CheckpointStore;
  readonly streams: string[];
  readonly collector: Collector;
  readonly lease?: (subtaskIndex: number) => SubtaskLease;
  readonly clock?: Clock;
  readonly api?: KinesisReadApi;
}

/** An engine with short intervals for tests on kinesalite; records go to the collector. */
export function testConsumer(options: TestConsumerOptions): ConsumerEngine<string> {
  const { kinesis, store, collector, lease, clock, api, ...engineOptions } = options;
  return new ConsumerEngine<string>(
    {
      kinesis: api ?? withKinesaliteTimestampFix(kinesisReadApi(kinesis)),
      checkpoints: store,
      lease: lease ?? uncontendedLease,
      clock: clock ?? systemClock,
      random: seededRandom(7),
      logger: silentLogger(),
    },
    {
      ...DEFAULT_ENGINE_SETTINGS,
      initialPosition: { type: 'TRIM_HORIZON' },
      reader: { ...DEFAULT_ENGINE_SETTINGS.reader, intervalMillis: 20 },
      discoveryIntervalMillis: 100,
      checkpointIntervalMillis: 100,
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
  await waitActive(kinesis, streamName);
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
  await waitActive(kinesis, streamName);
}

export async function openShards(kinesis: KinesisClient, streamName: string): Promise<string[]> {
  const shards = (await kinesis.send(new ListShardsCommand({ StreamName: streamName }))).Shards ?? [];
  return shards.filter((s) => !s.SequenceNumberRange?.EndingSequenceNumber).map((s) => s.ShardId as string);
}
