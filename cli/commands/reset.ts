import { streamTarget } from '../../functions/core/aws/stream-ref';
import { Command, Option } from 'commander';
import type {
  CheckpointValue,
  LeaseHolder,
  OperatorLease,
  ShardCheckpoint,
  ShardKey,
} from '../../functions/core/checkpoints/checkpoint-store';
import { compareGenerational, mergeCheckpoints } from '../../functions/core/checkpoints/merge';
import { describeError } from '../../functions/core/errors';
import {
  describeCheckpoint,
  loadConsumerView,
  operatorOwner,
  type ConsumerOptions,
  type ConsumerView,
  type ShardState,
} from '../checkpoints';
import { CONSUMER_DEFAULTS, CONSUMER_SETTINGS } from '../../functions/core/config/consumer-settings';
import { listOption, repeatOption, settingOption, withContext } from '../command';
import type { CommandContext } from '../context';
import { CliError, UsageError } from '../errors';
import { println, type CliIo } from '../io';
import { normalizeShardId, shardIterator } from '../kinesis';
import { confirm, renderTable, startProgress } from '../output';
import { looksLikeSequenceNumber, parsePosition, type Position } from '../positions';
import { addConsumerOptions } from './consumer-options';

interface ResetOptions extends ConsumerOptions {
  readonly to?: string;
  readonly toSequence?: readonly string[];
  readonly shards?: readonly string[];
  readonly dryRun?: boolean;
  readonly yes?: boolean;
  readonly force?: boolean;
  readonly output: 'table' | 'json';
}

/** How long the CLI's claim on the leases lasts if it dies before releasing them. */
const LEASE_MILLIS = 120_000;

export function resetCommand(io: CliIo): Command {
  const command = new Command('reset')
    .description(
      "Move a consumer's checkpoints to TRIM_HORIZON, LATEST, a time, or a sequence number per shard, to replay " +
        'or skip records. Writes under a new generation while holding every subtask lease; the consumer reads ' +
        'from the new positions at its next invocation.',
    )
    .option(
      '--to <position>',
      'TRIM_HORIZON, LATEST, or an ISO 8601 time with its zone (2024-05-01T10:00:00Z)',
    )
    .option(
      '--to-sequence <shard=sequence>',
      'a shard to resume after a sequence number (stream/shardId=<n>, or shardId=<n>[:<sub-sequence>]); repeatable',
      repeatOption,
    )
    .option(
      '--shards <ids>',
      'reset only these shards (shardId-000000000001, 1, or stream/shardId), comma-separated',
      listOption,
    )
    .option('--dry-run', 'print the plan and write nothing')
    .option('-y, --yes', 'do not ask for confirmation (required without a terminal)')
    .option(
      '--force',
      'take the leases of running invocations, which stop at their next checkpoint without writing',
    )
    .addOption(new Option('--output <format>', 'table or json').choices(['table', 'json']).default('table'))
    .addOption(
      new Option(
        '--lease-settle-millis <ms>',
        `the lease settle delay (${CONSUMER_SETTINGS.leaseSettleMillis.key}; default: from --properties, else ${CONSUMER_DEFAULTS.leaseSettleMillis})`,
      )
        .argParser(settingOption(CONSUMER_SETTINGS.leaseSettleMillis))
        .hideHelp(),
    );
  addConsumerOptions(command);
  return command.action(withContext<ResetOptions>(io, reset));
}

interface PlannedShard {
  readonly state: ShardState;
  readonly next: ShardCheckpoint;
}

interface SubtaskLeaseState {
  readonly subtask: number;
  readonly holder?: LeaseHolder;
  readonly live: boolean;
}

