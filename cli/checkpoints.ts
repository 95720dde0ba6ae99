import { hostname, userInfo } from 'node:os';
import type {
  CheckpointStore,
  OperatorLease,
  ShardCheckpoint,
  ShardKey,
  StoredCheckpoint,
} from '../functions/core/checkpoints/checkpoint-store';
import { parseShardKey, shardKey } from '../functions/core/checkpoints/checkpoint-store';
import { streamOfCheckpointKey } from '../functions/core/aws/stream-ref';
import {
  highestGeneration,
  mergeCheckpoints,
  type MergedCheckpoint,
} from '../functions/core/checkpoints/merge';
import { DynamoDbCheckpointStore } from '../functions/core/checkpoints/dynamodb-checkpoint-store';
import {
  SsmCheckpointStore,
  validateParameterPath,
} from '../functions/core/checkpoints/ssm-checkpoint-store';
import { SsmSubtaskLease } from '../functions/core/checkpoints/ssm-lease';
import type { BackoffSettings } from '../functions/core/aws/retry';
import { consumerCheckpointPath } from '../functions/core/checkpoints/checkpoint-path';
import {
  CONSUMER_DEFAULTS,
  CONSUMER_SETTINGS,
  type SsmTier,
} from '../functions/core/config/consumer-settings';
import { uniformShardAssigner } from '../functions/core/consumer/assigner';
import type { ShardDescription } from '../functions/core/consumer/types';
import type { ConfigurationError } from '../functions/core/errors';
import type { CommandContext } from './context';
import { CliError, UsageError } from './errors';
import { listStreamShards } from './kinesis';

/**
 * A consumer's checkpoints and leases as the CLI reaches them: the same `CheckpointStore` and lease the
 * consumer uses, in SSM or in a DynamoDB table.
 */
export interface CheckpointAccess {
  /** Where they live, for messages: "SSM parameters under /app/checkpoints", or the table and consumer. */
  readonly description: string;
  readonly store: CheckpointStore;
  lease(subtaskIndex: number, owner: string): OperatorLease;
}

/** Options that name a consumer's checkpoints. */
export interface ConsumerOptions {
  /** The consumer's SSM checkpoint path (consumer.checkpoint.ssm.prefix). */
  readonly consumerPrefix?: string;
  /**
   * A consumer deployed with the CDK construct: its SSM path is `/serverless-kinesis-connector/<name>`,
   * or, with `checkpointTable`, its items in that table are keyed by this name (consumer.name).
   */
  readonly consumer?: string;
  /** The consumer's DynamoDB checkpoint table (consumer.checkpoint.dynamodb.table), instead of SSM. */
  readonly checkpointTable?: string;
  readonly ssmTier?: SsmTier;
  readonly streams?: readonly string[];
  readonly parallelism?: number;
  /** The lease settle delay. @default - consumer.lease.settlemillis from the properties, else its default */
  readonly leaseSettleMillis?: number;
}

/** Where the CDK construct keeps a named consumer's checkpoints, below this path. */
/** The CLI waits less than a consumer would on a throttled SSM before saying so. */
const CLI_SSM_BACKOFF: BackoffSettings = { maxRetries: 4, baseMillis: 200, maxMillis: 2000, expConst: 2 };
const CLI_DYNAMODB_BACKOFF: BackoffSettings = { maxRetries: 4, baseMillis: 50, maxMillis: 1000, expConst: 2 };

