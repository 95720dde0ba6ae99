import { streamArnField, streamTarget } from '../../functions/core/aws/stream-ref';
import { GetRecordsCommand, type GetShardIteratorInput, type _Record } from '@aws-sdk/client-kinesis';
import { Command, Option } from 'commander';
import type { ShardDescription } from '../../functions/core/consumer/types';
import { deaggregate, type DeaggregatedRecord } from '../../functions/core/record-format';
import { integerOption, listOption, withContext } from '../command';
import type { CommandContext } from '../context';
import { UsageError } from '../errors';
import { println, type CliIo } from '../io';
import { listStreamShards, onStream, selectShards, shardIterator } from '../kinesis';
import { parsePosition, type Position } from '../positions';

type Format = 'text' | 'json' | 'base64';

interface TailOptions {
  readonly stream: string;
  readonly from: string;
  readonly shard?: readonly string[];
  readonly limit?: number;
  readonly follow?: boolean;
  readonly format: Format;
  readonly metadata?: boolean;
  readonly pollInterval: number;
}

/** Kinesis serves 5 GetRecords calls per second per shard. */
const MIN_CALL_INTERVAL_MILLIS = 200;
const MAX_RECORDS_PER_CALL = 10_000;

export function tailCommand(io: CliIo): Command {
  return new Command('tail')
    .description(
      'Read a stream from a position and print its records, KPL aggregates split into their user records. ' +
        'Children of a split or merge are read after their parents.',
    )
    .requiredOption('--stream <name>', "the stream to read: its name, or its ARN (another account's stream)")
    .option(
      '--from <position>',
      'TRIM_HORIZON, LATEST, an ISO 8601 time (2024-05-01T10:00:00Z), or a sequence number[:sub-sequence] (with one --shard)',
      'TRIM_HORIZON',
    )
    .option(
      '--shard <ids>',
      'read only these shards (shardId-000000000001 or 1), comma-separated',
      listOption,
    )
    .option('--limit <n>', 'stop after this many records', integerOption(1))
    .option('-f, --follow', 'keep reading new records until --limit or Ctrl-C')
    .addOption(
      new Option(
        '--format <format>',
        'text (the data as UTF-8), json (one object per record with its keys), base64',
      )
        .choices(['text', 'json', 'base64'])
        .default('text'),
    )
    .option(
      '--metadata',
      'with text or base64: prefix each record with its shard, sequence number and partition key',
    )
    .option(
      '--poll-interval <ms>',
      'with --follow: the pause when no shard had new records',
      integerOption(0, 60_000),
      1000,
    )
    .action(withContext<TailOptions>(io, tail));
}

interface ShardCursor {
  readonly shard: ShardDescription;
  iterator?: string;
  started: boolean;
  done: boolean;
  lastCallAt: number;
  /** The last record read, to pick up after it if an iterator expires. */
  lastSequenceNumber?: string;
}

async function tail(ctx: CommandContext, options: TailOptions): Promise<void> {
  const position = parsePosition(options.from, '--from', 'sub-sequence');
  const listed = await listStreamShards(ctx, options.stream);
  const selected = selectShards(options.stream, listed, options.shard);
  if (position.type === 'SEQUENCE' && selected.length !== 1) {
    throw new UsageError('--from <sequence number> needs the one shard it belongs to: add --shard <id>.');
  }
  const cursors = new Map(
    selected.map((shard) => [
      shard.shardId,
      { shard, started: false, done: false, lastCallAt: 0 } as ShardCursor,
    ]),
  );
  const signal = ctx.io.signal;
  const limit = options.limit ?? Number.POSITIVE_INFINITY;
  let printed = 0;
  const emit = (records: readonly DeaggregatedRecord[], shardId: string): boolean => {
    for (const record of records) {
      if (position.type === 'SEQUENCE' && skipBefore(record, position)) continue;
      println(ctx.io.stdout, formatRecord(record, options.stream, shardId, options));
      if (++printed >= limit) return false;
    }
    return true;
  };

  while (!signal?.aborted) {
    const ready = [...cursors.values()].filter((c) => !c.done && parentsDone(c.shard, cursors));
    if (ready.length === 0) break;
    let gotRecords = false;
    for (const cursor of ready) {
      if (signal?.aborted) break;
      const page = await readPage(ctx, cursor, position, Math.min(MAX_RECORDS_PER_CALL, limit - printed));
      if (!page) continue;
      for (const record of page.records) {
        gotRecords = true;
        cursor.lastSequenceNumber = record.SequenceNumber;
        const users = deaggregate(
          {
            partitionKey: record.PartitionKey ?? '',
            data: record.Data ?? new Uint8Array(),
            ...(record.SequenceNumber ? { sequenceNumber: record.SequenceNumber } : {}),
            ...(record.ApproximateArrivalTimestamp
              ? { approximateArrivalTimestamp: record.ApproximateArrivalTimestamp }
              : {}),
          },
          {
            onWarning: (w) =>
              println(ctx.io.stderr, `Warning: record ${w.sequenceNumber ?? ''} ${w.message}`),
          },
        );
        if (!emit(users, cursor.shard.shardId)) {
          reportEnd(ctx, printed, cursors.size);
          return;
        }
      }
      if (!page.next) cursor.done = true;
      // Without --follow a shard is done once a read comes back empty at the tip.
      else if (!options.follow && page.records.length === 0 && page.millisBehindLatest === 0)
        cursor.done = true;
      cursor.iterator = page.next;
    }
    if (!gotRecords && options.follow) {
      try {
        await ctx.clock.sleep(options.pollInterval, signal);
      } catch {
        break;
      }
    }
  }
  reportEnd(ctx, printed, cursors.size);
}