async function reset(ctx: CommandContext, options: ResetOptions): Promise<void> {
  const target = parseTarget(ctx, options);
  const view = await loadConsumerView(ctx, options);
  const plan = await planReset(ctx, view, target, options.shards);
  const generation = view.generation + 1;
  const owner = operatorOwner(ctx.random);
  const leases = await Promise.all(
    view.subtasks.map(async (subtask): Promise<SubtaskLeaseState & { lease: OperatorLease }> => {
      const lease = view.access.lease(subtask, owner);
      const holder = await lease.holder();
      const live = holder !== undefined && holder.expiresAt > ctx.clock.now();
      return { subtask, lease, ...(holder ? { holder } : {}), live };
    }),
  );
  const running = leases.filter((l) => l.live);
  printPlan(ctx, view, plan, generation, running, options);
  if (options.dryRun) {
    if (options.output === 'table') println(ctx.io.stdout, 'Dry run: nothing was written.');
    return;
  }
  if (running.length > 0 && !options.force) {
    throw new CliError(
      `The consumer is running: ${running.map(describeRunning).join('; ')}. Wait for the invocation to end and ` +
        'run reset again, or pass --force to take its lease: it then stops at its next checkpoint without writing.',
    );
  }
  if (!options.yes) {
    if (!ctx.io.isTTY) {
      throw new UsageError(
        'Refusing to reset without confirmation: there is no terminal to ask on. Check the plan (--dry-run), ' +
          'then pass --yes.',
      );
    }
    const agreed = await confirm(
      ctx.io,
      `Reset ${plan.length} shard(s) of ${view.access.description} to the positions above?`,
    );
    if (!agreed) throw new CliError('Reset cancelled; nothing was written.');
  }

  await holdingLeases(ctx, leases, options.force ?? false, async () => {
    const values = valuesToWrite(view, plan, generation, ctx.clock.now());
    const progress = startProgress(ctx.io, 'Writing checkpoints', values.size, 5);
    const bySubtask = new Map(leases.map((l) => [l.subtask, l.lease]));
    for (const [subtask, value] of values) {
      // With the lease, a store that fences (DynamoDB) refuses the write if someone took the lease since.
      await view.access.store.save(subtask, value, bySubtask.get(subtask));
      progress.increment();
    }
    progress.stop();
    await verify(view, plan, generation);
    println(
      // Keeps stdout one JSON document with --output json.
      options.output === 'json' ? ctx.io.stderr : ctx.io.stdout,
      `Reset ${plan.length} shard(s) under generation ${generation} (${values.size} subtask value(s) written). ` +
        'The consumer reads from the new positions at its next invocation.',
    );
  });
}

type Target =
  | { readonly kind: 'all'; readonly position: Exclude<Position, { type: 'SEQUENCE' }> }
  | { readonly kind: 'sequences'; readonly entries: readonly { ref: string; position: Position }[] };

function parseTarget(ctx: CommandContext, options: ResetOptions): Target {
  const sequences = options.toSequence ?? [];
  if ((options.to === undefined) === (sequences.length === 0)) {
    throw new UsageError(
      'Give either --to <position> or --to-sequence <shard>=<sequence number> (repeatable).',
    );
  }
  if (options.to !== undefined) {
    if (looksLikeSequenceNumber(options.to)) {
      throw new UsageError(
        `--to ${options.to} is a sequence number, which belongs to one shard: use --to-sequence <shard>=${options.to.trim()}.`,
      );
    }
    const position = parsePosition(options.to, '--to');
    if (position.type === 'SEQUENCE') throw new Error('unreachable: --to takes no sequence number');
    if (position.type === 'AT_TIMESTAMP' && position.timestampMillis > ctx.clock.now()) {
      throw new UsageError(
        `--to ${options.to} is in the future; Kinesis refuses a start time after now. Use LATEST to skip to the tip.`,
      );
    }
    return { kind: 'all', position };
  }
  if (options.shards !== undefined) {
    throw new UsageError('--shards does not go with --to-sequence: each --to-sequence names its shard.');
  }
  return {
    kind: 'sequences',
    entries: sequences.map((entry) => {
      const eq = entry.indexOf('=');
      if (eq <= 0) {
        throw new UsageError(
          `--to-sequence must be <shard>=<sequence number>[:<sub-sequence number>]; got ${JSON.stringify(entry)}.`,
        );
      }
      const value = entry.slice(eq + 1);
      if (!looksLikeSequenceNumber(value)) {
        throw new UsageError(
          `--to-sequence ${entry.slice(0, eq)} takes a sequence number (with :<sub-sequence number> inside an ` +
            `aggregated record); got ${JSON.stringify(value)}. For a position of every shard, use --to.`,
        );
      }
      return {
        ref: entry.slice(0, eq),
        position: parsePosition(value, `--to-sequence ${entry.slice(0, eq)}`, 'sub-sequence'),
      };
    }),
  };
}

