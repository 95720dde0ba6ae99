import { Logger } from '@aws-lambda-powertools/logger';
import type {
  GetRecordsInput,
  GetRecordsOutput,
  GetShardIteratorInput,
  GetShardIteratorOutput,
  ListShardsInput,
  ListShardsOutput,
  Shard,
  _Record,
} from '@aws-sdk/client-kinesis';
import type {
  CheckpointStore,
  CheckpointValue,
  StoredCheckpoint,
  SubtaskLease,
} from '../../../functions/core/checkpoints/checkpoint-store';
import { stringDeserializer } from '../../../functions/core/consumer/deserializers';
import {
  ConsumerEngine,
  DEFAULT_ENGINE_SETTINGS,
  type ConsumerEngineDependencies,
  type ConsumerEngineOptions,
} from '../../../functions/core/consumer/engine';
import type { KinesisReadApi } from '../../../functions/core/consumer/kinesis-api';
import { aggregate } from '../../../functions/core/record-format';
import type { Clock } from '../../../functions/core/time/clock';
import type { ShardDescription } from '../../../functions/core/consumer/types';

const HASH_SPACE = 1n << 128n;

/** `count` shards splitting the hash space evenly, as CreateStream does. */
export function evenShards(streamName: string, count: number): ShardDescription[] {
  const shards: ShardDescription[] = [];
  for (let i = 0; i < count; i++) {
    const start = (HASH_SPACE * BigInt(i)) / BigInt(count);
    const end = (HASH_SPACE * BigInt(i + 1)) / BigInt(count) - 1n;
    shards.push({
      streamName,
      shardId: `shardId-${String(i).padStart(12, '0')}`,
      startingHashKey: start.toString(),
      endingHashKey: end.toString(),
      startingSequenceNumber: '0',
    });
  }
  return shards;
}

/** A logger that prints nothing, for tests. */
export function silentLogger(): Logger {
  return new Logger({ logLevel: 'SILENT' });
}

/**
 * An in-memory Kinesis for the read loop's unit tests: records per shard, iterators that expire after
 * 5 minutes of the given clock, and errors queued per operation.
 */
export class FakeKinesis implements KinesisReadApi {
  readonly shards = new Map<string, { records: _Record[]; closed: boolean }>();
  readonly calls: { operation: string; input: unknown; at: number }[] = [];
  readonly failures: { operation: string; name: string }[] = [];
  private readonly iterators = new Map<string, { shardId: string; index: number; issuedAt: number }>();
  private nextIterator = 0;

  constructor(private readonly clock: Clock) {}

  addRecords(
    shardId: string,
    count: number,
    options: { partitionKey?: string; closed?: boolean } = {},
  ): void {
    const shard = this.shard(shardId);
    for (let i = 0; i < count; i++) {
      const n = shard.records.length;
      shard.records.push({
        SequenceNumber: String(1000 + n),
        PartitionKey: options.partitionKey ?? `k${n % 7}`,
        Data: new TextEncoder().encode(`${shardId}#${n}`),
        ApproximateArrivalTimestamp: new Date(this.clock.now()),
      });
    }
    if (options.closed) shard.closed = true;
  }

  /** Adds `count` records of exactly `dataBytes` bytes each, partition key `k1`. */
  addSized(shardId: string, count: number, dataBytes: number): void {
    const shard = this.shard(shardId);
    for (let i = 0; i < count; i++) {
      shard.records.push({
        SequenceNumber: String(1000 + shard.records.length),
        PartitionKey: 'k1',
        Data: new Uint8Array(dataBytes),
        ApproximateArrivalTimestamp: new Date(this.clock.now()),
      });
    }
  }

  /** Adds one KPL aggregated record per group, holding the group's texts as sub-records. */
  addAggregated(shardId: string, groups: readonly (readonly string[])[]): void {
    const shard = this.shard(shardId);
    for (const group of groups) {
      const [record] = aggregate(
        group.map((text, i) => ({ partitionKey: `k${i}`, data: new TextEncoder().encode(text) })),
        { maxCount: group.length },
      );
      if (!record) throw new Error('nothing aggregated');
      shard.records.push({
        SequenceNumber: String(1000 + shard.records.length),
        PartitionKey: record.partitionKey,
        Data: record.data,
        ApproximateArrivalTimestamp: new Date(this.clock.now()),
      });
    }
  }

  fail(operation: string, name: string, times = 1): void {
    for (let i = 0; i < times; i++) this.failures.push({ operation, name });
  }

  /** What ListShards answers: every shard with records or declared, with parents and ranges given here. */
  readonly listing: Shard[] = [];

  declareShard(shardId: string, options: { parents?: string[]; closed?: boolean } = {}): void {
    this.shard(shardId).closed = options.closed ?? false;
    const [parent, adjacent] = options.parents ?? [];
    this.listing.push({
      ShardId: shardId,
      ...(parent ? { ParentShardId: parent } : {}),
      ...(adjacent ? { AdjacentParentShardId: adjacent } : {}),
      HashKeyRange: { StartingHashKey: '0', EndingHashKey: String(2n ** 128n - 1n) },
      SequenceNumberRange: { StartingSequenceNumber: '1000' },
    });
  }

