import { checkStreamRef, isArnForm, streamTarget } from '../functions/core/aws/stream-ref';
import {
  GetShardIteratorCommand,
  ListShardsCommand,
  type GetShardIteratorInput,
  type ListShardsInput,
} from '@aws-sdk/client-kinesis';
import { describeShard } from '../functions/core/consumer/discovery';
import type { ShardDescription } from '../functions/core/consumer/types';
import type { CommandContext } from './context';
import { CliError, UsageError } from './errors';

/** The message for a stream that is not there, naming where the CLI looked. */
export function missingStream(ctx: CommandContext, stream: string): CliError {
  return new CliError(
    `Stream "${stream}" does not exist in ${ctx.where('kinesis')}; ${
      isArnForm(stream)
        ? "check the ARN and --region (the stream's region), and that the owner's resource policy lets this account read or write it."
        : 'check the stream name and --region.'
    }`,
  );
}

/** Runs a call on one stream, turning ResourceNotFoundException into a message that names it. */
export async function onStream<T>(ctx: CommandContext, stream: string, call: () => Promise<T>): Promise<T> {
  // A stream in another region or a malformed ARN would only come back as Kinesis's own validation error.
  const problem = checkStreamRef(stream, 'The stream', ctx.region);
  if (problem) throw new UsageError(problem);
  try {
    return await call();
  } catch (error) {
    if ((error as Error).name === 'ResourceNotFoundException') throw missingStream(ctx, stream);
    throw error;
  }
}

/** Every shard of a stream, open and closed, in ListShards order (parents before their children). */
export async function listStreamShards(ctx: CommandContext, stream: string): Promise<ShardDescription[]> {
  const shards: ShardDescription[] = [];
  let request: ListShardsInput = streamTarget(stream);
  for (;;) {
    const page = await onStream(ctx, stream, () => ctx.kinesis().send(new ListShardsCommand(request)));
    for (const shard of page.Shards ?? []) shards.push(describeShard(stream, shard));
    if (!page.NextToken) return shards;
    // ListShards refuses a NextToken together with the StreamName or StreamARN.
    request = { NextToken: page.NextToken };
  }
}

/** A shard iterator, with the stream named when the stream or shard is missing. */
export async function shardIterator(
  ctx: CommandContext,
  input: GetShardIteratorInput,
): Promise<string | undefined> {
  const stream = (input.StreamARN ?? input.StreamName) as string;
  const output = await onStream(ctx, stream, () => ctx.kinesis().send(new GetShardIteratorCommand(input)));
  return output.ShardIterator;
}

/** The shards of `stream` the user named, or all of them; an unknown id is a usage error that lists the real ones. */
export function selectShards(
  stream: string,
  shards: readonly ShardDescription[],
  wanted: readonly string[] | undefined,
): ShardDescription[] {
  if (!wanted || wanted.length === 0) return [...shards];
  const byId = new Map(shards.map((s) => [s.shardId, s]));
  return wanted.map((id) => {
    const shard = byId.get(normalizeShardId(id));
    if (!shard) {
      throw new CliError(
        `Shard "${id}" is not a shard of stream "${stream}"; its shards are ${shards.map((s) => s.shardId).join(', ')}.`,
        2,
      );
    }
    return shard;
  });
}

/** Accepts `shardId-000000000003` or its number, `3`. */
export function normalizeShardId(id: string): string {
  return /^\d{1,12}$/.test(id) ? `shardId-${id.padStart(12, '0')}` : id;
}
