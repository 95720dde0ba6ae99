import {
  ListShardsCommand,
  MergeShardsCommand,
  SplitShardCommand,
  type KinesisClient,
  type Shard,
} from '@aws-sdk/client-kinesis';
import { waitForStreamActive } from '../kinesis/streams';
import type { ReshardKind } from './options';

/** What a resharding did. */
export interface Resharding {
  readonly kind: ReshardKind;
  readonly stream: string;
  /** The shards it closed. */
  readonly parents: readonly string[];
  /** The shards it opened. */
  readonly children: readonly string[];
}

/**
 * Splits the first open shard of the stream at the middle of its hash range, or merges its first two
 * adjacent open shards, and waits until the stream is ACTIVE again.
 */
export async function reshard(
  kinesis: KinesisClient,
  stream: string,
  kind: ReshardKind,
): Promise<Resharding> {
  const before = await openShards(kinesis, stream);
  let parents: string[];
  if (kind === 'split') {
    const shard = before[0];
    if (!shard?.ShardId || !shard.HashKeyRange)
      throw new Error(`Stream ${stream} has no open shard to split.`);
    const start = BigInt(shard.HashKeyRange.StartingHashKey ?? '0');
    const end = BigInt(shard.HashKeyRange.EndingHashKey ?? '0');
    await kinesis.send(
      new SplitShardCommand({
        StreamName: stream,
        ShardToSplit: shard.ShardId,
        NewStartingHashKey: ((start + end + 1n) / 2n).toString(),
      }),
    );
    parents = [shard.ShardId];
  } else {
    const pair = adjacentPair(before);
    if (!pair) throw new Error(`Stream ${stream} has no two adjacent open shards to merge.`);
    await kinesis.send(
      new MergeShardsCommand({ StreamName: stream, ShardToMerge: pair[0], AdjacentShardToMerge: pair[1] }),
    );
    parents = pair;
  }
  await waitForStreamActive(kinesis, stream);
  const known = new Set(before.map((s) => s.ShardId));
  const children = (await openShards(kinesis, stream))
    .map((s) => s.ShardId as string)
    .filter((id) => !known.has(id));
  return { kind, stream, parents, children };
}

async function openShards(kinesis: KinesisClient, stream: string): Promise<Shard[]> {
  const { Shards = [] } = await kinesis.send(new ListShardsCommand({ StreamName: stream }));
  return Shards.filter((s) => !s.SequenceNumberRange?.EndingSequenceNumber).sort((a, b) =>
    compareHashKeys(a.HashKeyRange?.StartingHashKey, b.HashKeyRange?.StartingHashKey),
  );
}

function adjacentPair(sorted: readonly Shard[]): [string, string] | undefined {
  for (let i = 0; i + 1 < sorted.length; i++) {
    const [a, b] = [sorted[i], sorted[i + 1]];
    if (!a?.ShardId || !b?.ShardId) continue;
    if (
      BigInt(a.HashKeyRange?.EndingHashKey ?? '-1') + 1n ===
      BigInt(b.HashKeyRange?.StartingHashKey ?? '-2')
    ) {
      return [a.ShardId, b.ShardId];
    }
  }
  return undefined;
}

function compareHashKeys(a = '0', b = '0'): number {
  const [x, y] = [BigInt(a), BigInt(b)];
  return x < y ? -1 : x > y ? 1 : 0;
}