/** Opens the checkpoints of the consumer the options name, in SSM or in a DynamoDB table. */
export function openCheckpoints(ctx: CommandContext, options: ConsumerOptions): CheckpointAccess {
  const table =
    options.checkpointTable ??
    (ctx.consumer.checkpointStore === 'dynamodb' ? ctx.consumer.dynamoDbTable : undefined);
  if (table !== undefined) return openDynamoDbCheckpoints(ctx, options, table);
  if (options.consumer !== undefined && options.consumerPrefix !== undefined) {
    throw new UsageError('Give --consumer or --consumer-prefix, not both: each names the checkpoint path.');
  }
  const prefix =
    options.consumerPrefix ??
    (options.consumer !== undefined ? consumerCheckpointPath(options.consumer) : undefined) ??
    ctx.consumer.ssmPrefix ??
    CONSUMER_DEFAULTS.checkpoint.ssmPrefix;
  const option = options.consumer !== undefined ? '--consumer' : '--consumer-prefix';
  try {
    validateParameterPath(prefix, option);
  } catch (error) {
    throw new UsageError((error as ConfigurationError).message);
  }
  const store = new SsmCheckpointStore({
    ssm: ctx.ssm(),
    parameterPath: prefix,
    tier: options.ssmTier ?? ctx.consumer.ssmTier ?? CONSUMER_DEFAULTS.checkpoint.ssmTier,
    backoff: CLI_SSM_BACKOFF,
    clock: ctx.clock,
    random: ctx.random,
  });
  const settleMillis =
    options.leaseSettleMillis ?? ctx.consumer.leaseSettleMillis ?? CONSUMER_DEFAULTS.leaseSettleMillis;
  return {
    description: `SSM parameters under ${prefix} (${ctx.where('ssm')})`,
    store,
    lease: (subtaskIndex, owner) =>
      new SsmSubtaskLease({
        ssm: ctx.ssm(),
        parameterName: store.leaseParameterName(subtaskIndex),
        owner,
        settleMillis,
        clock: ctx.clock,
        random: ctx.random,
        backoff: CLI_SSM_BACKOFF,
      }),
  };
}

function openDynamoDbCheckpoints(
  ctx: CommandContext,
  options: ConsumerOptions,
  tableName: string,
): CheckpointAccess {
  if (options.consumerPrefix !== undefined || options.ssmTier !== undefined) {
    throw new UsageError(
      'A DynamoDB checkpoint table does not go with --consumer-prefix or --ssm-tier, which name SSM checkpoints; ' +
        'drop them, or drop --checkpoint-table.',
    );
  }
  const consumerName = options.consumer ?? ctx.consumer.consumerName;
  if (consumerName === undefined) {
    throw new UsageError(
      `The DynamoDB checkpoint table ${tableName} holds the items of every consumer that uses it: name this ` +
        `one with --consumer <name> (its ${CONSUMER_SETTINGS.consumerName.key}).`,
    );
  }
  const store = new DynamoDbCheckpointStore({
    dynamodb: ctx.dynamodb(),
    tableName,
    consumerName,
    backoff: CLI_DYNAMODB_BACKOFF,
    clock: ctx.clock,
    random: ctx.random,
  });
  return {
    description: `DynamoDB table ${tableName}, consumer ${consumerName} (${ctx.where('dynamodb')})`,
    store,
    lease: (subtaskIndex, owner) => store.lease(subtaskIndex, owner),
  };
}

/** Who the CLI is when it holds a lease, as `status` shows it. */
export function operatorOwner(random: () => number): string {
  let user = 'unknown';
  try {
    user = userInfo().username;
  } catch {
    // No user entry (some containers): the host and the random part still tell runs apart.
  }
  const id = Math.floor(random() * 0x100000000)
    .toString(16)
    .padStart(8, '0');
  return `skc-cli:${user}@${hostname()}:${id}`;
}

/** One shard of the consumer's streams and what the checkpoints say about it. */
export interface ShardState {
  readonly shard: ShardDescription;
  readonly key: ShardKey;
  readonly children: readonly string[];
  /** The subtask the default assigner gives it. */
  readonly owner: number;
  readonly checkpoint?: MergedCheckpoint;
}

/** A consumer as its checkpoints and its streams' shards describe it. */
export interface ConsumerView {
  readonly access: CheckpointAccess;
  readonly stored: readonly StoredCheckpoint[];
  readonly merged: ReadonlyMap<ShardKey, MergedCheckpoint>;
  readonly generation: number;
  /** Every stream the consumer reads (given, or found in its checkpoints), sorted. */
  readonly streams: readonly string[];
  readonly parallelism: number;
  readonly parallelismSource: string;
  readonly shards: readonly ShardState[];
  /** Subtasks 0 to parallelism - 1, and any other with a stored value. */
  readonly subtasks: readonly number[];
}

