import { checkpointStreamKey, streamArnField, streamTarget } from '../../functions/core/aws/stream-ref';
import { GetRecordsCommand, type GetShardIteratorInput } from '@aws-sdk/client-kinesis';
import { Command, Option } from 'commander';
import type { ShardCheckpoint } from '../../functions/core/checkpoints/checkpoint-store';
import { describeError } from '../../functions/core/errors';
import {
  describeCheckpoint,
  loadConsumerView,
  type ConsumerOptions,
  type ConsumerView,
  type ShardState,
} from '../checkpoints';
import { integerOption, mapLimit, withContext } from '../command';
import { UsageError } from '../errors';
import { watchLag, type LagReading } from '../watch';
import type { CommandContext } from '../context';
import { println, type CliIo } from '../io';
import { shardIterator } from '../kinesis';
import { formatLag, renderTable, startProgress } from '../output';
import { addConsumerOptions } from './consumer-options';

interface StatusOptions extends ConsumerOptions {
  readonly lag: boolean;
  readonly output: 'table' | 'json';
  /** Seconds between refreshes of `--watch`. */
  readonly watch?: number;
}

/** Refreshes of `status --watch` when it is given no interval. */
const DEFAULT_WATCH_SECONDS = 5;

/** Lag probes in flight at once: each is a GetShardIterator and a GetRecords on its own shard. */
const PROBE_CONCURRENCY = 8;

export function statusCommand(io: CliIo): Command {
  const command = new Command('status')
    .description(
      "Show a consumer's checkpoints per shard: position, lag (MillisBehindLatest at that position), the owning subtask, parent and child shards, and each subtask's lease.",
    )
    .option('--no-lag', 'skip the lag probes (one GetShardIterator and GetRecords per shard)')
    .addOption(new Option('--output <format>', 'table or json').choices(['table', 'json']).default('table'))
    .addOption(
      new Option(
        '--watch [seconds]',
        `measure the lag per shard again every interval (default ${DEFAULT_WATCH_SECONDS} s), redrawn in place with a sparkline of its recent readings, until Ctrl-C`,
      )
        .argParser(integerOption(1, 3600))
        .preset(DEFAULT_WATCH_SECONDS),
    );
  addConsumerOptions(command);
  return command.action(withContext<StatusOptions>(io, status));
}

interface ShardReport {
  readonly state: ShardState;
  readonly millisBehindLatest?: number;
  readonly lagError?: string;
}

