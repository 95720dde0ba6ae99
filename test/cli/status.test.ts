import { KinesisClient, PutRecordsCommand } from '@aws-sdk/client-kinesis';
import {
  Collector,
  createStream,
  runSubtasksUntil,
  splitShard,
  ssmStore,
  testConsumer,
  uniquePath,
} from '../e2e/consumer-support';
import { runCli, useLocalCli } from './cli-support';

const { aws, flags } = useLocalCli({ kinesis: true, ssm: true });

interface StatusJson {
  generation: number;
  parallelism: number;
  streams: string[];
  shards: {
    stream: string;
    shardId: string;
    closed: boolean;
    parentShardIds: string[];
    childShardIds: string[];
    subtask: number;
    checkpoint: { kind: string; sequenceNumber?: string } | null;
    position: string;
    millisBehindLatest: number | null;
  }[];
  subtasks: { subtask: number; shards: number; lease: { live: boolean } | null; writtenAt: number | null }[];
}

/** Puts `count` records and returns, per shard, the sequence number of the last one it took. */
async function put(kinesis: KinesisClient, stream: string, count: number): Promise<Map<string, string>> {
  const last = new Map<string, string>();
  const result = await kinesis.send(
    new PutRecordsCommand({
      StreamName: stream,
      Records: Array.from({ length: count }, (_, i) => ({
        Data: Buffer.from(`r-${i}`),
        PartitionKey: `key-${i}`,
      })),
    }),
  );
  for (const entry of result.Records ?? []) last.set(entry.ShardId as string, entry.SequenceNumber as string);
  return last;
}

describe('skc status', () => {
  it('shows, after a consumer run, each shard’s checkpoint, the subtask that read it, its measured lag, and the released leases', async () => {
    const kinesis = aws().clients.client('kinesis', KinesisClient);
    const stream = 'status-orders';
    await createStream(kinesis, stream, 3);
    const lastPut = await put(kinesis, stream, 30);
    const path = uniquePath();
    const collector = new Collector();
    const engine = testConsumer({ aws: aws(), streams: [stream], collector, store: ssmStore(aws(), path) });
    const summaries = await runSubtasksUntil(engine, collector, 30, 2);
    const readBy = new Map(
      summaries.flatMap((s) => s.shards.map((shard) => [shard.shardId, s.subtaskIndex])),
    );

    const result = await runCli([...flags(), 'status', '--consumer-prefix', path, '--output', 'json']);

    expect(result).toMatchObject({ code: 0, stderr: '' });
    const status = JSON.parse(result.stdout) as StatusJson;
    expect(status).toMatchObject({ generation: 0, parallelism: 2, streams: [stream] });
    expect(status.shards).toHaveLength(3);
    for (const shard of status.shards) {
      expect(shard.checkpoint).toEqual({ kind: 'sequence', sequenceNumber: lastPut.get(shard.shardId) });
      expect(shard.position).toBe(`after ${lastPut.get(shard.shardId)}`);
      expect(shard.subtask).toBe(readBy.get(shard.shardId));
      expect(shard.millisBehindLatest).toBe(0);
    }
    expect(status.subtasks.map((s) => [s.subtask, s.lease?.live, s.writtenAt !== null])).toEqual([
      [0, false, true],
      [1, false, true],
    ]);
  });

  it('prints a table with parent and child shards after a split, the children without a checkpoint yet', async () => {
    const kinesis = aws().clients.client('kinesis', KinesisClient);
    const stream = 'status-split';
    await createStream(kinesis, stream, 1);
    const lastPut = await put(kinesis, stream, 5);
    const path = uniquePath();
    const collector = new Collector();
    const engine = testConsumer({ aws: aws(), streams: [stream], collector, store: ssmStore(aws(), path) });
    await runSubtasksUntil(engine, collector, 5, 1);
    await splitShard(kinesis, stream, 'shardId-000000000000');

    const result = await runCli([...flags(), 'status', '--consumer-prefix', path]);

    expect(result.code).toBe(0);
    const lines = result.stdout.split('\n');
    expect(lines[0]).toBe(
      `Consumer: SSM parameters under ${path} (region us-east-1 at ${aws().endpoints.ssm})`,
    );
    expect(lines[1]).toBe(
      `Streams: ${stream}; generation 0; parallelism 1 (from the stored subtask values; pass --parallelism if it changed)`,
    );
    const row = (shard: string) => lines.find((l) => l.startsWith(`│ ${stream} │ ${shard} `)) ?? '';
    expect(row('shardId-000000000000 (closed)')).toMatch(
      new RegExp(
        `│ -\\s+│ shardId-000000000001, shardId-000000000002 │ 0\\s+│ after ${lastPut.get('shardId-000000000000')} │`,
      ),
    );
    // The children's parent shows in their rows; neither has a checkpoint yet.
    for (const child of ['shardId-000000000001', 'shardId-000000000002']) {
      expect(row(child)).toMatch(
        new RegExp(`${child}\\s+│ shardId-000000000000 │ -\\s+│ 0\\s+│ -\\s+│ caught up`),
      );
    }
  });

  it('says a consumer without checkpoints and without --streams has nothing to show, and exits 1 (not found)', async () => {
    const result = await runCli([...flags(), 'status', '--consumer-prefix', uniquePath()]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(
      /No checkpoints are stored in SSM parameters under \/e2e\/consumer-\d+\/checkpoints .*name the consumer's streams with --streams/,
    );
  });

  it('names a missing stream and the region it looked in', async () => {
    const result = await runCli([
      ...flags(),
      'status',
      '--consumer-prefix',
      uniquePath(),
      '--streams',
      'no-such-stream',
    ]);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(
      `skc: Stream "no-such-stream" does not exist in region us-east-1 at ${aws().endpoints.kinesis}; check the stream name and --region.\n`,
    );
  });
});
