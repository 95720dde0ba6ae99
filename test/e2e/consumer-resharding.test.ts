import { KinesisClient } from '@aws-sdk/client-kinesis';
import { useLocalAws } from '../support/local-aws';
import { DEFAULT_ENGINE_SETTINGS } from '../../functions/core/consumer/engine';
import {
  Collector,
  createStream,
  deliveryFaults,
  mergeShards,
  openShards,
  putRecords,
  runSubtasksUntil,
  shardOwners,
  splitShard,
  READER_KINDS,
  ssmStore,
  testConsumer,
} from './consumer-support';

// The EFO server in front serves polling readers as well (it forwards GetRecords to the proxy), so both
// readers read the same stream through the same reshard.
const aws = useLocalAws({ kinesis: { enhancedFanOut: true }, ssm: true });
const kinesis = () => aws().clients.client('kinesis', KinesisClient);
const NO_FAULTS = Object.fromEntries(
  READER_KINDS.map((kind) => [kind, { missing: [], duplicates: [], orderViolations: [] }]),
);

describe('consumer across resharding, with each reader', () => {
  it('reads parents before children after a split and a merge of a backlog, keeping per-key order', async () => {
    const stream = 'reshard-backlog';
    await createStream(kinesis(), stream, 2);
    const sent = await putRecords(kinesis(), stream, 1500, { keys: 30 });
    await splitShard(kinesis(), stream, 'shardId-000000000000');
    sent.push(...(await putRecords(kinesis(), stream, 1500, { keys: 30, from: 1500 })));
    // shard 3 (upper half of shard 0) and shard 1 are adjacent: merge them into shard 4.
    await mergeShards(kinesis(), stream, 'shardId-000000000003', 'shardId-000000000001');
    sent.push(...(await putRecords(kinesis(), stream, 1500, { keys: 30, from: 3000 })));
    expect(await openShards(kinesis(), stream)).toEqual(['shardId-000000000002', 'shardId-000000000004']);

    for (const parallelism of [1, 3]) {
      // Both readers at once, each with its own checkpoints (and, with EFO, its own stream consumer).
      const runs = await Promise.all(
        READER_KINDS.map(async (readerKind) => {
          const collector = new Collector();
          const summaries = await runSubtasksUntil(
            testConsumer({ aws: aws(), store: ssmStore(aws()), collector, streams: [stream], readerKind }),
            collector,
            sent.length,
            parallelism,
          );
          return { readerKind, collector, summaries };
        }),
      );
      expect(Object.fromEntries(runs.map((r) => [r.readerKind, deliveryFaults(r.collector, sent)]))).toEqual(
        NO_FAULTS,
      );
      for (const { summaries } of runs) {
        const ended = summaries.flatMap((s) =>
          s.shards.filter((shard) => shard.status === 'ended').map((x) => x.shardId),
        );
        expect(ended.sort()).toEqual([
          'shardId-000000000000',
          'shardId-000000000001',
          'shardId-000000000003',
        ]);
        // No two subtasks read one shard.
        for (const subtasks of shardOwners(summaries).values()) expect(subtasks).toHaveLength(1);
      }
    }
  });

  it('finds shards created while it runs and reads them from their start after their parents', async () => {
    const stream = 'reshard-live';
    await createStream(kinesis(), stream, 2);
    const sent = await putRecords(kinesis(), stream, 3000, { keys: 20 });
    const collectors = READER_KINDS.map(() => new Collector());
    // Small reads keep a backlog in the polling reader's parents while the children fill.
    const runs = Promise.all(
      READER_KINDS.map((readerKind, i) => {
        const collector = collectors[i] as Collector;
        const consumer = testConsumer({
          aws: aws(),
          store: ssmStore(aws()),
          collector,
          streams: [stream],
          readerKind,
          reader: { ...DEFAULT_ENGINE_SETTINGS.reader, intervalMillis: 50, maxRecordsPerCall: 300 },
        });
        return runSubtasksUntil(consumer, collector, 4800, 3);
      }),
    );
    await Promise.all(collectors.map((c) => c.whenUnique(300)));
    await splitShard(kinesis(), stream, 'shardId-000000000001');
    sent.push(...(await putRecords(kinesis(), stream, 900, { keys: 20, from: 3000 })));
    await mergeShards(kinesis(), stream, 'shardId-000000000000', 'shardId-000000000002');
    sent.push(...(await putRecords(kinesis(), stream, 900, { keys: 20, from: 3900 })));
    await runs;
    expect(
      Object.fromEntries(
        READER_KINDS.map((kind, i) => [kind, deliveryFaults(collectors[i] as Collector, sent)]),
      ),
    ).toEqual(NO_FAULTS);
  });
});