async function status(ctx: CommandContext, options: StatusOptions): Promise<void> {
  if (options.watch !== undefined) {
    if (!options.lag || options.output === 'json') {
      throw new UsageError('--watch draws the lag: it does not go with --no-lag or --output json.');
    }
    const stdout = ctx.io.stdout as NodeJS.WritableStream & { isTTY?: boolean };
    await watchLag({
      measure: async () => {
        // The checkpoints move as the consumer runs: read them again at each refresh.
        const view = await loadConsumerView(ctx, options);
        const started = new Set([...view.merged.keys()].map((key) => key.slice(0, key.indexOf('/'))));
        return mapLimit(view.shards, PROBE_CONCURRENCY, async (state): Promise<LagReading> => {
          const streamStarted = started.has(checkpointStreamKey(state.shard.streamName));
          try {
            const lag = await probeLag(ctx, state, streamStarted);
            if (lag !== undefined) return { key: state.key, millisBehindLatest: lag };
            const checkpoint = state.checkpoint?.checkpoint;
            return { key: state.key, note: streamStarted ? describeCheckpoint(checkpoint) : 'not started' };
          } catch (error) {
            return { key: state.key, note: `unknown (${describeError(error)})` };
          }
        });
      },
      intervalMillis: options.watch * 1000,
      clock: ctx.clock,
      ...(ctx.io.signal ? { signal: ctx.io.signal } : {}),
      out: stdout,
      inPlace: ctx.io.isTTY && stdout.isTTY === true,
    });
    return;
  }
  const view = await loadConsumerView(ctx, options);
  const startedStreams = new Set([...view.merged.keys()].map((key) => key.slice(0, key.indexOf('/'))));
  const progress = startProgress(ctx.io, 'Measuring lag', options.lag ? view.shards.length : 0, 20);
  const reports = await mapLimit(view.shards, PROBE_CONCURRENCY, async (state): Promise<ShardReport> => {
    if (!options.lag) return { state };
    try {
      const lag = await probeLag(ctx, state, startedStreams.has(checkpointStreamKey(state.shard.streamName)));
      return { state, ...(lag !== undefined ? { millisBehindLatest: lag } : {}) };
    } catch (error) {
      return { state, lagError: describeError(error) };
    } finally {
      progress.increment();
    }
  });
  progress.stop();
  const subtasks = await describeSubtasks(ctx, view);
  if (options.output === 'json') {
    println(ctx.io.stdout, JSON.stringify(toJson(view, reports, subtasks), null, 2));
    return;
  }
  const out = ctx.io.stdout;
  println(out, `Consumer: ${view.access.description}`);
  println(
    out,
    `Streams: ${view.streams.join(', ')}; generation ${view.generation}; parallelism ${view.parallelism} ` +
      `(from ${view.parallelismSource})`,
  );
  println(
    out,
    renderTable(
      ['Stream', 'Shard', 'Parents', 'Children', 'Subtask', 'Checkpoint', 'Lag'],
      reports.map(({ state, millisBehindLatest, lagError }) => [
        state.shard.streamName,
        state.shard.shardId + (state.shard.endingSequenceNumber ? ' (closed)' : ''),
        parentsOf(state).join(', ') || '-',
        state.children.join(', ') || '-',
        ownerText(state),
        startedStreams.has(state.shard.streamName)
          ? describeCheckpoint(state.checkpoint?.checkpoint)
          : 'not started',
        lagError ? 'unknown' : options.lag ? formatLag(millisBehindLatest) : '-',
      ]),
    ),
  );
  println(
    out,
    renderTable(
      ['Subtask', 'Shards', 'Lease', 'Value written'],
      subtasks.map((s) => [String(s.subtask), String(s.shards), s.leaseText, s.writtenText]),
    ),
  );
  for (const { state, lagError } of reports) {
    if (lagError) println(ctx.io.stderr, `Lag of ${state.key} unknown: ${lagError}`);
  }
}

/**
 * MillisBehindLatest at the stored position, from one GetShardIterator and one GetRecords of Limit 1.
 * A shard without a position starts at TRIM_HORIZON once its parents are read (if the consumer has
 * started on its stream); a shard read to its end has no lag.
 */
async function probeLag(
  ctx: CommandContext,
  state: ShardState,
  streamStarted: boolean,
): Promise<number | undefined> {
  if (!streamStarted) return undefined;
  const start = iteratorStart(state.checkpoint?.checkpoint);
  if (!start) return undefined;
  const iterator = await shardIterator(ctx, {
    ...streamTarget(state.shard.streamName),
    ShardId: state.shard.shardId,
    ...start,
  });
  if (!iterator) return undefined;
  const page = await ctx
    .kinesis()
    .send(
      new GetRecordsCommand({ ...streamArnField(state.shard.streamName), ShardIterator: iterator, Limit: 1 }),
    );
  return page.MillisBehindLatest;
}

