import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { KinesisClient, PutRecordsCommand } from '@aws-sdk/client-kinesis';
import { shardKey } from '../../functions/core/checkpoints/checkpoint-store';
import { DynamoDbCheckpointStore } from '../../functions/core/checkpoints/dynamodb-checkpoint-store';
import { mergeCheckpoints } from '../../functions/core/checkpoints/merge';
import { LeaseLostError } from '../../functions/core/errors';
import { seededRandom, systemClock } from '../../functions/core/time/clock';
import { Collector, createStream, runSubtasksUntil, testConsumer } from '../e2e/consumer-support';
import { runCli, useLocalCli } from './cli-support';
import { createKeyedTable } from '../../local/dynamodb/tables';

// status and reset on a consumer whose checkpoints and leases live in a DynamoDB table (dynalite).
const { aws, flags } = useLocalCli({ kinesis: true, dynamodb: true, maxAttempts: { dynamodb: 1 } });
let streams = 0;
let tables = 0;

async function createTable(): Promise<string> {
  const name = `cli-checkpoints-${++tables}`;
  await createKeyedTable(aws().clients.client('dynamodb', DynamoDBClient), name);
  return name;
}

function dynamoStore(tableName: string, consumerName: string): DynamoDbCheckpointStore {
  return new DynamoDbCheckpointStore({
    dynamodb: aws().clients.client('dynamodb', DynamoDBClient),
    tableName,
    consumerName,
    clock: systemClock,
    random: seededRandom(3),
  });
}

async function put(stream: string, data: readonly string[]): Promise<Map<string, string>> {
  const result = await aws()
    .clients.client('kinesis', KinesisClient)
    .send(
      new PutRecordsCommand({
        StreamName: stream,
        Records: data.map((d, i) => ({ Data: Buffer.from(d), PartitionKey: `key-${i}` })),
      }),
    );
  const last = new Map<string, string>();
  for (const entry of result.Records ?? []) last.set(entry.ShardId as string, entry.SequenceNumber as string);
  return last;
}

const range = (prefix: string, count: number) => Array.from({ length: count }, (_, i) => `${prefix}-${i}`);
const sorted = (values: readonly string[]) => [...values].sort();

/** A stream read once to its end by consumer `orders-app`, whose checkpoints live in a new table. */
async function consumed(count: number, shards = 2) {
  const stream = `ddb-cli-${++streams}`;
  await createStream(aws().clients.client('kinesis', KinesisClient), stream, shards);
  const data = range('r', count);
  const lastPut = await put(stream, data);
  const table = await createTable();
  const store = dynamoStore(table, 'orders-app');
  await read(stream, store, count);
  return { stream, table, store, data, lastPut };
}

/** Runs subtask 0 until it has `count` distinct records; returns what it delivered. */
async function read(stream: string, store: DynamoDbCheckpointStore, count: number): Promise<string[]> {
  const collector = new Collector();
  await runSubtasksUntil(
    testConsumer({
      aws: aws(),
      streams: [stream],
      collector,
      store,
      lease: (i, owner) => store.lease(i, owner),
    }),
    collector,
    count,
    1,
  );
  return collector.records.map((r) => r.data);
}

const tableFlags = (table: string) => ['--checkpoint-table', table, '--consumer', 'orders-app'];

describe('skc status with a DynamoDB checkpoint table', () => {
  it('shows each shard’s checkpoint from the table and the released lease of the subtask', async () => {
    const { stream, table, lastPut } = await consumed(12);

    const result = await runCli([...flags(), 'status', ...tableFlags(table), '--output', 'json']);

    expect(result).toMatchObject({ code: 0, stderr: '' });
    const status = JSON.parse(result.stdout) as {
      generation: number;
      streams: string[];
      shards: { shardId: string; position: string }[];
      subtasks: { subtask: number; lease: { owner: string; live: boolean } | null }[];
    };
    expect(status).toMatchObject({ generation: 0, streams: [stream] });
    expect(status.shards.map((s) => [s.shardId, s.position])).toEqual(
      [...lastPut].sort().map(([shardId, sequence]) => [shardId, `after ${sequence}`]),
    );
    expect(status.subtasks).toEqual([
      expect.objectContaining({ subtask: 0, lease: expect.objectContaining({ live: false }) }),
    ]);

    const text = await runCli([...flags(), 'status', ...tableFlags(table)]);
    expect(text.stdout.split('\n')[0]).toBe(
      `Consumer: DynamoDB table ${table}, consumer orders-app (region us-east-1 at ${aws().endpoints.dynamodb})`,
    );
  });

  it('sees only the named consumer’s items in a shared table', async () => {
    const { table } = await consumed(4);
    const result = await runCli([...flags(), 'status', '--checkpoint-table', table, '--consumer', 'other']);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`No checkpoints are stored in DynamoDB table ${table}, consumer other`);
  });

  it('asks for the consumer name, and refuses SSM options, with a table', async () => {
    const unnamed = await runCli([...flags(), 'status', '--checkpoint-table', 'checkpoints']);
    expect(unnamed.code).toBe(2);
    expect(unnamed.stderr).toContain('name this one with --consumer <name> (its consumer.name)');
    const mixed = await runCli([
      ...flags(),
      'status',
      ...tableFlags('checkpoints'),
      '--consumer-prefix',
      '/apps/orders',
    ]);
    expect(mixed.code).toBe(2);
    expect(mixed.stderr).toContain('does not go with --consumer-prefix or --ssm-tier');
  });
});

describe('skc reset with a DynamoDB checkpoint table', () => {
  it('replays every record after a reset to TRIM_HORIZON, under a new generation', async () => {
    const { stream, table, store, data } = await consumed(16);

    const result = await runCli([...flags(), 'reset', ...tableFlags(table), '--to', 'TRIM_HORIZON', '--yes']);

    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect(result.stdout).toContain('Reset 2 shard(s) under generation 1 (1 subtask value(s) written).');
    expect((await store.loadAll()).every((v) => v.generation === 1)).toBe(true);
    expect(sorted(await read(stream, store, data.length))).toEqual(sorted(data));
  });

  it('takes a live lease with --force, and the fencing token then refuses the old holder’s write', async () => {
    const { stream, table, store, data } = await consumed(8, 1);
    const before = await store.loadAll();
    // A stale invocation: it holds the lease (token n) and still means to write its old positions.
    const stale = store.lease(0, 'stale-invocation');
    await stale.acquire(Date.now() + 60_000);

    const refused = await runCli([
      ...flags(),
      'reset',
      ...tableFlags(table),
      '--to',
      'TRIM_HORIZON',
      '--yes',
    ]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/The consumer is running: subtask 0 is held by stale-invocation/);

    const forced = await runCli([
      ...flags(),
      'reset',
      ...tableFlags(table),
      '--to',
      'TRIM_HORIZON',
      '--yes',
      '--force',
    ]);
    expect(forced.code).toBe(0);

    // The stale holder still believes in its token; the store refuses it, so the reset stands.
    await expect(
      store.save(0, { ...(before[0] as (typeof before)[number]), writtenAt: Date.now() }, stale),
    ).rejects.toBeInstanceOf(LeaseLostError);
    expect(
      mergeCheckpoints(await store.loadAll()).get(shardKey(stream, 'shardId-000000000000')),
    ).toMatchObject({ generation: 1, checkpoint: { kind: 'pinned', timestampMillis: 0 } });
    expect(sorted(await read(stream, store, data.length))).toEqual(sorted(data));
  });
});
