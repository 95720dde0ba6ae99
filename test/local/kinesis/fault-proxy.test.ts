// The Kinesis fault proxy in front of kinesalite, driven by the unmodified SDK v3 Kinesis client.
import {
  DescribeStreamSummaryCommand,
  ExpiredIteratorException,
  GetRecordsCommand,
  GetShardIteratorCommand,
  KinesisClient,
  LimitExceededException,
  ListShardsCommand,
  ProvisionedThroughputExceededException,
  PutRecordCommand,
  PutRecordsCommand,
  type PutRecordsRequestEntry,
} from '@aws-sdk/client-kinesis';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { seededRandom } from '../../../functions/core/time/clock';
import { createStreamAndWait, describeIterator } from '../../../local/kinesis';
import { LOCAL_CREDENTIALS } from '../../../local/harness';
import { useLocalAws } from '../../support/local-aws';
import { nextMillisecond } from '../../support/next-millisecond';
import { rejectionOf } from '../../support/rejection-of';
import { reshard } from '../../../local/runner/resharding';
import { readAll } from './kinesis-test-kit';

const aws = useLocalAws({ kinesis: { random: seededRandom(11) } });
let kinesis: KinesisClient;
let streams = 0;

beforeAll(() => {
  kinesis = aws().clients.client('kinesis', KinesisClient);
});
afterEach(() => aws().kinesis.clear());

async function newStream(shards = 1): Promise<string> {
  const name = `proxy-${++streams}`;
  await createStreamAndWait(kinesis, name, shards);
  return name;
}

function entries(...data: string[]): PutRecordsRequestEntry[] {
  return data.map((d) => ({ Data: Buffer.from(d), PartitionKey: d }));
}

async function iteratorFor(stream: string, shardId = 'shardId-000000000000'): Promise<string> {
  const { ShardIterator } = await kinesis.send(
    new GetShardIteratorCommand({ StreamName: stream, ShardId: shardId, ShardIteratorType: 'TRIM_HORIZON' }),
  );
  if (!ShardIterator) throw new Error('no iterator');
  return ShardIterator;
}

describe('forwarding', () => {
  it('passes calls through to kinesalite unchanged when no fault is set', async () => {
    const stream = await newStream();
    const put = await kinesis.send(
      new PutRecordCommand({ StreamName: stream, Data: Buffer.from('hello'), PartitionKey: 'k' }),
    );
    expect(put.ShardId).toBe('shardId-000000000000');
    expect(await readAll(kinesis, stream)).toEqual(['hello']);
    expect(aws().kinesis.callCount('PutRecord')).toBeGreaterThan(0);
    expect(aws().kinesis.injectedCount('PutRecord')).toBe(0);
  });

  it('accepts StreamARN in place of StreamName, which kinesalite does not', async () => {
    const stream = await newStream();
    const StreamARN = `arn:aws:kinesis:us-east-1:000000000000:stream/${stream}`;
    await kinesis.send(new PutRecordCommand({ StreamARN, Data: Buffer.from('by-arn'), PartitionKey: 'k' }));
    const { Shards } = await kinesis.send(new ListShardsCommand({ StreamARN }));
    expect(Shards).toHaveLength(1);
    expect(await readAll(kinesis, stream)).toEqual(['by-arn']);
  });

  it('decodes a kinesalite shard iterator into stream, shard and position', async () => {
    const stream = await newStream(2);
    const position = describeIterator(await iteratorFor(stream, 'shardId-000000000001'));
    expect(position).toMatchObject({ streamName: stream, shardId: 'shardId-000000000001' });
    expect(position?.sequenceNumber).toMatch(/^\d+$/);
    expect(describeIterator('not an iterator')).toBeUndefined();
  });

  it('lets kinesalite answer unsigned requests with MissingAuthenticationTokenException', async () => {
    const response = await fetch(aws().kinesis.endpoint, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-amz-json-1.1',
        'x-amz-target': 'Kinesis_20131202.ListStreams',
      },
      body: '{}',
    });
    expect(await response.json()).toMatchObject({ __type: 'MissingAuthenticationTokenException' });
    expect(response.status).toBe(400);
  });
});