function reportEnd(ctx: CommandContext, printed: number, shards: number): void {
  println(ctx.io.stderr, `${printed} record(s) from ${shards} shard(s).`);
}

/** A child waits until each parent that is being read has been read to its end. */
function parentsDone(shard: ShardDescription, cursors: ReadonlyMap<string, ShardCursor>): boolean {
  for (const parent of [shard.parentShardId, shard.adjacentParentShardId]) {
    const cursor = parent ? cursors.get(parent) : undefined;
    if (cursor && !cursor.done) return false;
  }
  return true;
}

async function readPage(
  ctx: CommandContext,
  cursor: ShardCursor,
  position: Position,
  limit: number,
): Promise<{ records: _Record[]; next?: string; millisBehindLatest?: number } | undefined> {
  const { shard } = cursor;
  if (!cursor.started) {
    cursor.started = true;
    // Nothing arrives in a closed shard after now.
    if (position.type === 'LATEST' && shard.endingSequenceNumber) {
      cursor.done = true;
      return undefined;
    }
    cursor.iterator = await shardIterator(ctx, startOf(shard, position));
    if (!cursor.iterator) {
      cursor.done = true;
      return undefined;
    }
  }
  const wait = cursor.lastCallAt + MIN_CALL_INTERVAL_MILLIS - ctx.clock.now();
  if (wait > 0) await ctx.clock.sleep(wait);
  cursor.lastCallAt = ctx.clock.now();
  try {
    const page = await onStream(ctx, shard.streamName, () =>
      ctx.kinesis().send(
        new GetRecordsCommand({
          ...streamArnField(shard.streamName),
          ShardIterator: cursor.iterator,
          Limit: limit,
        }),
      ),
    );
    return {
      records: page.Records ?? [],
      ...(page.NextShardIterator ? { next: page.NextShardIterator } : {}),
      ...(page.MillisBehindLatest !== undefined ? { millisBehindLatest: page.MillisBehindLatest } : {}),
    };
  } catch (error) {
    if ((error as Error).name !== 'ExpiredIteratorException') throw error;
    // The loop stalled for five minutes (a slow terminal); pick up after the last record read.
    cursor.iterator = await shardIterator(
      ctx,
      cursor.lastSequenceNumber
        ? {
            ...streamTarget(shard.streamName),
            ShardId: shard.shardId,
            ShardIteratorType: 'AFTER_SEQUENCE_NUMBER',
            StartingSequenceNumber: cursor.lastSequenceNumber,
          }
        : startOf(shard, position),
    );
    return { records: [], ...(cursor.iterator ? { next: cursor.iterator } : {}) };
  }
}

function startOf(shard: ShardDescription, position: Position): GetShardIteratorInput {
  const base = { ...streamTarget(shard.streamName), ShardId: shard.shardId };
  switch (position.type) {
    case 'TRIM_HORIZON':
    case 'LATEST':
      return { ...base, ShardIteratorType: position.type };
    case 'AT_TIMESTAMP':
      return { ...base, ShardIteratorType: 'AT_TIMESTAMP', Timestamp: new Date(position.timestampMillis) };
    case 'SEQUENCE':
      return {
        ...base,
        ShardIteratorType: 'AT_SEQUENCE_NUMBER',
        StartingSequenceNumber: position.sequenceNumber,
      };
  }
}

/** From `<sequence>:<sub>`, the sub-records before `<sub>` of that aggregated record are not shown. */
function skipBefore(record: DeaggregatedRecord, position: Extract<Position, { type: 'SEQUENCE' }>): boolean {
  return (
    position.subSequenceNumber !== undefined &&
    record.sequenceNumber === position.sequenceNumber &&
    (record.subSequenceNumber ?? 0) < position.subSequenceNumber
  );
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** One record as one line of output. */
export function formatRecord(
  record: DeaggregatedRecord,
  stream: string,
  shardId: string,
  options: Pick<TailOptions, 'format' | 'metadata'>,
): string {
  const position = `${record.sequenceNumber ?? ''}${record.subSequenceNumber !== undefined ? `:${record.subSequenceNumber}` : ''}`;
  if (options.format === 'json') {
    return JSON.stringify({
      stream,
      shardId,
      sequenceNumber: record.sequenceNumber,
      ...(record.subSequenceNumber !== undefined ? { subSequenceNumber: record.subSequenceNumber } : {}),
      partitionKey: record.partitionKey,
      ...(record.explicitHashKey !== undefined ? { explicitHashKey: record.explicitHashKey } : {}),
      approximateArrivalTimestamp: record.approximateArrivalTimestamp?.toISOString(),
      ...decodeData(record.data),
    });
  }
  const data =
    options.format === 'base64'
      ? Buffer.from(record.data).toString('base64')
      : Buffer.from(record.data).toString('utf8');
  return options.metadata ? `${shardId}\t${position}\t${record.partitionKey}\t${data}` : data;
}

/** The data as parsed JSON when it is JSON, else as text when it is UTF-8, else as base64. */
function decodeData(data: Uint8Array): { data: unknown } | { text: string } | { base64: string } {
  let text: string;
  try {
    text = utf8.decode(data);
  } catch {
    return { base64: Buffer.from(data).toString('base64') };
  }
  try {
    return { data: JSON.parse(text) as unknown };
  } catch {
    return { text };
  }
}