/** Finds the shard a reference names: `stream/shardId`, or a shard id (or number) of the only stream. */
function findShard(view: ConsumerView, ref: string): ShardState {
  // The last slash: a stream given by ARN has its own (`arn:...:stream/orders/shardId-...`).
  const slash = ref.lastIndexOf('/');
  let stream: string;
  if (slash >= 0) stream = ref.slice(0, slash);
  else if (view.streams.length === 1) stream = view.streams[0] as string;
  else {
    throw new UsageError(
      `Shard "${ref}" could be in any of ${view.streams.join(', ')}: name it as <stream>/<shard id>.`,
    );
  }
  if (!view.streams.includes(stream)) {
    throw new UsageError(
      `Stream "${stream}" is not one of the consumer's streams (${view.streams.join(', ')}).`,
    );
  }
  const id = normalizeShardId(slash >= 0 ? ref.slice(slash + 1) : ref);
  const state = view.shards.find((s) => s.shard.streamName === stream && s.shard.shardId === id);
  if (!state) {
    const ids = view.shards.filter((s) => s.shard.streamName === stream).map((s) => s.shard.shardId);
    throw new UsageError(
      `Shard "${ref}" is not a shard of stream "${stream}"; its shards are ${ids.join(', ')}.`,
    );
  }
  return state;
}

async function planReset(
  ctx: CommandContext,
  view: ConsumerView,
  target: Target,
  shardRefs: readonly string[] | undefined,
): Promise<PlannedShard[]> {
  if (target.kind === 'sequences') {
    const planned: PlannedShard[] = [];
    for (const { ref, position } of target.entries) {
      const state = findShard(view, ref);
      if (planned.some((p) => p.state.key === state.key)) {
        throw new UsageError(`--to-sequence names ${state.key} twice; give one position per shard.`);
      }
      if (position.type !== 'SEQUENCE') throw new Error('unreachable: sequence positions only');
      await checkSequenceNumber(ctx, state, position.sequenceNumber);
      planned.push({
        state,
        next: {
          kind: 'sequence',
          sequenceNumber: position.sequenceNumber,
          ...(position.subSequenceNumber !== undefined
            ? { subSequenceNumber: position.subSequenceNumber }
            : {}),
        },
      });
    }
    return planned;
  }
  const states = shardRefs?.length ? dedupe(shardRefs.map((ref) => findShard(view, ref))) : [...view.shards];
  const now = ctx.clock.now();
  return states.map((state) => ({ state, next: checkpointFor(target.position, state, now) }));
}

function dedupe(states: ShardState[]): ShardState[] {
  return [...new Map(states.map((s) => [s.key, s])).values()];
}

/**
 * The checkpoint that makes the consumer start at `position`. The checkpoint format has a start time
 * (`pinned`) and "delivered through" positions, so: TRIM_HORIZON is a start time of the epoch (Kinesis
 * answers a time before the oldest record with the oldest record); LATEST is the time of the reset, and a
 * closed shard counts as read to its end (as on the consumer's first start); a time is that time.
 */
export function checkpointFor(
  position: Exclude<Position, { type: 'SEQUENCE' }>,
  state: Pick<ShardState, 'shard'>,
  now: number,
): ShardCheckpoint {
  switch (position.type) {
    case 'TRIM_HORIZON':
      return { kind: 'pinned', timestampMillis: 0 };
    case 'LATEST':
      return state.shard.endingSequenceNumber
        ? { kind: 'shard-end' }
        : { kind: 'pinned', timestampMillis: now };
    case 'AT_TIMESTAMP':
      return { kind: 'pinned', timestampMillis: position.timestampMillis };
  }
}

/** Asks Kinesis whether the sequence number is one of the shard's, so a typo fails before anything is written. */
async function checkSequenceNumber(
  ctx: CommandContext,
  state: ShardState,
  sequenceNumber: string,
): Promise<void> {
  try {
    await shardIterator(ctx, {
      ...streamTarget(state.shard.streamName),
      ShardId: state.shard.shardId,
      ShardIteratorType: 'AT_SEQUENCE_NUMBER',
      StartingSequenceNumber: sequenceNumber,
    });
  } catch (error) {
    if ((error as Error).name === 'InvalidArgumentException') {
      throw new UsageError(
        `Sequence number ${sequenceNumber} is not one of shard ${state.key} (${(error as Error).message}); take it ` +
          'from `skc status` or `skc tail --format json`.',
      );
    }
    throw error;
  }
}

/**
 * Every subtask's new value under the new generation: the reset shards at their new positions and every
 * other listed shard at its current one, each in its owner's value. A higher generation beats any
 * position of a lower one, so stale values of other subtasks (or a running invocation that writes its
 * own value after this) cannot undo the reset; carrying the untouched shards keeps their progress.
 */