describe('injected errors', () => {
  it('throttles exactly the next N GetRecords with ProvisionedThroughputExceededException naming the shard', async () => {
    const stream = await newStream();
    await kinesis.send(
      new PutRecordCommand({ StreamName: stream, Data: Buffer.from('r'), PartitionKey: 'k' }),
    );
    const iterator = await iteratorFor(stream);
    aws().kinesis.throttleGetRecords(2);

    for (let i = 0; i < 2; i++) {
      const error = await rejectionOf(kinesis.send(new GetRecordsCommand({ ShardIterator: iterator })));
      expect(error).toBeInstanceOf(ProvisionedThroughputExceededException);
      expect(error.message).toBe(
        `Rate exceeded for shard shardId-000000000000 in stream ${stream} under account 000000000000.`,
      );
    }
    const page = await kinesis.send(new GetRecordsCommand({ ShardIterator: iterator }));
    expect(page.Records).toHaveLength(1);
    expect(aws().kinesis.injectedCount('GetRecords')).toBe(2);
  });

  it('throttles only the calls a predicate picks, e.g. one shard of two', async () => {
    const stream = await newStream(2);
    aws().kinesis.throttleGetRecords(Infinity, (call) => call.iterator?.shardId === 'shardId-000000000001');
    await kinesis.send(
      new GetRecordsCommand({ ShardIterator: await iteratorFor(stream, 'shardId-000000000000') }),
    );
    const error = await rejectionOf(
      kinesis.send(
        new GetRecordsCommand({ ShardIterator: await iteratorFor(stream, 'shardId-000000000001') }),
      ),
    );
    expect(error).toBeInstanceOf(ProvisionedThroughputExceededException);
  });

  it('expires iterators with ExpiredIteratorException; a fresh iterator reads on', async () => {
    const stream = await newStream();
    await kinesis.send(
      new PutRecordCommand({ StreamName: stream, Data: Buffer.from('r'), PartitionKey: 'k' }),
    );
    aws().kinesis.expireIterators(1);
    const error = await rejectionOf(
      kinesis.send(new GetRecordsCommand({ ShardIterator: await iteratorFor(stream) })),
    );
    expect(error).toBeInstanceOf(ExpiredIteratorException);
    expect(error.message).toMatch(/^Iterator expired\./);
    const page = await kinesis.send(new GetRecordsCommand({ ShardIterator: await iteratorFor(stream) }));
    expect(page.Records).toHaveLength(1);
  });

  it('limits ListShards with LimitExceededException', async () => {
    const stream = await newStream();
    aws().kinesis.limitListShards(1);
    expect(await rejectionOf(kinesis.send(new ListShardsCommand({ StreamName: stream })))).toBeInstanceOf(
      LimitExceededException,
    );
    await expect(kinesis.send(new ListShardsCommand({ StreamName: stream }))).resolves.toMatchObject({
      Shards: [expect.objectContaining({ ShardId: 'shardId-000000000000' })],
    });
  });

  it('throttles PutRecord without writing the record', async () => {
    const stream = await newStream();
    aws().kinesis.throttlePutRecord(1);
    const put = () =>
      kinesis.send(new PutRecordCommand({ StreamName: stream, Data: Buffer.from('x'), PartitionKey: 'k' }));
    expect(await rejectionOf(put())).toBeInstanceOf(ProvisionedThroughputExceededException);
    await put();
    expect(await readAll(kinesis, stream)).toEqual(['x']);
  });

  it('injects any error code with its status for any operation', async () => {
    const stream = await newStream();
    aws().kinesis.inject({ operation: 'GetShardIterator', code: 'ServiceUnavailable', message: 'try later' });
    const error = await rejectionOf(iteratorFor(stream));
    expect(error.name).toBe('ServiceUnavailable');
    expect(error.message).toBe('try later');
    expect(error.$metadata?.httpStatusCode).toBe(500);
  });
});

