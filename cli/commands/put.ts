import { streamTarget } from '../../functions/core/aws/stream-ref';
import { randomUUID } from 'node:crypto';
import { PutRecordsCommand, type PutRecordsRequestEntry } from '@aws-sdk/client-kinesis';
import { Command } from 'commander';
import { fullJitterDelay, type BackoffSettings } from '../../functions/core/aws/retry';
import { checkExplicitHashKey, checkPartitionKey } from '../../functions/core/producer/message-contract';
import {
  aggregate,
  DEFAULT_MAX_RECORD_SIZE_BYTES,
  ShardMap,
  type UserRecord,
} from '../../functions/core/record-format';
import { integerOption, withContext } from '../command';
import type { CommandContext } from '../context';
import { CliError, UsageError } from '../errors';
import { readInput, type InputRecord } from '../input';
import { println, type CliIo } from '../io';
import { listStreamShards, onStream } from '../kinesis';
import { startProgress } from '../output';

interface PutOptions {
  readonly stream: string;
  readonly file?: string;
  readonly partitionKey?: string;
  readonly explicitHashKey?: string;
  readonly aggregate?: boolean;
  readonly base64?: boolean;
  readonly sequenceNumbers?: boolean;
  readonly maxAttempts: number;
}

const MAX_ENTRIES = 500;
const MAX_REQUEST_BYTES = 5 * 1024 * 1024;
const BACKOFF: BackoffSettings = { maxRetries: 0, baseMillis: 100, maxMillis: 2000, expConst: 2 };

export function putCommand(io: CliIo): Command {
  return new Command('put')
    .description(
      'Write records straight to a stream with PutRecords (500 a request, failed entries retried): each argument ' +
        'is a record, else each line of --file or of stdin.',
    )
    .argument('[data...]', 'records, one per argument')
    .requiredOption(
      '--stream <name>',
      "the stream to write to: its name, or its ARN (another account's stream)",
    )
    .option('--file <path>', 'one record per line; - reads stdin')
    .option('--partition-key <key>', 'the partition key of every record (default: a random key per record)')
    .option(
      '--explicit-hash-key <decimal>',
      'place every record by this hash key instead of its partition key',
    )
    .option('--aggregate', 'pack the records into KPL aggregated records, per predicted shard')
    .option('--base64', 'each record is base64 text of binary data')
    .option(
      '--sequence-numbers',
      'print each record’s shard and sequence number[:sub-sequence], in input order',
    )
    .option('--max-attempts <n>', 'attempts per record before giving up on it', integerOption(1, 100), 5)
    .action(withContext<PutOptions>(io, put));
}

interface Pending {
  readonly entry: PutRecordsRequestEntry;
  readonly bytes: number;
  /** Input indexes of the user records it carries, in sub-sequence order. */
  readonly users: readonly number[];
}

interface Placed {
  readonly shardId: string;
  readonly sequenceNumber: string;
  readonly subSequenceNumber?: number;
}

async function put(ctx: CommandContext, options: PutOptions, args: readonly unknown[]): Promise<void> {
  const problem =
    (options.partitionKey !== undefined
      ? checkPartitionKey(options.partitionKey, '--partition-key')
      : undefined) ??
    (options.explicitHashKey !== undefined
      ? checkExplicitHashKey(options.explicitHashKey, '--explicit-hash-key')
      : undefined);
  if (problem) throw new UsageError(problem);
  const inputs = await readInput(ctx.io, (args[0] as string[] | undefined) ?? [], options.file);
  const users = inputs.map((input) => toUserRecord(input, options));
  const pending = options.aggregate ? await aggregated(ctx, options.stream, users) : plain(users);

  const placed = new Array<Placed | undefined>(users.length);
  const progress = startProgress(ctx.io, 'Putting records', users.length, MAX_ENTRIES + 1);
  let requests = 0;
  let remaining = pending;
  let lastErrors = new Map<Pending, string>();
  for (let attempt = 0; attempt < options.maxAttempts && remaining.length > 0; attempt++) {
    if (attempt > 0) await ctx.clock.sleep(fullJitterDelay(attempt - 1, BACKOFF, ctx.random));
    const failed: Pending[] = [];
    lastErrors = new Map();
    for (const batch of batches(remaining)) {
      requests++;
      const output = await onStream(ctx, options.stream, () =>
        ctx
          .kinesis()
          .send(
            new PutRecordsCommand({ ...streamTarget(options.stream), Records: batch.map((p) => p.entry) }),
          ),
      );
      let written = 0;
      (output.Records ?? []).forEach((result, i) => {
        const item = batch[i] as Pending;
        if (result.ErrorCode || !result.SequenceNumber) {
          failed.push(item);
          lastErrors.set(item, `${result.ErrorCode ?? 'Error'}: ${result.ErrorMessage ?? ''}`);
          return;
        }
        item.users.forEach((index, sub) => {
          placed[index] = {
            shardId: result.ShardId ?? '',
            sequenceNumber: result.SequenceNumber as string,
            ...(options.aggregate && item.users.length > 1 ? { subSequenceNumber: sub } : {}),
          };
        });
        written += item.users.length;
      });
      progress.increment(written);
    }
    remaining = failed;
  }
  progress.stop();

  if (options.sequenceNumbers) {
    placed.forEach((p) => {
      if (p)
        println(
          ctx.io.stdout,
          `${p.shardId}\t${p.sequenceNumber}${p.subSequenceNumber !== undefined ? `:${p.subSequenceNumber}` : ''}`,
        );
    });
  }
  const written = placed.filter(Boolean).length;
  const shards = new Set(placed.flatMap((p) => (p ? [p.shardId] : []))).size;
  println(
    ctx.io.stdout,
    `Put ${written} record(s) to stream ${options.stream}` +
      (options.aggregate ? ` in ${pending.length - remaining.length} aggregated Kinesis record(s)` : '') +
      ` on ${shards} shard(s), ${requests} PutRecords request(s).`,
  );
  if (remaining.length > 0) {
    const failedUsers = remaining.flatMap((p) => p.users);
    const first = remaining[0] as Pending;
    throw new CliError(
      `${failedUsers.length} record(s) were not written after ${options.maxAttempts} attempt(s), the first from ` +
        `${inputs[first.users[0] as number]?.origin} (${lastErrors.get(first) ?? 'no reason given'}). ` +
        'Write them again later, or raise --max-attempts.',
    );
  }
}