function iteratorStart(
  checkpoint: ShardCheckpoint | undefined,
): Pick<GetShardIteratorInput, 'ShardIteratorType' | 'StartingSequenceNumber' | 'Timestamp'> | undefined {
  if (!checkpoint) return { ShardIteratorType: 'TRIM_HORIZON' };
  switch (checkpoint.kind) {
    case 'shard-end':
      return undefined;
    case 'pinned':
      return checkpoint.timestampMillis === 0
        ? { ShardIteratorType: 'TRIM_HORIZON' }
        : { ShardIteratorType: 'AT_TIMESTAMP', Timestamp: new Date(checkpoint.timestampMillis) };
    case 'sequence':
      return {
        ShardIteratorType:
          checkpoint.subSequenceNumber === undefined ? 'AFTER_SEQUENCE_NUMBER' : 'AT_SEQUENCE_NUMBER',
        StartingSequenceNumber: checkpoint.sequenceNumber,
      };
  }
}

function parentsOf(state: ShardState): string[] {
  return [state.shard.parentShardId, state.shard.adjacentParentShardId].filter((p): p is string =>
    Boolean(p),
  );
}

function ownerText(state: ShardState): string {
  const storedBy = state.checkpoint?.subtaskIndex;
  return storedBy !== undefined && storedBy !== state.owner
    ? `${state.owner} (stored by ${storedBy})`
    : String(state.owner);
}

interface SubtaskReport {
  readonly subtask: number;
  readonly shards: number;
  readonly lease?: { owner: string; expiresAt: number; live: boolean };
  readonly leaseText: string;
  readonly writtenAt?: number;
  readonly generation?: number;
  readonly writtenText: string;
}

async function describeSubtasks(ctx: CommandContext, view: ConsumerView): Promise<SubtaskReport[]> {
  const now = ctx.clock.now();
  return mapLimit(view.subtasks, PROBE_CONCURRENCY, async (subtask) => {
    const holder = await view.access.lease(subtask, 'skc-cli:status').holder();
    const live = holder !== undefined && holder.expiresAt > now;
    const values = view.stored.filter((v) => v.subtaskIndex === subtask);
    const writtenAt = values.length ? Math.max(...values.map((v) => v.writtenAt)) : undefined;
    const generation = values.length ? Math.max(...values.map((v) => v.generation)) : undefined;
    const superseded = generation !== undefined && generation < view.generation;
    return {
      subtask,
      shards: view.shards.filter((s) => s.owner === subtask).length,
      ...(holder ? { lease: { ...holder, live } } : {}),
      leaseText: !holder
        ? 'never taken'
        : live
          ? `held by ${holder.owner} until ${new Date(holder.expiresAt).toISOString()}`
          : 'free',
      ...(writtenAt !== undefined ? { writtenAt, generation } : {}),
      writtenText:
        writtenAt === undefined
          ? subtask < view.parallelism
            ? 'nothing yet'
            : '-'
          : `${new Date(writtenAt).toISOString()}${superseded ? ` (generation ${generation}, superseded)` : ''}` +
            (subtask >= view.parallelism ? ' (beyond the parallelism)' : ''),
    };
  });
}

function toJson(view: ConsumerView, reports: readonly ShardReport[], subtasks: readonly SubtaskReport[]) {
  return {
    consumer: view.access.description,
    generation: view.generation,
    parallelism: view.parallelism,
    parallelismSource: view.parallelismSource,
    streams: view.streams,
    shards: reports.map(({ state, millisBehindLatest, lagError }) => ({
      stream: state.shard.streamName,
      shardId: state.shard.shardId,
      closed: state.shard.endingSequenceNumber !== undefined,
      parentShardIds: parentsOf(state),
      childShardIds: state.children,
      subtask: state.owner,
      storedBy: state.checkpoint?.subtaskIndex ?? null,
      checkpoint: state.checkpoint?.checkpoint ?? null,
      position: describeCheckpoint(state.checkpoint?.checkpoint),
      millisBehindLatest: millisBehindLatest ?? null,
      ...(lagError ? { lagError } : {}),
    })),
    subtasks: subtasks.map(({ subtask, shards, lease, writtenAt, generation }) => ({
      subtask,
      shards,
      lease: lease ?? null,
      writtenAt: writtenAt ?? null,
      generation: generation ?? null,
    })),
  };
}
