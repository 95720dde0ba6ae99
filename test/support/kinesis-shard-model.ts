import { createHash } from 'node:crypto';
import type { PutRecordsResultEntry, Shard } from '@aws-sdk/client-kinesis';
import type { Clock } from '../../functions/core/time/clock';
import type {
  ProducerKinesisApi,
  PutRecordsInput,
  PutRecordsOutput,
} from '../../functions/core/producer/kinesis-api';

/**
 * A model of Kinesis for producer tests and benchmarks, on an injected clock: streams of shards with hash
 * ranges, PutRecords that routes by hash key and validates as Kinesis does, per-shard write limits
 * (1 MiB/s and 1,000 records/s, each allowing up to one second of burst) that refuse entries with
 * ProvisionedThroughputExceededException, resharding, and scripted faults. Used where a local server
 * cannot produce the fault (kinesalite never throttles) or where simulated time is the point.
 */
export interface StoredRecord {
  readonly partitionKey: string;
  readonly explicitHashKey?: string;
  readonly data: Uint8Array;
  readonly sequenceNumber: string;
  readonly arrivedAt: number;
}

interface ModelShard {
  readonly shardId: string;
  readonly start: bigint;
  readonly end: bigint;
  open: boolean;
  parent?: string;
  readonly records: StoredRecord[];
  // Write allowance in micro-units, so refills stay exact integers.
  recordAllowance: bigint;
  byteAllowance: bigint;
  refilledAt: number;
}

/** What a scripted fault does to one PutRecords call. */
export type FaultAction =
  | { readonly kind: 'call-error'; readonly name: string; readonly status?: number }
  | { readonly kind: 'entries'; readonly errors: ReadonlyMap<number, string> }
  | { readonly kind: 'hang' };

export interface PutRecordsCall {
  readonly stream: string;
  readonly records: PutRecordsInput['Records'];
  readonly at: number;
  readonly index: number;
}

export interface ShardModelOptions {
  readonly clock: Clock;
  /** Simulated latency of every call, in clock milliseconds. @default 0 */
  readonly latencyMillis?: number;
  /**
   * Up to this much more latency, drawn for each call from `random`: calls that wait for a CPU, as
   * many containers on few cores do, reach the shard later and bunched. @default 0
   */
  readonly latencyJitterMillis?: number;
  readonly random?: () => number;
  /** Per-shard write limits. @default 1000 records/s and 1 MiB/s */
  readonly recordsPerSecond?: number;
  readonly bytesPerSecond?: number;
  /** Enforce the write limits. @default true */
  readonly throttle?: boolean;
}

const MICRO = 1_000_000n;
export const MAX_HASH = (1n << 128n) - 1n;

export class KinesisShardModel implements ProducerKinesisApi {
  readonly calls: PutRecordsCall[] = [];
  throttledEntries = 0;
  listShardsCalls = 0;
  private readonly streams = new Map<string, ModelShard[]>();
  private sequence = 0n;
  private nextShard = 0;
  private fault?: (call: PutRecordsCall) => FaultAction | undefined;

  constructor(private readonly options: ShardModelOptions) {}

  createStream(name: string, shardCount: number): void {
    const shards: ModelShard[] = [];
    const span = (MAX_HASH + 1n) / BigInt(shardCount);
    for (let i = 0; i < shardCount; i++) {
      const start = span * BigInt(i);
      const end = i === shardCount - 1 ? MAX_HASH : span * BigInt(i + 1) - 1n;
      shards.push(this.newShard(start, end));
    }
    this.streams.set(name, shards);
  }

  /** Splits an open shard at `at` (the first hash key of the upper child), as SplitShard does. */
  splitShard(stream: string, shardId: string, at: bigint): [string, string] {
    const shards = this.shardsOf(stream);
    const parent = shards.find((s) => s.shardId === shardId && s.open);
    if (!parent || at <= parent.start || at > parent.end) throw new Error(`cannot split ${shardId} at ${at}`);
    parent.open = false;
    const low = this.newShard(parent.start, at - 1n, shardId);
    const high = this.newShard(at, parent.end, shardId);
    shards.push(low, high);
    return [low.shardId, high.shardId];
  }

