import { DEFAULT_ENGINE_SETTINGS } from '../../functions/core/consumer/engine';
import { MemoryCheckpointStore } from '../core/consumer/helpers';
import {
  Collector,
  createStream,
  mergeShards,
  openShards,
  putRecords,
  runSubtasksUntil,
  splitShard,
  startKinesis,
  testConsumer,
} from './consumer-support';

let env: Awaited<ReturnType<typeof startKinesis>>;
beforeAll(async () => {
  env = await startKinesis();
});
afterAll(() => env.close());

describe('consumer across resharding', () => {
  it('reads parents before children after a split and a merge of a backlog, keeping per-key order', async () => {
    const stream = 'reshard-backlog';
    await createStream(env.kinesis, stream, 2);
    const sent = await putRecords(env.kinesis, stream, 1500, { keys: 30 });
    await splitShard(env.kinesis, stream, 'shardId-000000000000');
    sent.push(...(await putRecords(env.kinesis, stream, 1500, { keys: 30, from: 1500 })));
    // shard 3 (upper half of shard 0) and shard 1 are adjacent: merge them into shard 4.
    await mergeShards(env.kinesis, stream, 'shardId-000000000003', 'shardId-000000000001');
    sent.push(...(await putRecords(env.kinesis, stream, 1500, { keys: 30, from: 3000 })));
    expect(await openShards(env.kinesis, stream)).toEqual(['shardId-000000000002', 'shardId-000000000004']);

    for (const parallelism of [1, 3]) {
      const collector = new Collector();
      const store = new MemoryCheckpointStore();
      const summaries = await runSubtasksUntil(
        testConsumer({ kinesis: env.kinesis, store, collector, streams: [stream] }),
        collector,
        sent.length,
        parallelism,
      );
      expect(collector.missing(sent)).toEqual([]);
      expect(collector.duplicates).toEqual([]);
      expect(collector.orderViolations).toEqual([]);
      const ended = summaries.flatMap((s) =>
        s.shards.filter((shard) => shard.status === 'ended').map((x) => x.shardId),
      );
      expect(ended.sort()).toEqual(['shardId-000000000000', 'shardId-000000000001', 'shardId-000000000003']);
    }
  });

  it('finds shards created while it runs and reads them from their start after their parents', async () => {
    const stream = 'reshard-live';
    await createStream(env.kinesis, stream, 2);
    const collector = new Collector();
    const sent = await putRecords(env.kinesis, stream, 3000, { keys: 20 });
    // Small reads keep a backlog in the parents while the children fill.
    const consumer = testConsumer({
      kinesis: env.kinesis,
      store: new MemoryCheckpointStore(),
      collector,
      streams: [stream],
      reader: { ...DEFAULT_ENGINE_SETTINGS.reader, intervalMillis: 50, maxRecordsPerCall: 300 },
    });
    const run = runSubtasksUntil(consumer, collector, 4800, 3);
    await collector.whenUnique(300);
    await splitShard(env.kinesis, stream, 'shardId-000000000001');
    sent.push(...(await putRecords(env.kinesis, stream, 900, { keys: 20, from: 3000 })));
    await mergeShards(env.kinesis, stream, 'shardId-000000000000', 'shardId-000000000002');
    sent.push(...(await putRecords(env.kinesis, stream, 900, { keys: 20, from: 3900 })));
    await run;
    expect(collector.missing(sent)).toEqual([]);
    expect(collector.duplicates).toEqual([]);
    expect(collector.orderViolations).toEqual([]);
  });
});