describe('partly failed PutRecords', () => {
  it('fails the chosen entries in request order and writes only the others', async () => {
    const stream = await newStream(2);
    aws().kinesis.failPutRecordsEntries({
      failEntry: (_entry, index) =>
        index === 1 ? 'ProvisionedThroughputExceededException' : index === 3 ? 'InternalFailure' : undefined,
    });
    const result = await kinesis.send(
      new PutRecordsCommand({ StreamName: stream, Records: entries('a', 'b', 'c', 'd', 'e') }),
    );

    expect(result.FailedRecordCount).toBe(2);
    expect(result.Records?.map((r) => r.ErrorCode)).toEqual([
      undefined,
      'ProvisionedThroughputExceededException',
      undefined,
      'InternalFailure',
      undefined,
    ]);
    expect(result.Records?.filter((r) => r.SequenceNumber && r.ShardId)).toHaveLength(3);
    expect((await readAll(kinesis, stream)).sort()).toEqual(['a', 'c', 'e']);

    // The fault applied once: a retry of the failed entries goes through.
    const retry = await kinesis.send(
      new PutRecordsCommand({ StreamName: stream, Records: entries('b', 'd') }),
    );
    expect(retry.FailedRecordCount).toBe(0);
    expect((await readAll(kinesis, stream)).sort()).toEqual(['a', 'b', 'c', 'd', 'e']);
  });

  it('fails a whole batch without forwarding it when every entry is chosen', async () => {
    const stream = await newStream();
    aws().kinesis.failPutRecordsEntries({ failEntry: () => 'ProvisionedThroughputExceededException' });
    const result = await kinesis.send(
      new PutRecordsCommand({ StreamName: stream, Records: entries('a', 'b') }),
    );
    expect(result.FailedRecordCount).toBe(2);
    expect(await readAll(kinesis, stream)).toEqual([]);
  });

  it('chooses entries by content and leaves batches kinesalite rejects to kinesalite', async () => {
    const stream = await newStream();
    aws().kinesis.failPutRecordsEntries({
      failEntry: (entry) => (entry.PartitionKey === 'bad' ? 'InternalFailure' : undefined),
    });
    const tooMany = entries(...Array.from({ length: 501 }, (_, i) => `r${i}`));
    const rejected = await rejectionOf(
      kinesis.send(new PutRecordsCommand({ StreamName: stream, Records: tooMany })),
    );
    expect(rejected.name).toBe('ValidationException');

    const result = await kinesis.send(
      new PutRecordsCommand({ StreamName: stream, Records: entries('ok', 'bad') }),
    );
    expect(result.Records?.map((r) => r.ErrorCode)).toEqual([undefined, 'InternalFailure']);
    expect(await readAll(kinesis, stream)).toEqual(['ok']);
  });
});

describe('fault switch', () => {
  it('throttles with each operation’s own error: GetRecords, ListShards, and PutRecords entries', async () => {
    const stream = await newStream();
    const iterator = await iteratorFor(stream);
    aws().kinesis.faults.set({ throttleNext: 3 });
    expect(
      await rejectionOf(kinesis.send(new GetRecordsCommand({ ShardIterator: iterator }))),
    ).toBeInstanceOf(ProvisionedThroughputExceededException);
    expect(await rejectionOf(kinesis.send(new ListShardsCommand({ StreamName: stream })))).toBeInstanceOf(
      LimitExceededException,
    );
    const batch = await kinesis.send(
      new PutRecordsCommand({ StreamName: stream, Records: entries('a', 'b') }),
    );
    expect(batch.Records?.map((r) => r.ErrorCode)).toEqual([
      'ProvisionedThroughputExceededException',
      'ProvisionedThroughputExceededException',
    ]);
    expect(await readAll(kinesis, stream)).toEqual([]);
  });

  it('fails the fraction of calls its seeded random source picks with a 500 InternalFailure', async () => {
    const stream = await newStream();
    const mirror = seededRandom(11);
    aws().kinesis.faults.set({ failFraction: 0.4, operations: ['DescribeStreamSummary'] });
    const expected: boolean[] = [];
    const observed: boolean[] = [];
    for (let i = 0; i < 20; i++) {
      expected.push(mirror() < 0.4);
      try {
        await kinesis.send(new DescribeStreamSummaryCommand({ StreamName: stream }));
        observed.push(false);
      } catch (error) {
        expect((error as Error).name).toBe('InternalFailure');
        observed.push(true);
      }
    }
    expect(observed).toEqual(expected);
    expect(new Set(observed)).toEqual(new Set([true, false]));
  });

  it('delays calls by real time, noticed by a client request timeout', async () => {
    const stream = await newStream();
    const impatient = new KinesisClient({
      region: 'us-east-1',
      endpoint: aws().kinesis.endpoint,
      credentials: {
        accessKeyId: LOCAL_CREDENTIALS.accessKeyId,
        secretAccessKey: LOCAL_CREDENTIALS.secretAccessKey,
      },
      maxAttempts: 1,
      requestHandler: new NodeHttpHandler({ requestTimeout: 100, throwOnRequestTimeout: true }),
    });
    try {
      aws().kinesis.delay({ operation: 'ListShards', millis: 1000, times: 1 });
      expect((await rejectionOf(impatient.send(new ListShardsCommand({ StreamName: stream })))).name).toBe(
        'TimeoutError',
      );
      await expect(impatient.send(new ListShardsCommand({ StreamName: stream }))).resolves.toBeDefined();
    } finally {
      impatient.destroy();
    }
  });
});