  /** Runs `fault` on every following call until cleared; it may return nothing for a normal call. */
  setFault(fault: ((call: PutRecordsCall) => FaultAction | undefined) | undefined): void {
    this.fault = fault;
  }

  /** Every record a shard holds, in sequence order. */
  records(stream: string, shardId: string): readonly StoredRecord[] {
    return this.shardsOf(stream).find((s) => s.shardId === shardId)?.records ?? [];
  }

  shardIds(stream: string): string[] {
    return this.shardsOf(stream).map((s) => s.shardId);
  }

  /** The shard's hash range as decimal strings. */
  range(stream: string, shardId: string): { start: bigint; end: bigint } {
    const shard = this.shardsOf(stream).find((s) => s.shardId === shardId);
    if (!shard) throw new Error(`no shard ${shardId}`);
    return { start: shard.start, end: shard.end };
  }

  async listShards(stream: string): Promise<Shard[]> {
    this.listShardsCalls++;
    return this.shardsOf(stream).map((s) => ({
      ShardId: s.shardId,
      ...(s.parent ? { ParentShardId: s.parent } : {}),
      HashKeyRange: { StartingHashKey: s.start.toString(), EndingHashKey: s.end.toString() },
      SequenceNumberRange: {
        StartingSequenceNumber: '0',
        ...(s.open ? {} : { EndingSequenceNumber: this.sequence.toString() }),
      },
    }));
  }

  async putRecords(input: PutRecordsInput, signal: AbortSignal): Promise<PutRecordsOutput> {
    const stream = input.StreamName ?? '';
    const call: PutRecordsCall = {
      stream,
      records: input.Records,
      at: this.options.clock.now(),
      index: this.calls.length,
    };
    this.calls.push(call);
    this.validate(input);
    const action = this.fault?.(call);
    if (action?.kind === 'hang') {
      await this.options.clock.sleep(Number.MAX_SAFE_INTEGER, signal);
    }
    const jitter = (this.options.latencyJitterMillis ?? 0) * (this.options.random ?? Math.random)();
    const latency = (this.options.latencyMillis ?? 0) + Math.round(jitter);
    if (latency > 0) await this.options.clock.sleep(latency, signal);
    if (action?.kind === 'call-error') {
      throw Object.assign(new Error(`${action.name} (injected)`), {
        name: action.name,
        $metadata: { httpStatusCode: action.status ?? 400 },
      });
    }
    const now = this.options.clock.now();
    const results: PutRecordsResultEntry[] = [];
    let failed = 0;
    (input.Records ?? []).forEach((record, i) => {
      const injected = action?.kind === 'entries' ? action.errors.get(i) : undefined;
      if (injected) {
        failed++;
        results.push({ ErrorCode: injected, ErrorMessage: 'Injected failure.' });
        return;
      }
      const hash =
        record.ExplicitHashKey !== undefined
          ? BigInt(record.ExplicitHashKey)
          : BigInt(
              `0x${createHash('md5')
                .update(record.PartitionKey ?? '', 'utf8')
                .digest('hex')}`,
            );
      const shard = this.shardsOf(stream).find((s) => s.open && hash >= s.start && hash <= s.end);
      if (!shard) throw new Error(`no open shard for ${hash}`);
      const bytes = BigInt((record.Data?.length ?? 0) + Buffer.byteLength(record.PartitionKey ?? ''));
      if (this.options.throttle !== false && !this.admit(shard, bytes, now)) {
        failed++;
        this.throttledEntries++;
        results.push({
          ErrorCode: 'ProvisionedThroughputExceededException',
          ErrorMessage: `Rate exceeded for shard ${shard.shardId}.`,
        });
        return;
      }
      this.sequence++;
      const sequenceNumber = this.sequence.toString().padStart(20, '0');
      shard.records.push({
        partitionKey: record.PartitionKey ?? '',
        ...(record.ExplicitHashKey !== undefined ? { explicitHashKey: record.ExplicitHashKey } : {}),
        data: Uint8Array.from(record.Data ?? []),
        sequenceNumber,
        arrivedAt: now,
      });
      results.push({ ShardId: shard.shardId, SequenceNumber: sequenceNumber });
    });
    return { Records: results, FailedRecordCount: failed };
  }

