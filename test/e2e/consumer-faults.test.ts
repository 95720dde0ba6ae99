import { KinesisClient } from '@aws-sdk/client-kinesis';
import { DEFAULT_ENGINE_SETTINGS } from '../../functions/core/consumer/engine';
import { LeaseHeldError, RetriesExhaustedError } from '../../functions/core/errors';
import { useLocalAws } from '../support/local-aws';
import {
  Collector,
  createStream,
  putRecords,
  runSubtasksUntil,
  ssmLeases,
  ssmStore,
  testConsumer,
} from './consumer-support';

// ListShards answers in pages of 2, as AWS does past 1,000 shards, so paging runs on a few shards.
const aws = useLocalAws({ kinesis: { listShardsPageSize: 2 }, ssm: true });
const kinesis = () => aws().clients.client('kinesis', KinesisClient);
afterEach(() => aws().resetFaults());

describe('consumer under Kinesis faults', () => {
  it('follows ListShards pages and retries a throttled ListShards', async () => {
    await createStream(kinesis(), 'faults-paging', 7);
    const sent = await putRecords(kinesis(), 'faults-paging', 700);
    aws().kinesis.limitListShards(2);
    const collector = new Collector();
    const [summary] = await runSubtasksUntil(
      testConsumer({
        aws: aws(),
        collector,
        streams: ['faults-paging'],
        listShardsBackoff: { maxRetries: 3, baseMillis: 1, maxMillis: 5, expConst: 1.5 },
      }),
      collector,
      700,
      1,
    );
    expect(summary?.shards).toHaveLength(7);
    expect(collector.missing(sent)).toEqual([]);
    expect(aws().kinesis.injectedCount('ListShards')).toBe(2);
  });

  it('re-acquires expired iterators from the last record read, with nothing lost or repeated', async () => {
    await createStream(kinesis(), 'faults-expiry', 2);
    const sent = await putRecords(kinesis(), 'faults-expiry', 400);
    // Small reads so that the expiries land in the middle of each shard.
    aws().kinesis.expireIterators(6);
    const collector = new Collector();
    const [summary] = await runSubtasksUntil(
      testConsumer({
        aws: aws(),
        collector,
        streams: ['faults-expiry'],
        // No GetRecords retries at all: an expired iterator must not count as one.
        reader: {
          ...DEFAULT_ENGINE_SETTINGS.reader,
          intervalMillis: 5,
          maxRecordsPerCall: 50,
          getRecordsBackoff: { maxRetries: 0, baseMillis: 1, maxMillis: 1, expConst: 1 },
        },
      }),
      collector,
      400,
      1,
    );
    expect(collector.missing(sent)).toEqual([]);
    expect(collector.duplicates).toEqual([]);
    expect(collector.orderViolations).toEqual([]);
    expect(summary?.shards.reduce((n, s) => n + (s.expiredIterators ?? 0), 0)).toBe(6);
  });

  it('backs off on GetRecords throttling and delivers everything', async () => {
    await createStream(kinesis(), 'faults-throttle', 2);
    const sent = await putRecords(kinesis(), 'faults-throttle', 300);
    aws().kinesis.throttleGetRecords(4);
    const collector = new Collector();
    const [summary] = await runSubtasksUntil(
      testConsumer({
        aws: aws(),
        collector,
        streams: ['faults-throttle'],
        reader: {
          ...DEFAULT_ENGINE_SETTINGS.reader,
          intervalMillis: 5,
          getRecordsBackoff: { maxRetries: 3, baseMillis: 5, maxMillis: 20, expConst: 1.5 },
        },
      }),
      collector,
      300,
      1,
    );
    expect(collector.missing(sent)).toEqual([]);
    expect(summary?.shards.reduce((n, s) => n + (s.throttledCalls ?? 0), 0)).toBe(4);
  });

  it('fails the run when throttling outlasts the retries, keeping the checkpoint of what was delivered', async () => {
    await createStream(kinesis(), 'faults-throttle-hard', 1);
    const sent = await putRecords(kinesis(), 'faults-throttle-hard', 100);
    const store = ssmStore(aws());
    const collector = new Collector();
    const consumer = (maxRecordsPerCall: number) =>
      testConsumer({
        aws: aws(),
        store,
        collector,
        streams: ['faults-throttle-hard'],
        reader: {
          ...DEFAULT_ENGINE_SETTINGS.reader,
          intervalMillis: 5,
          maxRecordsPerCall,
          getRecordsBackoff: { maxRetries: 2, baseMillis: 1, maxMillis: 2, expConst: 1 },
        },
      });
    // The first read succeeds; every read after it is throttled.
    aws().kinesis.throttleGetRecords(Infinity, () => collector.unique >= 40);
    const failed = await consumer(40).run({ subtaskIndex: 0, parallelism: 1, deadline: Date.now() + 20_000 });
    expect(failed.stoppedBy).toBe('failure');
    expect(failed.error).toBeInstanceOf(RetriesExhaustedError);
    expect(collector.unique).toBe(40);
    aws().resetFaults();
    await runSubtasksUntil(consumer(1000), collector, 100, 1);
    expect(collector.missing(sent)).toEqual([]);
    expect(collector.duplicates).toEqual([]);
  });
});

describe('overlapping invocations', () => {
  it('lets exactly one of two simultaneous invocations of a subtask read', async () => {
    await createStream(kinesis(), 'overlap', 2);
    const sent = await putRecords(kinesis(), 'overlap', 200);
    const store = ssmStore(aws());
    const collector = new Collector();
    const consumer = testConsumer({
      aws: aws(),
      store,
      lease: ssmLeases(aws(), store, 100),
      collector,
      streams: ['overlap'],
    });
    const controller = new AbortController();
    void collector.whenUnique(200).then(() => controller.abort());
    const request = {
      subtaskIndex: 0,
      parallelism: 1,
      deadline: Date.now() + 20_000,
      signal: controller.signal,
    };
    const results = await Promise.allSettled([consumer.run(request), consumer.run(request)]);
    const ran = results.filter((r) => r.status === 'fulfilled');
    const refused = results.filter((r) => r.status === 'rejected');
    expect(ran).toHaveLength(1);
    expect(refused).toHaveLength(1);
    expect((refused[0] as PromiseRejectedResult).reason).toBeInstanceOf(LeaseHeldError);
    expect(collector.missing(sent)).toEqual([]);
    expect(collector.duplicates).toEqual([]);
  });

  it('refuses a second invocation while the first is reading, and lets the next one in after it ends', async () => {
    await createStream(kinesis(), 'overlap-later', 1);
    await putRecords(kinesis(), 'overlap-later', 50);
    const store = ssmStore(aws());
    const collector = new Collector();
    const consumer = testConsumer({ aws: aws(), store, collector, streams: ['overlap-later'] });
    const controller = new AbortController();
    const first = consumer.run({
      subtaskIndex: 0,
      parallelism: 1,
      deadline: Date.now() + 20_000,
      signal: controller.signal,
    });
    await collector.whenUnique(50);
    await expect(
      consumer.run({ subtaskIndex: 0, parallelism: 1, deadline: Date.now() + 20_000 }),
    ).rejects.toThrow(LeaseHeldError);
    controller.abort();
    await first;
    const next = new AbortController();
    next.abort();
    const later = await consumer.run({
      subtaskIndex: 0,
      parallelism: 1,
      deadline: Date.now() + 20_000,
      signal: next.signal,
    });
    expect(later.stoppedBy).toBe('signal');
  });
});