  async listShards(input: ListShardsInput): Promise<ListShardsOutput> {
    this.calls.push({ operation: 'ListShards', input, at: this.clock.now() });
    this.throwQueued('ListShards');
    const after = input.ExclusiveStartShardId;
    return {
      Shards: this.listing
        .filter((s) => !after || (s.ShardId as string) > after)
        .map((s) => ({
          ...s,
          SequenceNumberRange: {
            StartingSequenceNumber: '1000',
            ...(this.shard(s.ShardId as string).closed ? { EndingSequenceNumber: '99999' } : {}),
          },
        })),
    };
  }

  async getShardIterator(input: GetShardIteratorInput): Promise<GetShardIteratorOutput> {
    this.calls.push({ operation: 'GetShardIterator', input, at: this.clock.now() });
    this.throwQueued('GetShardIterator');
    const shard = this.shard(input.ShardId as string);
    let index: number;
    const position = (seq: string | undefined) => shard.records.findIndex((r) => r.SequenceNumber === seq);
    switch (input.ShardIteratorType) {
      case 'TRIM_HORIZON':
        index = 0;
        break;
      case 'LATEST':
        index = shard.records.length;
        break;
      case 'AT_SEQUENCE_NUMBER':
        index = position(input.StartingSequenceNumber);
        break;
      case 'AFTER_SEQUENCE_NUMBER':
        index = position(input.StartingSequenceNumber) + 1;
        break;
      case 'AT_TIMESTAMP': {
        const found = shard.records.findIndex(
          (r) => (r.ApproximateArrivalTimestamp as Date).getTime() >= (input.Timestamp as Date).getTime(),
        );
        index = found < 0 ? shard.records.length : found;
        break;
      }
      default:
        throw new Error(`unknown iterator type ${input.ShardIteratorType}`);
    }
    return { ShardIterator: this.issue(input.ShardId as string, index) };
  }

  async getRecords(input: GetRecordsInput): Promise<GetRecordsOutput> {
    this.calls.push({ operation: 'GetRecords', input, at: this.clock.now() });
    this.throwQueued('GetRecords');
    const iterator = this.iterators.get(input.ShardIterator as string);
    if (!iterator) throw Object.assign(new Error('bad iterator'), { name: 'InvalidArgumentException' });
    if (this.clock.now() - iterator.issuedAt > 300_000) {
      throw Object.assign(new Error('Iterator expired.'), { name: 'ExpiredIteratorException' });
    }
    const shard = this.shard(iterator.shardId);
    const records = shard.records.slice(iterator.index, iterator.index + (input.Limit ?? 10000));
    const next = iterator.index + records.length;
    const ended = shard.closed && records.length === 0 && next >= shard.records.length;
    return {
      Records: records,
      // Behind while records remain after this page, as Kinesis reports it.
      MillisBehindLatest: next < shard.records.length ? 1000 : 0,
      ...(ended ? {} : { NextShardIterator: this.issue(iterator.shardId, next) }),
    };
  }

  private shard(shardId: string) {
    let shard = this.shards.get(shardId);
    if (!shard) this.shards.set(shardId, (shard = { records: [], closed: false }));
    return shard;
  }

  private issue(shardId: string, index: number): string {
    const id = `it-${this.nextIterator++}`;
    this.iterators.set(id, { shardId, index, issuedAt: this.clock.now() });
    return id;
  }

  private throwQueued(operation: string): void {
    const i = this.failures.findIndex((f) => f.operation === operation);
    if (i < 0) return;
    const [failure] = this.failures.splice(i, 1);
    throw Object.assign(new Error(`injected ${failure?.name}`), {
      name: failure?.name,
      $metadata: { httpStatusCode: 400 },
    });
  }
}

/** A CheckpointStore in memory, for engine tests that are not about SSM; it records every save. */
export class MemoryCheckpointStore implements CheckpointStore {
  readonly values = new Map<number, CheckpointValue>();
  readonly saves: { subtaskIndex: number; value: CheckpointValue }[] = [];

  async loadAll(): Promise<StoredCheckpoint[]> {
    return [...this.values].map(([subtaskIndex, value]) => ({ ...value, subtaskIndex }));
  }

  async save(subtaskIndex: number, value: CheckpointValue): Promise<{ writes: number }> {
    this.values.set(subtaskIndex, value);
    this.saves.push({ subtaskIndex, value });
    return { writes: 1 };
  }
}

/** A lease nobody else contends for. */
export const uncontendedLease = (): SubtaskLease => ({
  acquire: async () => undefined,
  isHeld: async () => true,
  release: async () => undefined,
});

/**
 * A string engine at its defaults reading from TRIM_HORIZON, with checkpoints in memory, the
 * uncontended lease and a silent logger unless `deps` gives others; `options` name the streams and the
 * handler and override any setting.
 */
export function stringEngine(
  deps: Pick<ConsumerEngineDependencies, 'kinesis' | 'clock' | 'random'> &
    Partial<ConsumerEngineDependencies>,
  options: Pick<ConsumerEngineOptions<string>, 'streams' | 'handler'> &
    Partial<ConsumerEngineOptions<string>>,
): ConsumerEngine<string> {
  return new ConsumerEngine<string>(
    { checkpoints: new MemoryCheckpointStore(), lease: uncontendedLease, logger: silentLogger(), ...deps },
    {
      ...DEFAULT_ENGINE_SETTINGS,
      initialPosition: { type: 'TRIM_HORIZON' },
      deserializer: stringDeserializer,
      ...options,
    },
  );
}
