/**
 * Against kinesalite over the real SDK v3 client: the shard map predicts where Kinesis puts records,
 * and aggregated records aimed with explicitHashKeyFor land on their shard and read back whole.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  CreateStreamCommand,
  DescribeStreamSummaryCommand,
  GetRecordsCommand,
  GetShardIteratorCommand,
  KinesisClient,
  ListShardsCommand,
  PutRecordsCommand,
  SplitShardCommand,
  type Shard,
} from '@aws-sdk/client-kinesis';
import { AwsClientFactory } from '../../../functions/core/aws/clients';
import { ShardMap, aggregate, deaggregate } from '../../../functions/core/record-format';

// kinesalite ships no types; only its factory is used.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const kinesalite = require('kinesalite') as (options: Record<string, unknown>) => Server;

const STREAM = 'record-format';
let server: Server;
let kinesis: KinesisClient;

beforeAll(async () => {
  server = kinesalite({ createStreamMs: 0, deleteStreamMs: 0, updateStreamMs: 0, shardLimit: 100 });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const factory = new AwsClientFactory({
    region: 'us-east-1',
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    credentials: { provider: 'BASIC', accessKeyId: 'local', secretAccessKey: 'local' },
  });
  kinesis = factory.client('kinesis', KinesisClient);
  await kinesis.send(new CreateStreamCommand({ StreamName: STREAM, ShardCount: 3 }));
  await untilActive();
  // Split the middle shard so the listing holds a closed parent and two children.
  const middle = (await listShards())[1]!;
  const start = BigInt(middle.HashKeyRange!.StartingHashKey!);
  const end = BigInt(middle.HashKeyRange!.EndingHashKey!);
  await kinesis.send(
    new SplitShardCommand({
      StreamName: STREAM,
      ShardToSplit: middle.ShardId,
      NewStartingHashKey: ((start + end) / 2n + 12345n).toString(),
    }),
  );
  await untilActive();
});

/** Polls the stream's status (kinesalite applies a split on a timer) until it is ACTIVE again. */
async function untilActive(): Promise<void> {
  for (let attempt = 0; attempt < 1000; attempt++) {
    const summary = await kinesis.send(new DescribeStreamSummaryCommand({ StreamName: STREAM }));
    if (summary.StreamDescriptionSummary?.StreamStatus === 'ACTIVE') return;
  }
  throw new Error(`Stream ${STREAM} did not become ACTIVE.`);
}

afterAll(async () => {
  kinesis?.destroy();
  await new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve())));
});

async function listShards(): Promise<Shard[]> {
  return (await kinesis.send(new ListShardsCommand({ StreamName: STREAM }))).Shards ?? [];
}

describe('on kinesalite', () => {
  it('predicts the shard Kinesis puts each record on, closed shards ignored', async () => {
    const shards = await listShards();
    expect(shards.filter((s) => s.SequenceNumberRange?.EndingSequenceNumber !== undefined)).toHaveLength(1);
    const map = ShardMap.fromShards(shards);
    expect(map.size).toBe(4);

    const entries = Array.from({ length: 300 }, (_, i) => ({
      PartitionKey: i % 3 === 0 ? `clé-${i}-ünïcödé` : `key-${i}`,
      Data: Buffer.from(String(i)),
      // Every tenth record aims at a shard's first hash key instead.
      ...(i % 10 === 0 ? { ExplicitHashKey: map.shards[i % map.size]!.startingHashKey } : {}),
    }));
    const result = await kinesis.send(new PutRecordsCommand({ StreamName: STREAM, Records: entries }));
    expect(result.FailedRecordCount).toBe(0);
    const predicted = entries.map((e) => map.shardFor(e.PartitionKey, e.ExplicitHashKey).shardId);
    expect(result.Records!.map((r) => r.ShardId)).toEqual(predicted);
    expect(new Set(predicted).size).toBe(4);
  });

  it('lands aggregated records on the predicted shard and reads every user record back', async () => {
    const map = ShardMap.fromShards(await listShards());
    const users = Array.from({ length: 400 }, (_, i) => ({
      partitionKey: `user-${i}`,
      data: Buffer.from(`payload ${i}`),
      ...(i % 50 === 0 ? { explicitHashKey: map.explicitHashKeyFor(map.shards[0]!) } : {}),
    }));
    const records = aggregate(users, { shardMap: map, maxSize: 2000 });
    expect(records.some((r) => r.aggregated)).toBe(true);

    const result = await kinesis.send(
      new PutRecordsCommand({
        StreamName: STREAM,
        Records: records.map((r) => ({
          PartitionKey: r.partitionKey,
          ExplicitHashKey: r.explicitHashKey,
          Data: r.data,
        })),
      }),
    );
    expect(result.FailedRecordCount).toBe(0);
    records.forEach((r, i) => {
      const shardId = result.Records![i]!.ShardId!;
      for (const user of r.userRecords)
        expect(map.shardFor(user.partitionKey, user.explicitHashKey).shardId).toBe(shardId);
    });

    // Read every shard from the sequence numbers just returned and deaggregate.
    const read: string[] = [];
    for (const shard of map.shards) {
      const first = result.Records!.find((r) => r.ShardId === shard.shardId);
      if (first === undefined) continue;
      const { ShardIterator } = await kinesis.send(
        new GetShardIteratorCommand({
          StreamName: STREAM,
          ShardId: shard.shardId,
          ShardIteratorType: 'AT_SEQUENCE_NUMBER',
          StartingSequenceNumber: first.SequenceNumber,
        }),
      );
      const { Records } = await kinesis.send(new GetRecordsCommand({ ShardIterator }));
      for (const record of Records ?? []) {
        const userRecords = deaggregate({
          partitionKey: record.PartitionKey!,
          data: record.Data!,
          sequenceNumber: record.SequenceNumber,
          approximateArrivalTimestamp: record.ApproximateArrivalTimestamp,
        });
        for (const user of userRecords) {
          expect(user.sequenceNumber).toBe(record.SequenceNumber);
          expect(map.shardFor(user.partitionKey, user.explicitHashKey).shardId).toBe(shard.shardId);
          read.push(`${user.partitionKey}=${Buffer.from(user.data).toString()}`);
        }
      }
    }
    expect(read.sort()).toEqual(users.map((u) => `${u.partitionKey}=${u.data.toString()}`).sort());
  });
});
