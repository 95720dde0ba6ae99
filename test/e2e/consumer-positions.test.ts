import { KinesisClient } from '@aws-sdk/client-kinesis';
import { nextMillisecond } from '../support/next-millisecond';
import { useLocalAws } from '../support/local-aws';
import { SSMClient } from '@aws-sdk/client-ssm';
import type { CheckpointValue } from '../../functions/core/checkpoints/checkpoint-store';
import { SsmCheckpointStore } from '../../functions/core/checkpoints/ssm-checkpoint-store';
import { seededRandom, systemClock } from '../../functions/core/time/clock';
import {
  Collector,
  createStream,
  putRecords,
  runSubtasksUntil,
  splitShard,
  ssmStore,
  uniquePath,
  testConsumer,
} from './consumer-support';

const aws = useLocalAws({ kinesis: true, ssm: true });
const kinesis = () => aws().clients.client('kinesis', KinesisClient);

/** An SSM store that tells when the first save lands. */
class ObservedStore extends SsmCheckpointStore {
  private onSave: (() => void) | undefined;
  readonly firstSave = new Promise<void>((resolve) => (this.onSave = resolve));
  override async save(subtaskIndex: number, value: CheckpointValue) {
    const result = await super.save(subtaskIndex, value);
    this.onSave?.();
    return result;
  }
}

const observedStore = () =>
  new ObservedStore({
    ssm: aws().clients.client('ssm', SSMClient),
    parameterPath: uniquePath(),
    clock: systemClock,
    random: seededRandom(1),
  });

describe('starting positions', () => {
  it('TRIM_HORIZON reads the whole retained stream', async () => {
    await createStream(kinesis(), 'pos-trim', 2);
    const sent = await putRecords(kinesis(), 'pos-trim', 300);
    const collector = new Collector();
    await runSubtasksUntil(
      testConsumer({
        aws: aws(),
        store: ssmStore(aws()),
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
    await createStream(kinesis(), 'pos-at', 2);
    await putRecords(kinesis(), 'pos-at', 200, { prefix: 'old' });
    const timestampMillis = (await nextMillisecond()).getTime();
    const sent = await putRecords(kinesis(), 'pos-at', 200, { prefix: 'new', from: 200 });
    const collector = new Collector();
    await runSubtasksUntil(
      testConsumer({
        aws: aws(),
        store: ssmStore(aws()),
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
    await createStream(kinesis(), 'pos-latest', 3);
    await putRecords(kinesis(), 'pos-latest', 100, { prefix: 'before' });
    await nextMillisecond();
    const store = observedStore();
    // First invocation: pins LATEST, then its handler fails everything and it checkpoints no record.
    const failing = testConsumer({
      aws: aws(),
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
    const sent = await putRecords(kinesis(), 'pos-latest', 150, { prefix: 'after', from: 100 });
    const first = await firstRun;
    expect(first.stoppedBy).toBe('failure');
    expect(first.recordsDelivered).toBe(0);

    const collector = new Collector();
    await runSubtasksUntil(
      testConsumer({
        aws: aws(),
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
    await createStream(kinesis(), stream, 1);
    const store = observedStore();
    const collector = new Collector();
    const consumer = testConsumer({
      aws: aws(),
      store,
      collector,
      streams: [stream],
      initialPosition: { type: 'LATEST' },
    });
    const run = runSubtasksUntil(consumer, collector, 400, 2);
    await store.firstSave;
    const sent = await putRecords(kinesis(), stream, 200, { keys: 10 });
    await collector.whenUnique(200);
    await splitShard(kinesis(), stream, 'shardId-000000000000');
    sent.push(...(await putRecords(kinesis(), stream, 200, { keys: 10, from: 200 })));
    await run;
    expect(collector.missing(sent)).toEqual([]);
    expect(collector.orderViolations).toEqual([]);
  });
});
