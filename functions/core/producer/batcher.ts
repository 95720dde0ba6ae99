import type { PutRecordsRequestEntry } from '@aws-sdk/client-kinesis';
import { RecordAggregator, type AggregatedRecord } from '../record-format';

/** One valid message's record, routed and sized, waiting to be written. */
export interface PendingRecord {
  /** Position of its message in the batch; orders records within a group. */
  readonly index: number;
  readonly messageId: string;
  readonly stream: string;
  readonly partitionKey: string;
  readonly explicitHashKey?: string;
  readonly data: Uint8Array;
  /** Data plus partition key in bytes: what Kinesis counts against its limits. */
  readonly size: number;
  /** The FIFO message group; records of one group reach the stream in batch order. */
  readonly group?: string;
  readonly sentAt: number;
  /** The invocation's start + RecordTtl: after this the record goes back to the queue instead of being written. */
  readonly expiresAt: number;
}

/** One Kinesis record to put: a user record on its own or an aggregate of several, for one predicted shard. */
export interface Entry {
  /** The predicted shard, and the shard-map version the prediction came from. */
  readonly target: ShardTarget;
  readonly records: readonly PendingRecord[];
  readonly aggregated: boolean;
  readonly request: PutRecordsRequestEntry;
  /** Data plus partition key in bytes. */
  readonly size: number;
  /** The earliest expiry of its records. */
  readonly expiresAt: number;
}

export interface AggregationSettings {
  readonly aggregationEnabled: boolean;
  readonly aggregationMaxCount: number;
  readonly aggregationMaxSizeBytes: number;
  readonly maxRecordSizeBytes: number;
}

/** The shard the records were predicted to, and an explicit hash key inside its range. */
export interface ShardTarget {
  readonly stream: string;
  readonly shardId: string;
  readonly explicitHashKey: string;
  readonly mapVersion: number;
}

/**
 * Turns records bound for one shard, in order, into Kinesis records. With aggregation, consecutive records
 * share aggregated records whose outer explicit hash key lies in the shard's range, so a KCL reader finds
 * every sub-record on the shard it reads. An aggregate of one is sent as the plain record.
 */
export function buildEntries(
  records: readonly PendingRecord[],
  target: ShardTarget,
  settings: AggregationSettings,
): Entry[] {
  if (!settings.aggregationEnabled) return records.map((r) => plainEntry(r, target));
  const aggregator = new RecordAggregator<PendingRecord>({
    maxCount: settings.aggregationMaxCount,
    maxSize: settings.aggregationMaxSizeBytes,
    maxRecordSizeBytes: settings.maxRecordSizeBytes,
    explicitHashKey: target.explicitHashKey,
  });
  const entries: Entry[] = [];
  const emit = (aggregate: AggregatedRecord<PendingRecord>) => {
    const only = aggregate.userRecords[0];
    if (!aggregate.aggregated && only) {
      entries.push(plainEntry(only, target));
      return;
    }
    entries.push({
      target,
      records: aggregate.userRecords,
      aggregated: true,
      request: {
        Data: aggregate.data,
        PartitionKey: aggregate.partitionKey,
        ExplicitHashKey: target.explicitHashKey,
      },
      size: aggregate.data.length + Buffer.byteLength(aggregate.partitionKey),
      expiresAt: earliestExpiry(aggregate.userRecords),
    });
  };
  for (const record of records) {
    for (const finished of aggregator.add(record)) emit(finished);
  }
  const last = aggregator.flush();
  if (last) emit(last);
  return entries;
}

function earliestExpiry(records: readonly PendingRecord[]): number {
  let earliest = Number.POSITIVE_INFINITY;
  for (const r of records) if (r.expiresAt < earliest) earliest = r.expiresAt;
  return earliest;
}

function plainEntry(record: PendingRecord, target: ShardTarget): Entry {
  return {
    target,
    records: [record],
    aggregated: false,
    request: {
      Data: record.data,
      PartitionKey: record.partitionKey,
      ...(record.explicitHashKey !== undefined ? { ExplicitHashKey: record.explicitHashKey } : {}),
    },
    size: record.size,
    expiresAt: record.expiresAt,
  };
}

/**
 * Splits records of one stream into the runs that are aggregated together: per predicted shard, and, for
 * records of a FIFO group, per stretch of consecutive records on one shard, so an aggregated record
 * never holds two groups and a group's records never overtake each other.
 */
export function planRuns<T extends { readonly record: PendingRecord; readonly shardKey: string }>(
  items: readonly T[],
): T[][] {
  const runs: T[][] = [];
  const openRun = new Map<string, T[]>();
  const lastShardOfGroup = new Map<string, string>();
  for (const item of items) {
    const group = item.record.group;
    if (group === undefined) {
      const key = `\u0000${item.shardKey}`;
      let run = openRun.get(key);
      if (!run) {
        run = [];
        openRun.set(key, run);
        runs.push(run);
      }
      run.push(item);
      continue;
    }
    const key = `${group}\u0000${item.shardKey}`;
    let run = lastShardOfGroup.get(group) === item.shardKey ? openRun.get(key) : undefined;
    if (!run) {
      run = [];
      openRun.set(key, run);
      runs.push(run);
    }
    lastShardOfGroup.set(group, item.shardKey);
    run.push(item);
  }
  return runs;
}

export interface CollectionSettings {
  readonly collectionMaxCount: number;
  readonly collectionMaxSizeBytes: number;
}

/**
 * Collects entries of one stream into PutRecords requests within CollectionMaxCount and CollectionMaxSize.
 * The writer decides what may go (rate limits, order); this only decides what fits.
 */
export class RequestCollector<T extends { readonly entry: Entry }> {
  private current: T[] = [];
  private bytes = 0;
  readonly finished: T[][] = [];

  constructor(private readonly settings: CollectionSettings) {}

  get pending(): number {
    return this.current.length;
  }

  /** Whether `item` fits in the request being filled. An empty request takes anything. */
  fits(item: T): boolean {
    return (
      this.current.length === 0 ||
      (this.current.length < this.settings.collectionMaxCount &&
        this.bytes + item.entry.size <= this.settings.collectionMaxSizeBytes)
    );
  }

  add(item: T): void {
    this.current.push(item);
    this.bytes += item.entry.size;
  }

  /** Closes the request being filled, if it holds anything. */
  close(): void {
    if (this.current.length === 0) return;
    this.finished.push(this.current);
    this.current = [];
    this.bytes = 0;
  }
}
