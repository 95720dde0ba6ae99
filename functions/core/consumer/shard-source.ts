import type { Logger } from '@aws-lambda-powertools/logger';
import type { KinesisReadApi } from './kinesis-api';
import type { ShardReaderSettings } from './shard-reader';
import type { ShardDescription } from './types';

/** What a shard source is given for one shard the engine starts reading. */
export interface ShardSourceContext {
  readonly shard: ShardDescription;
  /** The polling read API (ListShards, GetShardIterator, GetRecords). */
  readonly polling: KinesisReadApi;
  /** When the shard's pending batch must be delivered. */
  readonly dueAt: () => number | undefined;
  /** Aborts when the invocation stops reading. */
  readonly stop: AbortSignal;
  readonly logger: Logger;
}

/** How one shard is read: the read API its reader calls, and the reader settings that suit it. */
export interface ShardSource {
  readonly api: KinesisReadApi;
  readonly settings: (base: ShardReaderSettings) => ShardReaderSettings;
}

/** Makes the source of each shard; without one the engine polls. */
export type ShardSourceFactory = (context: ShardSourceContext) => ShardSource;
