import {
  GetRecordsCommand,
  GetShardIteratorCommand,
  KinesisClient,
  PutRecordsCommand,
  type GetRecordsCommandOutput,
} from '@aws-sdk/client-kinesis';
import { createStream } from '../../e2e/consumer-support';
import { useLocalAws } from '../../support/local-aws';
import { lastArrivalSeconds } from '../../../local/kinesis/millis-behind-latest';
import { reshard } from '../../../local/runner/resharding';

const aws = useLocalAws({ kinesis: true });
const kinesis = () => aws().clients.client('kinesis', KinesisClient);

async function iterator(stream: string, shardId = 'shardId-000000000000'): Promise<string> {
  const { ShardIterator } = await kinesis().send(
    new GetShardIteratorCommand({ StreamName: stream, ShardId: shardId, ShardIteratorType: 'TRIM_HORIZON' }),
  );
  return ShardIterator as string;
}

/** A GetRecords with the wall-clock bounds it ran between, since kinesalite stamps arrivals with real time. */
async function timedGetRecords(
  shardIterator: string,
  limit?: number,
): Promise<{ page: GetRecordsCommandOutput; before: number; after: number }> {
  const before = Date.now();
  const page = await kinesis().send(
    new GetRecordsCommand({ ShardIterator: shardIterator, ...(limit ? { Limit: limit } : {}) }),
  );
  return { page, before, after: Date.now() };
}

async function put(stream: string, count: number): Promise<void> {
  await kinesis().send(
    new PutRecordsCommand({
      StreamName: stream,
      Records: Array.from({ length: count }, (_, i) => ({ Data: Buffer.from(`r${i}`), PartitionKey: 'k' })),
    }),
  );
}

describe('the local Kinesis reports MillisBehindLatest as Kinesis does', () => {
  it('says how far the last record returned is behind the tip when records are left after it', async () => {
    await createStream(kinesis(), 'mbl-behind', 1);
    await put('mbl-behind', 3);
    const { page, before, after } = await timedGetRecords(await iterator('mbl-behind'), 1);
    expect(page.Records).toHaveLength(1);
    const arrival = (page.Records?.[0]?.ApproximateArrivalTimestamp as Date).getTime();
    // Between the call's start and end, measured from the last record returned.
    expect(page.MillisBehindLatest).toBeGreaterThanOrEqual(Math.max(0, before - arrival - 1));
    expect(page.MillisBehindLatest).toBeLessThanOrEqual(after - arrival + 1);

    const second = await timedGetRecords(page.NextShardIterator as string, 1);
    const secondArrival = (second.page.Records?.[0]?.ApproximateArrivalTimestamp as Date).getTime();
    expect(second.page.MillisBehindLatest).toBeGreaterThanOrEqual(
      Math.max(0, second.before - secondArrival - 1),
    );
    expect(second.page.MillisBehindLatest).toBeLessThanOrEqual(second.after - secondArrival + 1);
  });

  it('says 0 once the records returned reach the tip, and on an empty shard', async () => {
    await createStream(kinesis(), 'mbl-caught-up', 1);
    const empty = await timedGetRecords(await iterator('mbl-caught-up'));
    expect(empty.page).toMatchObject({ MillisBehindLatest: 0, Records: [] });
    await put('mbl-caught-up', 5);
    const all = await timedGetRecords(await iterator('mbl-caught-up'));
    expect(all.page.Records).toHaveLength(5);
    expect(all.page.MillisBehindLatest).toBe(0);
  });

  it('says 0 at the end of a closed shard (kinesalite says the age of its end)', async () => {
    await createStream(kinesis(), 'mbl-closed', 1);
    await put('mbl-closed', 2);
    await reshard(kinesis(), 'mbl-closed', 'split');
    let cursor: string | undefined = await iterator('mbl-closed');
    const lags: number[] = [];
    while (cursor) {
      const { page } = await timedGetRecords(cursor);
      lags.push(page.MillisBehindLatest ?? -1);
      cursor = page.NextShardIterator;
    }
    expect(lags.at(-1)).toBe(0);
  });
});

describe('lastArrivalSeconds', () => {
  it('reads the last record’s arrival from a kinesalite body without parsing it', () => {
    const body = Buffer.from(
      JSON.stringify({
        MillisBehindLatest: 0,
        NextShardIterator: 'AAA',
        Records: [
          { PartitionKey: '"ApproximateArrivalTimestamp":1', ApproximateArrivalTimestamp: 1700000000.5 },
          { PartitionKey: 'k', ApproximateArrivalTimestamp: 1700000001.25, Data: 'eA==' },
        ],
      }),
    );
    expect(lastArrivalSeconds(body)).toBe(1700000001.25);
    expect(lastArrivalSeconds(Buffer.from('{"MillisBehindLatest":0,"Records":[]}'))).toBeUndefined();
  });
});
