import { KinesisClient, PutRecordsCommand } from '@aws-sdk/client-kinesis';
import type { ShardCheckpoint } from '../../functions/core/checkpoints/checkpoint-store';
import { mergeCheckpoints } from '../../functions/core/checkpoints/merge';
import { DeliveryFailedError } from '../../functions/core/errors';
import { aggregate } from '../../functions/core/record-format';
import { useLocalAws } from '../support/local-aws';
import { Collector, createStream, runSubtasksUntil, ssmStore, testConsumer } from './consumer-support';

const aws = useLocalAws({ kinesis: true, ssm: true });
const kinesis = () => aws().clients.client('kinesis', KinesisClient);

/** Puts `groups` KPL aggregated records of `size` sub-records `r-<n>` each; returns every sub-record's data. */
async function putAggregated(stream: string, groups: number, size: number): Promise<string[]> {
  const sent: string[] = [];
  const entries = [];
  for (let g = 0; g < groups; g++) {
    const users = Array.from({ length: size }, (_, i) => {
      const n = g * size + i;
      sent.push(`r-${n}`);
      return { partitionKey: `key-${n % 13}`, data: new TextEncoder().encode(`r-${n}`) };
    });
    const [record] = aggregate(users, { maxCount: size });
    if (!record) throw new Error('nothing aggregated');
    entries.push({
      PartitionKey: record.partitionKey,
      Data: record.data,
      ...(record.explicitHashKey ? { ExplicitHashKey: record.explicitHashKey } : {}),
    });
  }
  await kinesis().send(new PutRecordsCommand({ StreamName: stream, Records: entries }));
  return sent;
}

describe('KPL aggregated records', () => {
  it('are deaggregated, and a partly delivered one resumes after its last delivered sub-record', async () => {
    const stream = 'aggregated';
    await createStream(kinesis(), stream, 1);
    const sent = await putAggregated(stream, 30, 10);
    const store = ssmStore(aws());
    const first = new Collector();
    const failing = testConsumer({
      aws: aws(),
      store,
      collector: first,
      streams: [stream],
      delivery: {
        batchSize: 7,
        maxBatchingMillis: 0,
        backoff: { maxRetries: 0, baseMillis: 1, maxMillis: 1, expConst: 1 },
      },
      handler: (records) => {
        if (records.some((r) => r.data === 'r-125')) throw new Error('downstream rejected r-125');
        first.add(records);
      },
    });
    const failed = await failing.run({ subtaskIndex: 0, parallelism: 1, deadline: Date.now() + 20_000 });
    expect(failed.error).toBeInstanceOf(DeliveryFailedError);
    // With no on-failure queue, bisection delivers every record before r-125 and stops there: the last
    // one delivered is r-124, sub-record 4 of the 13th aggregate of 10.
    expect(first.records.at(-1)?.data).toBe('r-124');
    expect(first.records.at(-1)?.subSequenceNumber).toBe(4);
    const stored = mergeCheckpoints(await store.loadAll()).get(`${stream}/shardId-000000000000`)?.checkpoint;
    expect(stored).toEqual<ShardCheckpoint>({
      kind: 'sequence',
      sequenceNumber: first.records.at(-1)?.sequenceNumber as string,
      subSequenceNumber: 4,
    });

    const second = new Collector();
    await runSubtasksUntil(
      testConsumer({ aws: aws(), store, collector: second, streams: [stream] }),
      second,
      sent.length - first.unique,
      1,
    );
    expect(second.records[0]?.data).toBe('r-125');
    const all = new Set([...first.records, ...second.records].map((r) => r.data));
    expect(sent.filter((d) => !all.has(d))).toEqual([]);
    expect(second.records.filter((r) => first.has(r.data))).toEqual([]);
    expect(second.orderViolations).toEqual([]);
  });
});