function valuesToWrite(
  view: ConsumerView,
  plan: readonly PlannedShard[],
  generation: number,
  now: number,
): Map<number, CheckpointValue> {
  const shards = new Map<number, Map<ShardKey, ShardCheckpoint>>(view.subtasks.map((s) => [s, new Map()]));
  const reset = new Map(plan.map((p) => [p.state.key, p.next]));
  for (const state of view.shards) {
    const checkpoint = reset.get(state.key) ?? state.checkpoint?.checkpoint;
    if (checkpoint) shards.get(state.owner)?.set(state.key, checkpoint);
  }
  return new Map(
    [...shards].map(([subtask, entries]) => [subtask, { generation, writtenAt: now, shards: entries }]),
  );
}

async function verify(view: ConsumerView, plan: readonly PlannedShard[], generation: number): Promise<void> {
  const merged = mergeCheckpoints(await view.access.store.loadAll());
  const lost = plan.filter((p) => {
    const now = merged.get(p.state.key);
    return !now || compareGenerational(now, { generation, checkpoint: p.next }) !== 0;
  });
  if (lost.length > 0) {
    throw new CliError(
      `The reset of ${lost.map((p) => p.state.key).join(', ')} was overwritten while it was written (another ` +
        'reset, or an invocation that wrote just as its lease was taken). Check `skc status` and run reset again.',
    );
  }
}

/** Holds every subtask's lease while `work` runs, so no invocation reads or writes meanwhile. */
async function holdingLeases(
  ctx: CommandContext,
  leases: readonly (SubtaskLeaseState & { lease: OperatorLease })[],
  force: boolean,
  work: () => Promise<void>,
): Promise<void> {
  const expiresAt = ctx.clock.now() + LEASE_MILLIS;
  const claims = await Promise.allSettled(
    leases.map((l) => (force && l.live ? l.lease.takeOver(expiresAt) : l.lease.acquire(expiresAt))),
  );
  try {
    const failed = claims.flatMap((c, i) =>
      c.status === 'rejected' ? [{ l: leases[i], reason: c.reason }] : [],
    );
    if (failed.length > 0) {
      throw new CliError(
        `Could not take the lease of subtask(s) ${failed.map((f) => f.l?.subtask).join(', ')}: ` +
          `${describeError(failed[0]?.reason)} Nothing was written; run reset again${force ? '' : ' (--force takes leases from running invocations)'}.`,
      );
    }
    await work();
  } finally {
    await Promise.all(
      leases.map(async (l, i) => {
        if (claims[i]?.status !== 'fulfilled') return;
        try {
          await l.lease.release();
        } catch (error) {
          println(
            ctx.io.stderr,
            `Could not release the lease of subtask ${l.subtask} (${describeError(error)}); it expires on its own ` +
              `at ${new Date(expiresAt).toISOString()}.`,
          );
        }
      }),
    );
  }
}

function describeRunning(l: SubtaskLeaseState): string {
  return `subtask ${l.subtask} is held by ${l.holder?.owner ?? '?'} until ${new Date(l.holder?.expiresAt ?? 0).toISOString()}`;
}

function printPlan(
  ctx: CommandContext,
  view: ConsumerView,
  plan: readonly PlannedShard[],
  generation: number,
  running: readonly SubtaskLeaseState[],
  options: ResetOptions,
): void {
  const out = ctx.io.stdout;
  if (options.output === 'json') {
    println(
      out,
      JSON.stringify(
        {
          consumer: view.access.description,
          generation: { current: view.generation, next: generation },
          dryRun: options.dryRun ?? false,
          shards: plan.map((p) => ({
            stream: p.state.shard.streamName,
            shardId: p.state.shard.shardId,
            subtask: p.state.owner,
            current: p.state.checkpoint?.checkpoint ?? null,
            next: p.next,
          })),
          running: running.map((r) => ({
            subtask: r.subtask,
            owner: r.holder?.owner,
            expiresAt: r.holder?.expiresAt,
          })),
        },
        null,
        2,
      ),
    );
    return;
  }
  println(out, `Consumer: ${view.access.description}`);
  println(out, `Reset of ${plan.length} shard(s): generation ${view.generation} -> ${generation}`);
  println(
    out,
    renderTable(
      ['Stream', 'Shard', 'Subtask', 'Current', 'New'],
      plan.map((p) => [
        p.state.shard.streamName,
        p.state.shard.shardId,
        String(p.state.owner),
        describeCheckpoint(p.state.checkpoint?.checkpoint),
        describeCheckpoint(p.next),
      ]),
    ),
  );
  for (const r of running) {
    println(
      out,
      `Running: ${describeRunning(r)}; ${options.force ? 'its lease is taken and it stops at its next checkpoint without writing' : 'reset writes nothing while it runs: run reset again once it has ended, or pass --force'}.`,
    );
  }
}