function toUserRecord(input: InputRecord, options: PutOptions): UserRecord {
  let data: Uint8Array;
  if (options.base64) {
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(input.text) || input.text.length % 4 !== 0) {
      throw new UsageError(`The record from ${input.origin} is not base64 (--base64 was given).`);
    }
    data = Buffer.from(input.text, 'base64');
  } else {
    data = Buffer.from(input.text, 'utf8');
  }
  const partitionKey = options.partitionKey ?? randomUUID();
  const bytes = data.length + Buffer.byteLength(partitionKey);
  if (bytes > DEFAULT_MAX_RECORD_SIZE_BYTES) {
    throw new UsageError(
      `The record from ${input.origin} is ${bytes} bytes with its partition key; a Kinesis record may be at most ` +
        `${DEFAULT_MAX_RECORD_SIZE_BYTES}.`,
    );
  }
  return {
    partitionKey,
    data,
    ...(options.explicitHashKey !== undefined ? { explicitHashKey: options.explicitHashKey } : {}),
  };
}

function plain(users: readonly UserRecord[]): Pending[] {
  return users.map((user, index) => ({
    entry: entryOf(user),
    bytes: user.data.length + Buffer.byteLength(user.partitionKey),
    users: [index],
  }));
}

/**
 * Aggregates per predicted shard (from the stream's open shards), so every aggregated record carries an
 * explicit hash key inside the shard its user records belong to, as a KCL consumer requires.
 */
async function aggregated(
  ctx: CommandContext,
  stream: string,
  users: readonly UserRecord[],
): Promise<Pending[]> {
  const shards = await listStreamShards(ctx, stream);
  const map = ShardMap.fromShards(
    shards.map((s) => ({
      ShardId: s.shardId,
      HashKeyRange: { StartingHashKey: s.startingHashKey, EndingHashKey: s.endingHashKey },
      SequenceNumberRange: {
        StartingSequenceNumber: s.startingSequenceNumber,
        ...(s.endingSequenceNumber ? { EndingSequenceNumber: s.endingSequenceNumber } : {}),
      },
    })),
  );
  const indexed = users.map((user, index) => ({ ...user, index }));
  return aggregate(indexed, { shardMap: map }).map((record) => ({
    entry: entryOf(record),
    bytes: record.data.length + Buffer.byteLength(record.partitionKey),
    users: record.userRecords.map((u) => u.index),
  }));
}

function entryOf(
  record: Pick<UserRecord, 'data' | 'partitionKey' | 'explicitHashKey'>,
): PutRecordsRequestEntry {
  return {
    Data: record.data,
    PartitionKey: record.partitionKey,
    ...(record.explicitHashKey !== undefined ? { ExplicitHashKey: record.explicitHashKey } : {}),
  };
}

/** Splits into PutRecords requests of at most 500 entries and 5 MiB. */
function batches(items: readonly Pending[]): Pending[][] {
  const out: Pending[][] = [];
  let batch: Pending[] = [];
  let bytes = 0;
  for (const item of items) {
    if (batch.length === MAX_ENTRIES || (batch.length > 0 && bytes + item.bytes > MAX_REQUEST_BYTES)) {
      out.push(batch);
      batch = [];
      bytes = 0;
    }
    batch.push(item);
    bytes += item.bytes;
  }
  if (batch.length > 0) out.push(batch);
  return out;
}
