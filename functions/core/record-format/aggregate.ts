import { ValidationError } from '../errors';
import type { AggregatedRecord, UserRecord } from './aggregated-record';
import { RecordAggregator, resolveAggregationOptions, type AggregationOptions } from './aggregator';
import type { ShardMap } from './shard-map';

/** Options of the one-shot `aggregate`. */
export interface AggregateOptions extends AggregationOptions {
  /**
   * Aggregate per predicted shard, each aggregated record carrying an explicit hash key inside its
   * shard's range, so that a KCL consumer (which drops sub-records outside the shard it reads) keeps
   * every record.
   * @default - no shard map: all records go into the same aggregated records, each placed by its
   * first user record's keys; safe for consumers that do not filter by shard (this library's, and
   * aws-kinesis-agg's), not for KCL
   */
  readonly shardMap?: ShardMap;
}

/**
 * Aggregates a batch of user records into Kinesis records ready for PutRecords, in order. A record
 * holding a single user record is that user record, sent plain. Throws a ValidationError naming the
 * index of the first invalid or oversized user record.
 */
export function aggregate<T extends UserRecord>(
  records: readonly T[],
  options: AggregateOptions = {},
): AggregatedRecord<T>[] {
  const limits = resolveAggregationOptions(options);
  const output: AggregatedRecord<T>[] = [];
  const shardMap = options.shardMap;
  if (shardMap === undefined) {
    const aggregator = new RecordAggregator<T>(limits);
    for (let i = 0; i < records.length; i++) {
      const finished = addAt(aggregator, records, i);
      for (let j = 0; j < finished.length; j++) output.push(finished[j]!);
    }
    const last = aggregator.flush();
    if (last !== undefined) output.push(last);
    return output;
  }

  const aggregators = new Map<string, RecordAggregator<T>>();
  for (let i = 0; i < records.length; i++) {
    const record = records[i]!;
    let shardId: string;
    try {
      shardId = shardMap.shardFor(record.partitionKey, record.explicitHashKey).shardId;
    } catch (error) {
      throw atIndex(error, i);
    }
    let aggregator = aggregators.get(shardId);
    if (aggregator === undefined) {
      aggregator = new RecordAggregator<T>({
        ...limits,
        explicitHashKey: shardMap.explicitHashKeyFor(shardId),
      });
      aggregators.set(shardId, aggregator);
    }
    const finished = addAt(aggregator, records, i);
    for (let j = 0; j < finished.length; j++) output.push(finished[j]!);
  }
  for (const aggregator of aggregators.values()) {
    const last = aggregator.flush();
    if (last !== undefined) output.push(last);
  }
  return output;
}

function addAt<T extends UserRecord>(
  aggregator: RecordAggregator<T>,
  records: readonly T[],
  index: number,
): readonly AggregatedRecord<T>[] {
  try {
    return aggregator.add(records[index]!);
  } catch (error) {
    throw atIndex(error, index);
  }
}

/** Prefixes a record's validation error with its position in the batch. */
function atIndex(error: unknown, index: number): unknown {
  if (!(error instanceof ValidationError)) return error;
  const field = `records[${index}]${error.field === undefined ? '' : `.${error.field}`}`;
  return new ValidationError(`records[${index}]: ${error.message}`, field);
}