describe('GetShardIterator AT_TIMESTAMP', () => {
  async function recordsFrom(iterator: string | undefined): Promise<string[]> {
    const page = await kinesis.send(new GetRecordsCommand({ ShardIterator: iterator }));
    return (page.Records ?? []).map((r) => Buffer.from(r.Data ?? []).toString());
  }

  it('answers at the first record at or after the timestamp, as kinesalite does', async () => {
    const stream = await newStream();
    await kinesis.send(new PutRecordsCommand({ StreamName: stream, Records: entries('before') }));
    const between = await nextMillisecond();
    await kinesis.send(new PutRecordsCommand({ StreamName: stream, Records: entries('after') }));
    const { ShardIterator } = await kinesis.send(
      new GetShardIteratorCommand({
        StreamName: stream,
        ShardId: 'shardId-000000000000',
        ShardIteratorType: 'AT_TIMESTAMP',
        Timestamp: between,
      }),
    );
    expect(await recordsFrom(ShardIterator)).toEqual(['after']);
  });

  it('answers at the tip, as Kinesis does, when no record arrived after the timestamp (kinesalite hangs)', async () => {
    const stream = await newStream();
    await kinesis.send(new PutRecordsCommand({ StreamName: stream, Records: entries('old') }));
    const afterOld = await nextMillisecond();
    const { ShardIterator } = await kinesis.send(
      new GetShardIteratorCommand({
        StreamName: stream,
        ShardId: 'shardId-000000000000',
        ShardIteratorType: 'AT_TIMESTAMP',
        Timestamp: afterOld,
      }),
    );
    expect(await recordsFrom(ShardIterator)).toEqual([]);
    await kinesis.send(new PutRecordsCommand({ StreamName: stream, Records: entries('new') }));
    expect(await recordsFrom(ShardIterator)).toEqual(['new']);
  });
});

describe('GetRecords at a closed shard’s end', () => {
  /** The page that ends the shard: read from TRIM_HORIZON until no NextShardIterator comes. */
  async function endOf(stream: string, shardId: string) {
    let page = await kinesis.send(
      new GetRecordsCommand({ ShardIterator: await iteratorFor(stream, shardId) }),
    );
    const pages = [page];
    while (page.NextShardIterator) {
      page = await kinesis.send(new GetRecordsCommand({ ShardIterator: page.NextShardIterator }));
      pages.push(page);
    }
    return pages;
  }

  it('names the merged child with both parents, on the last page only (kinesalite names none)', async () => {
    const stream = await newStream(2);
    await kinesis.send(
      new PutRecordCommand({ StreamName: stream, Data: Buffer.from('r'), PartitionKey: 'k' }),
    );
    const { parents, children } = await reshard(kinesis, stream, 'merge');
    const { Shards = [] } = await kinesis.send(new ListShardsCommand({ StreamName: stream }));
    const child = Shards.find((s) => s.ShardId === children[0]);
    for (const parent of parents) {
      const pages = await endOf(stream, parent);
      expect(pages.slice(0, -1).every((p) => p.ChildShards === undefined)).toBe(true);
      expect(pages.at(-1)?.ChildShards).toEqual([
        { ShardId: children[0], ParentShards: parents, HashKeyRange: child?.HashKeyRange },
      ]);
    }
    // An open shard never ends: its pages carry an iterator and no ChildShards.
    const open = await kinesis.send(
      new GetRecordsCommand({ ShardIterator: await iteratorFor(stream, children[0]) }),
    );
    expect(open.NextShardIterator).toEqual(expect.any(String));
    expect(open.ChildShards).toBeUndefined();
  });
});
