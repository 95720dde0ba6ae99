import { isArnForm, streamTarget } from '../aws/stream-ref';
import type { Logger } from '@aws-lambda-powertools/logger';
import type { ListShardsInput, Shard } from '@aws-sdk/client-kinesis';
import { classifyError, type BackoffSettings } from '../aws/retry';
import { warnOnRetry, withRetries } from '../aws/retry';
import { ConfigurationError, describeError } from '../errors';
import type { Clock, Random } from '../time/clock';
import type { KinesisReadApi } from './kinesis-api';
import type { ShardDescription } from './types';

export interface DiscoveryOptions {
  readonly backoff: BackoffSettings;
  readonly clock: Clock;
  readonly random: Random;
  readonly logger: Logger;
  /** List only shards whose id sorts after this one (new shards since the last listing). */
  readonly exclusiveStartShardId?: string;
  readonly signal?: AbortSignal;
}

/** How many times a listing restarts from its first page when a NextToken expires mid-way. */
const MAX_LISTING_RESTARTS = 3;

/**
 * Lists a stream's shards with ListShards, following NextToken pages, each call retried with the
 * list-shards backoff. A stream that does not exist is a configuration error.
 */
export async function listShards(
  api: KinesisReadApi,
  streamName: string,
  options: DiscoveryOptions,
): Promise<ShardDescription[]> {
  for (let restart = 0; ; restart++) {
    try {
      return await listOnce(api, streamName, options);
    } catch (error) {
      if ((error as Error).name !== 'ExpiredNextTokenException' || restart >= MAX_LISTING_RESTARTS)
        throw error;
      options.logger.warn('A ListShards page token expired; listing again from the start', {
        stream: streamName,
      });
    }
  }
}

async function listOnce(
  api: KinesisReadApi,
  streamName: string,
  options: DiscoveryOptions,
): Promise<ShardDescription[]> {
  const shards: ShardDescription[] = [];
  let request: ListShardsInput = {
    ...streamTarget(streamName),
    ...(options.exclusiveStartShardId ? { ExclusiveStartShardId: options.exclusiveStartShardId } : {}),
  };
  for (;;) {
    const page = await withRetries(
      'ListShards',
      async () => {
        try {
          return await api.listShards(request, options.signal);
        } catch (error) {
          if ((error as Error).name === 'ResourceNotFoundException') {
            throw new ConfigurationError(
              `Stream "${streamName}" was not found (${describeError(error)}); ` +
                (isArnForm(streamName)
                  ? "check the ARN, the region, and that the owner's resource policy lets this account read it."
                  : 'check the stream names and the region.'),
              'streams',
            );
          }
          throw error;
        }
      },
      {
        settings: options.backoff,
        clock: options.clock,
        random: options.random,
        signal: options.signal,
        retryable: (error) => classifyError(error) !== 'fatal',
        onRetry: warnOnRetry(options.logger, 'ListShards failed; retrying', { stream: streamName }),
      },
    );
    for (const shard of page.Shards ?? []) shards.push(describeShard(streamName, shard));
    if (!page.NextToken) return shards;
    // ListShards rejects a StreamName or StreamARN together with a NextToken.
    request = { NextToken: page.NextToken };
  }
}

/** A ListShards entry as the consumer describes shards. */
export function describeShard(streamName: string, shard: Shard): ShardDescription {
  return {
    streamName,
    shardId: shard.ShardId as string,
    ...(shard.ParentShardId ? { parentShardId: shard.ParentShardId } : {}),
    ...(shard.AdjacentParentShardId ? { adjacentParentShardId: shard.AdjacentParentShardId } : {}),
    startingHashKey: shard.HashKeyRange?.StartingHashKey ?? '0',
    endingHashKey: shard.HashKeyRange?.EndingHashKey ?? '0',
    startingSequenceNumber: shard.SequenceNumberRange?.StartingSequenceNumber ?? '0',
    ...(shard.SequenceNumberRange?.EndingSequenceNumber
      ? { endingSequenceNumber: shard.SequenceNumberRange.EndingSequenceNumber }
      : {}),
  };
}