  private admit(shard: ModelShard, bytes: bigint, now: number): boolean {
    const recordRate = BigInt(this.options.recordsPerSecond ?? 1000);
    const byteRate = BigInt(this.options.bytesPerSecond ?? 1024 * 1024);
    // Allowance in micro-units refills by `rate` micro-units per elapsed microsecond.
    const elapsedMicros = BigInt(Math.max(0, Math.floor((now - shard.refilledAt) * 1000)));
    shard.refilledAt = Math.max(shard.refilledAt, now);
    shard.recordAllowance = min(recordRate * MICRO, shard.recordAllowance + recordRate * elapsedMicros);
    shard.byteAllowance = min(byteRate * MICRO, shard.byteAllowance + byteRate * elapsedMicros);
    if (shard.recordAllowance < MICRO || shard.byteAllowance < bytes * MICRO) return false;
    shard.recordAllowance -= MICRO;
    shard.byteAllowance -= bytes * MICRO;
    return true;
  }

  private validate(input: PutRecordsInput): void {
    const records = input.Records ?? [];
    const invalid = (message: string) =>
      Object.assign(new Error(message), {
        name: 'InvalidArgumentException',
        $metadata: { httpStatusCode: 400 },
      });
    if (!this.streams.has(input.StreamName ?? '')) {
      throw Object.assign(new Error(`Stream ${input.StreamName} not found.`), {
        name: 'ResourceNotFoundException',
        $metadata: { httpStatusCode: 400 },
      });
    }
    if (records.length < 1 || records.length > 500) throw invalid(`${records.length} records in one call.`);
    let total = 0;
    for (const r of records) {
      const pk = r.PartitionKey ?? '';
      if (pk.length < 1 || pk.length > 256) throw invalid(`partition key of length ${pk.length}`);
      if (r.ExplicitHashKey !== undefined && !/^(0|[1-9][0-9]{0,38})$/.test(r.ExplicitHashKey)) {
        throw invalid(`explicit hash key ${r.ExplicitHashKey}`);
      }
      const size = (r.Data?.length ?? 0) + Buffer.byteLength(pk);
      if (size > 1024 * 1024) throw invalid(`record of ${size} bytes`);
      total += size;
    }
    if (total > 5 * 1024 * 1024) throw invalid(`call of ${total} bytes`);
  }

  private newShard(start: bigint, end: bigint, parent?: string): ModelShard {
    const rate = (n: number | undefined, d: number) => BigInt(n ?? d) * MICRO;
    return {
      shardId: `shardId-${String(this.nextShard++).padStart(12, '0')}`,
      start,
      end,
      open: true,
      ...(parent ? { parent } : {}),
      records: [],
      recordAllowance: rate(this.options.recordsPerSecond, 1000),
      byteAllowance: rate(this.options.bytesPerSecond, 1024 * 1024),
      refilledAt: this.options.clock.now(),
    };
  }

  private shardsOf(stream: string): ModelShard[] {
    const shards = this.streams.get(stream);
    if (!shards) {
      throw Object.assign(new Error(`Stream ${stream} not found.`), {
        name: 'ResourceNotFoundException',
        $metadata: { httpStatusCode: 400 },
      });
    }
    return shards;
  }
}

function min(a: bigint, b: bigint): bigint {
  return a < b ? a : b;
}
