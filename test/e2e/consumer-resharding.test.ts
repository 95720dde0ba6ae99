import { KinesisClient } from '@aws-sdk/client-kinesis';
import { useLocalAws } from '../support/local-aws';
import { DEFAULT_ENGINE_SETTINGS } from '../../functions/core/consumer/engine';
import {
  Collector,
  createStream,
  mergeShards,
  openShards,
  putRecords,
  runSubtasksUntil,
  splitShard,
  READER_KINDS,
  ssmStore,
  testConsumer,
} from './consumer-support';

// The EFO server in front serves polling readers as well (it forwards GetRecords to the proxy).
const aws = useLocalAws({ kinesis: { enhancedFanOut: true }, ssm: true });
const kinesis = () => aws().clients.client('kinesis', KinesisClient);

describe.each(READER_KINDS)('consumer across resharding (%s)', (readerKind) => {
  it('reads parents before children after a split and a merge of a backlog, keeping per-key order', async () => {
    const stream = `reshard-backlog-${readerKind}`;
    await createStream(kinesis(), stream, 2);
    const sent = await putRecords(kinesis(), stream, 1500, { keys: 30 });
    await splitShard(kinesis(), stream, 'shardId-000000000000');
    sent.push(...(await putRecords(kinesis(), stream, 1500, { keys: 30, from: 1500 })));
    // shard 3 (upper half of shard 0) and shard 1 are adjacent: merge them into shard 4.
    await mergeShards(kinesis(), stream, 'shardId-000000000003', 'shardId-000000000001');
    sent.push(...(await putRecords(kinesis(), stream, 1500, { keys: 30, from: 3000 })));
    expect(await openShards(kinesis(), stream)).toEqual(['shardId-000000000002', 'shardId-000000000004']);

    for (const parallelism of [1, 3]) {
      const collector = new Collector();
      const store = ssmStore(aws());
      const summaries = await runSubtasksUntil(
        testConsumer({ aws: aws(), store, collector, streams: [stream], readerKind }),
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
    const stream = `reshard-live-${readerKind}`;
    await createStream(kinesis(), stream, 2);
    const collector = new Collector();
    const sent = await putRecords(kinesis(), stream, 3000, { keys: 20 });
    // Small reads keep a backlog in the parents while the children fill.
    const consumer = testConsumer({
      aws: aws(),
      store: ssmStore(aws()),
      collector,
      streams: [stream],
      readerKind,
      reader: { ...DEFAULT_ENGINE_SETTINGS.reader, intervalMillis: 50, maxRecordsPerCall: 300 },
    });
    const run = runSubtasksUntil(consumer, collector, 4800, 3);
    await collector.whenUnique(300);
    await splitShard(kinesis(), stream, 'shardId-000000000001');
    sent.push(...(await putRecords(kinesis(), stream, 900, { keys: 20, from: 3000 })));
    await mergeShards(kinesis(), stream, 'shardId-000000000000', 'shardId-000000000002');
    sent.push(...(await putRecords(kinesis(), stream, 900, { keys: 20, from: 3900 })));
    await run;
    expect(collector.missing(sent)).toEqual([]);
    expect(collector.duplicates).toEqual([]);
    expect(collector.orderViolations).toEqual([]);
  });
});