/**
 * Loads every stored value, merges them as the consumer does (highest generation, then furthest position),
 * lists the streams' shards and gives each its owner under the default assigner.
 */
export async function loadConsumerView(ctx: CommandContext, options: ConsumerOptions): Promise<ConsumerView> {
  const access = openCheckpoints(ctx, options);
  const stored = await access.store.loadAll();
  const merged = mergeCheckpoints(stored);
  const streams = new Set<string>([...(options.streams ?? ctx.consumer.streams ?? [])]);
  for (const value of stored)
    for (const key of value.shards.keys())
      streams.add(streamOfCheckpointKey(parseShardKey(key).streamName, ctx.region));
  if (streams.size === 0) {
    // Nothing found where the consumer was said to be: a missing resource (exit 1), as for a missing stream.
    throw new CliError(
      `No checkpoints are stored in ${access.description}, and no --streams were given: name the consumer's ` +
        'streams with --streams, or check --consumer-prefix (or --consumer, and --checkpoint-table) and the region.',
    );
  }
  const sorted = [...streams].sort();
  const storedIndices = [...new Set(stored.map((v) => v.subtaskIndex))].sort((a, b) => a - b);
  const { parallelism, source } = chooseParallelism(ctx, options, storedIndices);
  const assigner = uniformShardAssigner(sorted);
  const shards: ShardState[] = [];
  for (const stream of sorted) {
    const listed = await listStreamShards(ctx, stream);
    const children = new Map<string, string[]>();
    for (const shard of listed) {
      for (const parent of [shard.parentShardId, shard.adjacentParentShardId]) {
        if (parent) children.set(parent, [...(children.get(parent) ?? []), shard.shardId]);
      }
    }
    for (const shard of listed) {
      const key = shardKey(stream, shard.shardId);
      const checkpoint = merged.get(key);
      shards.push({
        shard,
        key,
        children: children.get(shard.shardId) ?? [],
        owner: assigner(shard, parallelism),
        ...(checkpoint ? { checkpoint } : {}),
      });
    }
  }
  const subtasks = [...new Set([...Array.from({ length: parallelism }, (_, i) => i), ...storedIndices])].sort(
    (a, b) => a - b,
  );
  return {
    access,
    stored,
    merged,
    generation: highestGeneration(stored),
    streams: sorted,
    parallelism,
    parallelismSource: source,
    shards,
    subtasks,
  };
}

function chooseParallelism(
  ctx: CommandContext,
  options: ConsumerOptions,
  storedIndices: readonly number[],
): { parallelism: number; source: string } {
  if (options.parallelism !== undefined) return { parallelism: options.parallelism, source: '--parallelism' };
  if (ctx.consumer.parallelism !== undefined) {
    return {
      parallelism: ctx.consumer.parallelism,
      source: `${CONSUMER_SETTINGS.parallelism.key} in --properties`,
    };
  }
  if (storedIndices.length > 0) {
    return {
      parallelism: Math.max(...storedIndices) + 1,
      source: 'the stored subtask values; pass --parallelism if it changed',
    };
  }
  return { parallelism: CONSUMER_DEFAULTS.parallelism, source: 'the default' };
}

/** How a stored position reads in a table. */
export function describeCheckpoint(checkpoint: ShardCheckpoint | undefined): string {
  if (!checkpoint) return '-';
  switch (checkpoint.kind) {
    case 'shard-end':
      return 'SHARD_END';
    case 'pinned':
      // A reset to TRIM_HORIZON pins the epoch: every record arrived after it.
      return checkpoint.timestampMillis === 0
        ? 'TRIM_HORIZON'
        : `AT_TIMESTAMP ${new Date(checkpoint.timestampMillis).toISOString()}`;
    case 'sequence':
      return `after ${checkpoint.sequenceNumber}${
        checkpoint.subSequenceNumber !== undefined ? `:${checkpoint.subSequenceNumber}` : ''
      }`;
  }
}
