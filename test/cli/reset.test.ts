import { KinesisClient, PutRecordsCommand } from '@aws-sdk/client-kinesis';
import { shardKey } from '../../functions/core/checkpoints/checkpoint-store';
import { mergeCheckpoints } from '../../functions/core/checkpoints/merge';
import type { SsmCheckpointStore } from '../../functions/core/checkpoints/ssm-checkpoint-store';
import {
  Collector,
  createStream,
  runSubtasksUntil,
  ssmStore,
  testConsumer,
  uniquePath,
} from '../e2e/consumer-support';
import { nextMillisecond } from '../support/next-millisecond';
import { runCli, useLocalCli } from './cli-support';

const { aws, flags } = useLocalCli({ kinesis: true, ssm: true });
let streams = 0;
/** As the consumer tests: long enough for a claim to land on a loaded machine. */
const LEASE_SETTLE_MILLIS = '300';

const SHARD_0 = 'shardId-000000000000';
const SHARD_1 = 'shardId-000000000001';

interface Put {
  readonly data: string;
  readonly shardId: string;
  readonly sequenceNumber: string;
}

async function put(stream: string, data: readonly string[]): Promise<Put[]> {
  const kinesis = aws().clients.client('kinesis', KinesisClient);
  const result = await kinesis.send(
    new PutRecordsCommand({
      StreamName: stream,
      Records: data.map((d, i) => ({ Data: Buffer.from(d), PartitionKey: `key-${i}` })),
    }),
  );
  return (result.Records ?? []).map((r, i) => ({
    data: data[i] as string,
    shardId: r.ShardId as string,
    sequenceNumber: r.SequenceNumber as string,
  }));
}

const range = (prefix: string, from: number, to: number) =>
  Array.from({ length: to - from }, (_, i) => `${prefix}-${from + i}`);

/** A stream with `count` records put and read once by a consumer whose checkpoints live under `path`. */
async function consumedStream(count: number, shards = 2) {
  const stream = `reset-${++streams}`;
  await createStream(aws().clients.client('kinesis', KinesisClient), stream, shards);
  const records = await put(stream, range('r', 0, count));
  const path = uniquePath();
  const store = ssmStore(aws(), path);
  const collector = new Collector();
  await runSubtasksUntil(
    testConsumer({ aws: aws(), streams: [stream], collector, store }),
    collector,
    count,
    1,
  );
  return { stream, records, path, store };
}

/** Runs the consumer again until it has `count` distinct records, and returns what it delivered. */
async function nextRun(stream: string, store: SsmCheckpointStore, count: number): Promise<string[]> {
  const collector = new Collector();
  await runSubtasksUntil(
    testConsumer({ aws: aws(), streams: [stream], collector, store }),
    collector,
    count,
    1,
  );
  return collector.records.map((r) => r.data).sort();
}

function reset(path: string, ...args: string[]) {
  return runCli([
    ...flags(),
    'reset',
    '--consumer-prefix',
    path,
    '--lease-settle-millis',
    LEASE_SETTLE_MILLIS,
    ...args,
  ]);
}

const sorted = (values: readonly string[]) => [...values].sort();

