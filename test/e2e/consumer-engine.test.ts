import { KinesisClient } from '@aws-sdk/client-kinesis';
import type { ShardAssigner } from '../../functions/core/consumer/assigner';
import { useLocalAws } from '../support/local-aws';
import {
  Collector,
  createStream,
  deliveryFaults,
  putRecords,
  READER_KINDS,
  runSubtasksUntil,
  shardOwners,
  ssmStore,
  testConsumer,
} from './consumer-support';

// The EFO server in front serves the polling reader as well (it forwards GetRecords to the proxy).
const aws = useLocalAws({ kinesis: { enhancedFanOut: true }, ssm: true });
const kinesis = () => aws().clients.client('kinesis', KinesisClient);

describe('ConsumerEngine on kinesalite', () => {
  it('reads every record in per-key order and resumes after its checkpoint with nothing replayed', async () => {
    await createStream(kinesis(), 'engine-basic', 4);
    const sent = await putRecords(kinesis(), 'engine-basic', 2000);
    const store = ssmStore(aws());
    const collector = new Collector();
    const [first] = await runSubtasksUntil(
      testConsumer({ aws: aws(), store, collector, streams: ['engine-basic'] }),
      collector,
      2000,
      1,
    );
    expect(first?.stoppedBy).toBe('signal');
    expect(collector.missing(sent)).toEqual([]);
    expect(collector.duplicates).toEqual([]);
    expect(collector.orderViolations).toEqual([]);

    const more = await putRecords(kinesis(), 'engine-basic', 300, { prefix: 'more' });
    const second = new Collector();
    await runSubtasksUntil(
      testConsumer({ aws: aws(), store, collector: second, streams: ['engine-basic'] }),
      second,
      300,
      1,
    );
    expect(second.missing(more)).toEqual([]);
    expect(second.records.map((r) => r.data).filter((d) => !d.startsWith('more'))).toEqual([]);
    expect(second.duplicates).toEqual([]);
  });

  it.each([
    [1, 1],
    [3, 1],
    [3, 5],
    [1, 16],
    [8, 3],
    [8, 16],
  ])(
    'with parallelism %i over %i shards, reads each shard in exactly one subtask',
    async (parallelism, shardCount) => {
      const stream = `engine-p${parallelism}-s${shardCount}`;
      await createStream(kinesis(), stream, shardCount);
      const sent = await putRecords(kinesis(), stream, 800, { keys: 40 });
      const collector = new Collector();
      const summaries = await runSubtasksUntil(
        testConsumer({
          aws: aws(),
          store: ssmStore(aws()),
          collector,
          streams: [stream],
        }),
        collector,
        800,
        parallelism,
      );
      expect(collector.missing(sent)).toEqual([]);
      expect(collector.duplicates).toEqual([]);
      expect(collector.orderViolations).toEqual([]);
      const owners = shardOwners(summaries);
      expect(owners.size).toBe(shardCount);
      for (const subtasks of owners.values()) expect(subtasks).toHaveLength(1);
      const busy = summaries.filter((s) => s.shards.length > 0).length;
      expect(busy).toBe(Math.min(parallelism, shardCount));
    },
  );

  it('reads several streams of one region together', async () => {
    await createStream(kinesis(), 'engine-multi-a', 3);
    await createStream(kinesis(), 'engine-multi-b', 1);
    const sent = [
      ...(await putRecords(kinesis(), 'engine-multi-a', 500, { prefix: 'a' })),
      ...(await putRecords(kinesis(), 'engine-multi-b', 500, { prefix: 'b' })),
    ];
    const collector = new Collector();
    const summaries = await runSubtasksUntil(
      testConsumer({
        aws: aws(),
        store: ssmStore(aws()),
        collector,
        streams: ['engine-multi-a', 'engine-multi-b'],
      }),
      collector,
      1000,
      2,
    );
    expect(collector.missing(sent)).toEqual([]);
    expect(collector.duplicates).toEqual([]);
    expect(new Set(collector.records.map((r) => r.stream))).toEqual(
      new Set(['engine-multi-a', 'engine-multi-b']),
    );
    expect(shardOwners(summaries).size).toBe(4);
  });

  it('keeps a handed-over shard’s position until its new owner, running later, has stored one', async () => {
    const stream = 'engine-handover';
    await createStream(kinesis(), stream, 6);
    const store = ssmStore(aws());
    const collector = new Collector();
    const sent = await putRecords(kinesis(), stream, 600);
    const consumer = () => testConsumer({ aws: aws(), store, collector, streams: [stream] });
    await runSubtasksUntil(consumer(), collector, 600, 1);
    // Parallelism 1 -> 3, one subtask at a time, each until its short deadline: subtask 0 runs and
    // writes first, owning fewer shards than its stored value holds; the others come after it.
    const more = await putRecords(kinesis(), stream, 600, { prefix: 'more', from: 600 });
    for (const subtaskIndex of [0, 1, 2]) {
      await consumer().run({ subtaskIndex, parallelism: 3, deadline: Date.now() + 800 });
    }
    expect(collector.missing([...sent, ...more])).toEqual([]);
    expect(collector.duplicates).toEqual([]);
  });
});

describe.each(READER_KINDS)('ConsumerEngine changing parallelism (%s)', (readerKind) => {
  it('moves shards between subtasks as parallelism goes 1, 2, 3, 2 and the assigner changes, with nothing lost or replayed', async () => {
    const stream = `engine-reparallel-${readerKind}`;
    await createStream(kinesis(), stream, 6);
    const store = ssmStore(aws());
    const collector = new Collector();
    const sent: string[] = [];
    // The last round swaps in a custom assigner that places shards by their id instead.
    const byId: ShardAssigner = (shard, parallelism) => Number(shard.shardId.slice(-1)) % parallelism;
    const rounds: [number, ShardAssigner | undefined][] = [
      [1, undefined],
      [2, undefined],
      [3, undefined],
      [2, undefined],
      [3, byId],
    ];
    for (const [round, [parallelism, assigner]] of rounds.entries()) {
      sent.push(
        ...(await putRecords(kinesis(), stream, 400, { prefix: `round${round}`, from: round * 400 })),
      );
      const summaries = await runSubtasksUntil(
        testConsumer({
          aws: aws(),
          store,
          collector,
          streams: [stream],
          readerKind,
          // With EFO every round subscribes again as the same stream consumer.
          efoConsumerName: `reparallel-${readerKind}`,
          ...(assigner ? { assigner } : {}),
        }),
        collector,
        sent.length,
        parallelism,
      );
      const owners = shardOwners(summaries);
      expect(owners.size).toBe(6);
      for (const subtasks of owners.values()) expect(subtasks).toHaveLength(1);
    }
    expect(deliveryFaults(collector, sent)).toEqual({ missing: [], duplicates: [], orderViolations: [] });
  });
});
