import type { CheckpointValue } from '../../functions/core/checkpoints/checkpoint-store';
import { MemoryCheckpointStore } from '../core/consumer/helpers';
import {
  Collector,
  createStream,
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

/** Makes sure the next record gets a later arrival time than everything before (timestamps are in ms). */
function nextMillisecond(): number {
  const start = Date.now();
  let now = start;
  while (now <= start) now = Date.now();
  return now;
}

/** A store that tells when the first save lands. */
class ObservedStore extends MemoryCheckpointStore {
  private onSave: (() => void) | undefined;
  readonly firstSave = new Promise<void>((resolve) => (this.onSave = resolve));
  override async save(subtaskIndex: number, value: CheckpointValue) {
    const result = await super.save(subtaskIndex, value);
    this.onSave?.();
    return result;
  }
}

describe('starting positions', () => {
  it('TRIM_HORIZON reads the whole retained stream', async () => {
    await createStream(env.kinesis, 'pos-trim', 2);
    const sent = await putRecords(env.kinesis, 'pos-trim', 300);
    const collector = new Collector();
    await runSubtasksUntil(
      testConsumer({
        kinesis: env.kinesis,
        store: new MemoryCheckpointStore(),
        collector,
        streams: ['pos-trim'],
      }),
      collector,
      300,
      1,
    );
    expect(collector.missing(sent)).toEqual([]);
  });

  it('AT_TIMESTAMP skips records that arrived before the timestamp', async () => {
    await createStream(env.kinesis, 'pos-at', 2);
    await putRecords(env.kinesis, 'pos-at', 200, { prefix: 'old' });
    const timestampMillis = nextMillisecond();
    const sent = await putRecords(env.kinesis, 'pos-at', 200, { prefix: 'new', from: 200 });
    const collector = new Collector();
    await runSubtasksUntil(
      testConsumer({
        kinesis: env.kinesis,
        store: new MemoryCheckpointStore(),
        collector,
        streams: ['pos-at'],
        initialPosition: { type: 'AT_TIMESTAMP', timestampMillis },
      }),
      collector,
      200,
      2,
    );
    expect(collector.missing(sent)).toEqual([]);
    expect(collector.records.filter((r) => r.data.startsWith('old'))).toEqual([]);
  });

  it('LATEST is pinned at the first start, so a first invocation that fails is retried from there', async () => {
    await createStream(env.kinesis, 'pos-latest', 3);
    await putRecords(env.kinesis, 'pos-latest', 100, { prefix: 'before' });
    nextMillisecond();
    const store = new ObservedStore();
    // First invocation: pins LATEST, then its handler fails everything and it checkpoints no record.
    const failing = testConsumer({
      kinesis: env.kinesis,
      store,
      collector: new Collector(),
      streams: ['pos-latest'],
      initialPosition: { type: 'LATEST' },
      delivery: {
        batchSize: 100,
        maxBatchingMillis: 0,
        backoff: { maxRetries: 0, baseMillis: 1, maxMillis: 1, expConst: 1 },
      },
      handler: () => {
        throw new Error('handler down');
      },
    });
    const firstRun = failing.run({ subtaskIndex: 0, parallelism: 1, deadline: Date.now() + 20_000 });
    await store.firstSave;
    const sent = await putRecords(env.kinesis, 'pos-latest', 150, { prefix: 'after', from: 100 });
    const first = await firstRun;
    expect(first.stoppedBy).toBe('failure');
    expect(first.recordsDelivered).toBe(0);

    const collector = new Collector();
    await runSubtasksUntil(
      testConsumer({
        kinesis: env.kinesis,
        store,
        collector,
        streams: ['pos-latest'],
        initialPosition: { type: 'LATEST' },
      }),
      collector,
      150,
      1,
    );
    expect(collector.missing(sent)).toEqual([]);
    expect(collector.records.filter((r) => r.data.startsWith('before'))).toEqual([]);
  });

  it('LATEST reads a shard created after its start from the shard’s beginning', async () => {
    const stream = 'pos-latest-child';
    await createStream(env.kinesis, stream, 1);
    const store = new ObservedStore();
    const collector = new Collector();
    const consumer = testConsumer({
      kinesis: env.kinesis,
      store,
      collector,
      streams: [stream],
      initialPosition: { type: 'LATEST' },
    });
    const run = runSubtasksUntil(consumer, collector, 400, 2);
    await store.firstSave;
    const sent = await putRecords(env.kinesis, stream, 200, { keys: 10 });
    await collector.whenUnique(200);
    await splitShard(env.kinesis, stream, 'shardId-000000000000');
    sent.push(...(await putRecords(env.kinesis, stream, 200, { keys: 10, from: 200 })));
    await run;
    expect(collector.missing(sent)).toEqual([]);
    expect(collector.orderViolations).toEqual([]);
  });
});