describe('skc reset', () => {
  it('prints the plan on a dry run and writes nothing', async () => {
    const { path, store, records } = await consumedStream(10);
    const before = mergeCheckpoints(await store.loadAll());
    const parameterVersions = () => aws().ssm.parameter(`${path}/subtask-0`)?.versions.length;
    const versions = parameterVersions();

    const result = await reset(path, '--to', 'TRIM_HORIZON', '--dry-run');

    expect(result).toMatchObject({ code: 0, stderr: '' });
    const last = (shardId: string) => records.filter((r) => r.shardId === shardId).at(-1)?.sequenceNumber;
    expect(result.stdout).toContain('Reset of 2 shard(s): generation 0 -> 1');
    expect(result.stdout).toMatch(
      new RegExp(`│ ${SHARD_0} │ 0\\s+│ after ${last(SHARD_0)} │ TRIM_HORIZON │`),
    );
    expect(result.stdout).toMatch(
      new RegExp(`│ ${SHARD_1} │ 0\\s+│ after ${last(SHARD_1)} │ TRIM_HORIZON │`),
    );
    expect(result.stdout).toContain('Dry run: nothing was written.');
    expect(parameterVersions()).toBe(versions);
    expect(mergeCheckpoints(await store.loadAll())).toEqual(before);
  });

  it('replays every record after a reset to TRIM_HORIZON, under a new generation', async () => {
    const { stream, path, store, records } = await consumedStream(20);

    const result = await reset(path, '--to', 'TRIM_HORIZON', '--yes');

    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect(result.stdout).toContain('Reset 2 shard(s) under generation 1 (1 subtask value(s) written).');
    expect(sorted(await nextRun(stream, store, 20))).toEqual(sorted(records.map((r) => r.data)));
    const stored = await store.loadAll();
    expect(stored.every((v) => v.generation === 1)).toBe(true);
  });

  it('resumes right after the given sequence number of one shard and leaves the other shard where it was', async () => {
    const { stream, path, store, records } = await consumedStream(20);
    const shard0 = records.filter((r) => r.shardId === SHARD_0);
    const from = shard0[2] as Put;
    await put(stream, ['new-0']);

    const result = await reset(path, '--to-sequence', `${SHARD_0}=${from.sequenceNumber}`, '--yes');

    expect(result.code).toBe(0);
    const expected = [...shard0.slice(3).map((r) => r.data), 'new-0'];
    expect(sorted(await nextRun(stream, store, expected.length))).toEqual(sorted(expected));
  });

  it('skips everything before the reset with LATEST: the next run delivers only records put after it', async () => {
    const { stream, path, store } = await consumedStream(10);
    await put(stream, range('unread', 0, 5));

    const result = await reset(path, '--to', 'LATEST', '--yes', '--output', 'json');
    expect(result.code).toBe(0);
    const plan = JSON.parse(result.stdout) as {
      shards: { next: { kind: string; timestampMillis: number } }[];
    };
    const pinnedAt = plan.shards[0]?.next.timestampMillis ?? 0;
    expect(plan.shards.map((s) => s.next)).toEqual([
      { kind: 'pinned', timestampMillis: pinnedAt },
      { kind: 'pinned', timestampMillis: pinnedAt },
    ]);
    // Status measures the lag at the pinned time (an AT_TIMESTAMP iterator with nothing after it yet).
    const status = await runCli([...flags(), 'status', '--consumer-prefix', path]);
    expect(status.stdout).toContain('generation 1');
    expect(
      status.stdout.match(new RegExp(`AT_TIMESTAMP ${new Date(pinnedAt).toISOString()} │ caught up`, 'g')),
    ).toHaveLength(2);
    await nextMillisecond();
    const after = await put(stream, range('after', 0, 6));

    expect(sorted(await nextRun(stream, store, 6))).toEqual(sorted(after.map((r) => r.data)));
  });

  it('replays from a time with AT_TIMESTAMP, and only the shards named', async () => {
    const { stream, path, store } = await consumedStream(10);
    const at = await nextMillisecond();
    const later = await put(stream, range('later', 0, 8));
    const consumed = await nextRun(stream, store, 8);
    expect(sorted(consumed)).toEqual(sorted(later.map((r) => r.data)));

    const result = await reset(path, '--to', at.toISOString(), '--shards', '1', '--yes');

    expect(result.code).toBe(0);
    const replayed = later.filter((r) => r.shardId === SHARD_1).map((r) => r.data);
    expect(replayed.length).toBeGreaterThan(0);
    expect(sorted(await nextRun(stream, store, replayed.length))).toEqual(sorted(replayed));
  });

  it('wins over positions of an older generation written after it, whatever they say', async () => {
    const { stream, path, store, records } = await consumedStream(10);
    const before = await store.loadAll();
    await reset(path, '--to', 'TRIM_HORIZON', '--yes');
    // An invocation that loaded the checkpoints before the reset saves its old, further positions afterwards,
    // under a subtask index the reset did not know of (a parallelism the operator did not pass).
    await ssmStore(aws(), path).save(7, { ...(before[0] as (typeof before)[number]), writtenAt: Date.now() });

    const merged = mergeCheckpoints(await store.loadAll());
    expect(merged.get(shardKey(stream, SHARD_0))).toMatchObject({
      generation: 1,
      checkpoint: { kind: 'pinned', timestampMillis: 0 },
    });
    expect(sorted(await nextRun(stream, store, 10))).toEqual(sorted(records.map((r) => r.data)));
  });

  it('refuses while an invocation runs, and with --force takes its lease so it stops without writing', async () => {
    const { stream, path, store, records } = await consumedStream(10, 1);
    const collector = new Collector();
    const engine = testConsumer({ aws: aws(), streams: [stream], collector, store });
    const running = engine.run({ subtaskIndex: 0, parallelism: 1, deadline: Date.now() + 20_000 });
    await put(stream, ['while-running']);
    await collector.whenUnique(1);

    const refused = await reset(path, '--to', 'TRIM_HORIZON', '--yes');
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(
      /The consumer is running: subtask 0 is held by .* pass --force to take its lease/,
    );
    // The plan printed before the refusal says what reset does (writes nothing), not that it waits.
    expect(refused.stdout).toMatch(
      /Running: subtask 0 is held by .*; reset writes nothing while it runs: run reset again once it has ended, or pass --force\./,
    );
    expect(refused.stdout).not.toContain('waits');

    const forced = await reset(path, '--to', 'TRIM_HORIZON', '--yes', '--force');
    expect(forced.code).toBe(0);
    expect(forced.stdout).toMatch(/Running: subtask 0 is held by .*; its lease is taken/);
    // The running invocation notices at its next checkpoint write, which new records bring about.
    await put(stream, ['after-reset']);
    const summary = await running;
    expect(summary.stoppedBy).toBe('lease-lost');
    const all = [...records.map((r) => r.data), 'while-running', 'after-reset'];
    expect(sorted(await nextRun(stream, store, all.length))).toEqual(sorted(all));
  });

  it('asks on a terminal, writes nothing when the answer is no, and refuses without a terminal', async () => {
    const { path, store } = await consumedStream(4);
    const before = await store.loadAll();
    const resetFlags = [...flags(), 'reset', '--consumer-prefix', path, '--to', 'LATEST'];

    const declined = await runCli(resetFlags, { isTTY: true, stdin: 'n\n' });
    expect(declined.code).toBe(1);
    expect(declined.stderr).toContain('Reset 2 shard(s) of SSM parameters under');
    expect(declined.stderr).toContain('skc: Reset cancelled; nothing was written.');

    const unattended = await runCli(resetFlags, { isTTY: false });
    expect(unattended.code).toBe(2);
    expect(unattended.stderr).toContain(
      'Refusing to reset without confirmation: there is no terminal to ask on.',
    );
    expect(await store.loadAll()).toEqual(before);

    const agreed = await runCli([...resetFlags, '--lease-settle-millis', LEASE_SETTLE_MILLIS], {
      isTTY: true,
      stdin: 'yes\n',
    });
    expect(agreed.code).toBe(0);
    expect((await store.loadAll()).every((v) => v.generation === 1)).toBe(true);
  });

  it('names the option, the value and what is allowed for a bad position, and exits 2', async () => {
    const path = uniquePath();
    const cases: [string[], RegExp][] = [
      // The forms listed are exactly those --to takes: no sequence number (that is --to-sequence).
      [
        ['--to', 'yesterday'],
        /^skc: --to must be TRIM_HORIZON, LATEST, or an ISO 8601 time [^;]*\); got "yesterday"\.$/m,
      ],
      [['--to', '2024-02-30T00:00:00Z'], /--to "2024-02-30T00:00:00Z" is not a time that exists/],
      [['--to-sequence', '3=2024-05-01'], /--to-sequence 3 takes a sequence number .*; got "2024-05-01"/],
      [
        ['--to', '4959'],
        /--to 4959 is a sequence number, which belongs to one shard: use --to-sequence <shard>=4959/,
      ],
      [['--to', '2999-01-01T00:00:00Z'], /is in the future; Kinesis refuses a start time after now/],
      [[], /Give either --to <position> or --to-sequence/],
      [['--to-sequence', 'nonsense'], /--to-sequence must be <shard>=<sequence number>/],
    ];
    for (const [args, message] of cases) {
      const result = await reset(path, ...args);
      expect(result.code).toBe(2);
      expect(result.stderr).toMatch(message);
    }
  });

  it('refuses a sequence number that is not the shard’s before writing anything', async () => {
    const { path, store, records } = await consumedStream(6);
    const before = await store.loadAll();
    const ofShard1 = records.find((r) => r.shardId === SHARD_1) as Put;
    const result = await reset(path, '--to-sequence', `${SHARD_0}=${ofShard1.sequenceNumber}`, '--yes');
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(
      new RegExp(`Sequence number ${ofShard1.sequenceNumber} is not one of shard reset-\\d+/${SHARD_0}`),
    );
    expect(await store.loadAll()).toEqual(before);
  });
});
