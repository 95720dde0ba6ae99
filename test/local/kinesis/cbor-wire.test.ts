// The local Kinesis speaks Kinesis's CBOR (AWS CBOR 1.1) for GetRecords and the calls around it, driven by
// real SigV4-signed CBOR requests and checked against the stock SDK client's JSON calls through the same
// proxy, down to the CBOR major types a client relies on.
import {
  GetRecordsCommand,
  GetShardIteratorCommand,
  KinesisClient,
  ListShardsCommand,
  PutRecordsCommand,
  type _Record,
} from '@aws-sdk/client-kinesis';
import { cbor, tag } from '@smithy/core/cbor';
import { HttpRequest } from '@smithy/core/transport';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { SignatureV4 } from '@smithy/signature-v4';
import { aggregate } from '../../../functions/core/record-format/aggregate';
import { deaggregate } from '../../../functions/core/record-format/deaggregate';
import { LOCAL_CREDENTIALS } from '../../../local/harness';
import { createStreamAndWait, describeIterator } from '../../../local/kinesis';
import { reshard } from '../../../local/runner/resharding';
import { useLocalAws } from '../../support/local-aws';
import { nextMillisecond } from '../../support/next-millisecond';

const CBOR = 'application/x-amz-cbor-1.1';
const SHARD = 'shardId-000000000000';

const aws = useLocalAws({ kinesis: true });
const kinesis = () => aws().clients.client('kinesis', KinesisClient);
const handler = new NodeHttpHandler();
let streams = 0;

afterEach(() => aws().kinesis.clear());
afterAll(() => handler.destroy());

interface CborAnswer {
  readonly status: number;
  readonly contentType: string | undefined;
  /** The body as sent. */
  readonly raw: Buffer;
  /** The body as `cbor.deserialize` reads it. */
  readonly body: Record<string, unknown>;
}

/** One SigV4-signed POST to the local Kinesis, as the AWS SDK for Java sends it in CBOR. */
async function cborCall(
  operation: string,
  body: Uint8Array,
  to = aws().kinesis.endpoint,
): Promise<CborAnswer> {
  const endpoint = new URL(to);
  const signer = new SignatureV4({
    credentials: {
      accessKeyId: LOCAL_CREDENTIALS.accessKeyId,
      secretAccessKey: LOCAL_CREDENTIALS.secretAccessKey,
    },
    region: aws().region,
    service: 'kinesis',
    sha256: kinesis().config.sha256,
  });
  const request = new HttpRequest({
    method: 'POST',
    protocol: endpoint.protocol,
    hostname: endpoint.hostname,
    port: Number(endpoint.port),
    path: '/',
    headers: {
      host: endpoint.host,
      'content-type': CBOR,
      'x-amz-target': `Kinesis_20131202.${operation}`,
      'content-length': String(body.length),
    },
    body,
  });
  const { response } = await handler.handle((await signer.sign(request)) as HttpRequest);
  const chunks: Buffer[] = [];
  for await (const chunk of response.body as AsyncIterable<Buffer>) chunks.push(chunk);
  const raw = Buffer.concat(chunks);
  return {
    status: response.statusCode,
    contentType: response.headers['content-type'],
    raw,
    body: raw.length > 0 ? (cbor.deserialize(raw) as Record<string, unknown>) : {},
  };
}

const getRecords = (input: Record<string, unknown>) => cborCall('GetRecords', cbor.serialize(input));

async function newStream(shards = 1): Promise<string> {
  const name = `cbor-${++streams}`;
  await createStreamAndWait(kinesis(), name, shards);
  return name;
}

async function trimHorizon(stream: string, shardId = SHARD): Promise<string> {
  const { ShardIterator } = await kinesis().send(
    new GetShardIteratorCommand({ StreamName: stream, ShardId: shardId, ShardIteratorType: 'TRIM_HORIZON' }),
  );
  return ShardIterator as string;
}

/** Where the value of each occurrence of `key` (a CBOR text string) starts in `raw`. */
function valuesOf(raw: Buffer, key: string): number[] {
  const encoded = Buffer.from(cbor.serialize(key));
  const starts: number[] = [];
  for (let at = raw.indexOf(encoded); at >= 0; at = raw.indexOf(encoded, at + encoded.length)) {
    starts.push(at + encoded.length);
  }
  return starts;
}

/** The first byte of each value of `key`: its major type and argument. */
const headsAfterKey = (raw: Buffer, key: string) => valuesOf(raw, key).map((at) => raw[at]);

const majorType = (head: number) => head >> 5;

interface CborRecord {
  readonly SequenceNumber: string;
  readonly ApproximateArrivalTimestamp: { readonly tag: number; readonly value: number };
  readonly Data: Uint8Array;
  readonly PartitionKey: string;
  readonly EncryptionType?: string;
}

/** A CBOR record as the stock SDK's JSON reading of it would be, to compare the two. */
function asSdkRecord(record: CborRecord): _Record {
  expect(record.ApproximateArrivalTimestamp.tag).toBe(1);
  return {
    SequenceNumber: record.SequenceNumber,
    ApproximateArrivalTimestamp: new Date(record.ApproximateArrivalTimestamp.value),
    Data: Uint8Array.from(record.Data),
    PartitionKey: record.PartitionKey,
    ...(record.EncryptionType !== undefined ? { EncryptionType: record.EncryptionType as 'NONE' } : {}),
  };
}

describe('GetRecords in Kinesis CBOR', () => {
  it('answers the records the JSON GetRecords answers, plain and KPL-aggregated, byte for byte', async () => {
    const stream = await newStream();
    const users = Array.from({ length: 30 }, (_, i) => ({
      partitionKey: `u${i}`,
      data: Buffer.from(`user ${i}`),
    }));
    const [aggregated] = aggregate(users);
    expect(aggregated?.aggregated).toBe(true);
    await kinesis().send(
      new PutRecordsCommand({
        StreamName: stream,
        Records: [
          { PartitionKey: 'plain', Data: Buffer.from('hello') },
          { PartitionKey: 'ключ "quoted"', Data: Uint8Array.of(0, 255, 10, 34, 92, 0xc1) },
          { PartitionKey: aggregated!.partitionKey, Data: aggregated!.data },
        ],
      }),
    );
    const iterator = await trimHorizon(stream);
    const callsBefore = aws().kinesis.callCount('GetRecords');

    const answer = await getRecords({ ShardIterator: iterator });
    expect(answer.status).toBe(200);
    expect(answer.contentType).toBe(CBOR);
    expect(aws().kinesis.callCount('GetRecords')).toBe(callsBefore + 1);
    const json = await kinesis().send(new GetRecordsCommand({ ShardIterator: iterator }));

    const records = answer.body.Records as CborRecord[];
    expect(records).toHaveLength(3);
    expect(records.map(asSdkRecord)).toEqual(json.Records);
    expect(deaggregate({ partitionKey: 'x', data: records[2]!.Data })).toHaveLength(30);
    expect(answer.body.MillisBehindLatest).toBe(json.MillisBehindLatest);
    expect(describeIterator(answer.body.NextShardIterator as string)?.sequenceNumber).toBe(
      describeIterator(json.NextShardIterator as string)?.sequenceNumber,
    );
    // What a client relies on: Data a byte string (major type 2), never base64 text (3); the arrival
    // tag 1 (0xc1) over an unsigned integer (major type 0), never kinesalite's untagged float.
    expect(headsAfterKey(answer.raw, 'Data').map((head) => majorType(head!))).toEqual([2, 2, 2]);
    const arrivals = valuesOf(answer.raw, 'ApproximateArrivalTimestamp');
    expect(arrivals.map((at) => [answer.raw[at], majorType(answer.raw[at + 1]!)])).toEqual([
      [0xc1, 0],
      [0xc1, 0],
      [0xc1, 0],
    ]);
    expect(headsAfterKey(answer.raw, 'MillisBehindLatest').map((head) => majorType(head!))).toEqual([0]);
  });

  it('takes Limit and StreamARN, and says how far behind a short page is, as the JSON GetRecords does', async () => {
    const stream = await newStream();
    await kinesis().send(
      new PutRecordsCommand({
        StreamName: stream,
        Records: ['a', 'b', 'c'].map((d) => ({ PartitionKey: d, Data: Buffer.from(d) })),
      }),
    );
    // Kinesalite stamps arrivals with the real clock: from the next millisecond on, b is behind the tip.
    await nextMillisecond();
    const first = await getRecords({
      ShardIterator: await trimHorizon(stream),
      Limit: 2,
      StreamARN: `arn:aws:kinesis:${aws().region}:000000000000:stream/${stream}`,
    });
    expect(first.status).toBe(200);
    const records = first.body.Records as CborRecord[];
    expect(records.map((r) => Buffer.from(r.Data).toString())).toEqual(['a', 'b']);
    // The proxy's MillisBehindLatest (kinesalite says 0): c is left, so the page is behind by b's age.
    expect(first.body.MillisBehindLatest).toBeGreaterThanOrEqual(1);
    expect(first.body.MillisBehindLatest).toBeLessThanOrEqual(
      Date.now() - records[1]!.ApproximateArrivalTimestamp.value + 1,
    );
    const rest = await getRecords({ ShardIterator: first.body.NextShardIterator });
    expect((rest.body.Records as CborRecord[]).map((r) => Buffer.from(r.Data).toString())).toEqual(['c']);
    expect(rest.body.MillisBehindLatest).toBe(0);
  });

  it('answers an empty page with no records, an iterator and MillisBehindLatest 0', async () => {
    const stream = await newStream();
    const answer = await getRecords({ ShardIterator: await trimHorizon(stream) });
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual({
      Records: [],
      NextShardIterator: expect.any(String),
      MillisBehindLatest: 0,
    });
    // An empty array: major type 4, length 0.
    expect(headsAfterKey(answer.raw, 'Records')).toEqual([0x80]);
  });

  it('ends a closed shard with ChildShards and no NextShardIterator, as the JSON GetRecords does', async () => {
    const stream = await newStream();
    await kinesis().send(
      new PutRecordsCommand({
        StreamName: stream,
        Records: [{ PartitionKey: 'k', Data: Buffer.from('last') }],
      }),
    );
    const { children } = await reshard(kinesis(), stream, 'split');
    let iterator: unknown = await trimHorizon(stream);
    let page: CborAnswer | undefined;
    const data: string[] = [];
    for (let reads = 0; typeof iterator === 'string' && reads < 10; reads++) {
      page = await getRecords({ ShardIterator: iterator });
      expect(page.status).toBe(200);
      data.push(...(page.body.Records as CborRecord[]).map((r) => Buffer.from(r.Data).toString()));
      iterator = page.body.NextShardIterator;
      // Kinesis names the children only on the page that ends the shard.
      if (typeof iterator === 'string') expect(page.body).not.toHaveProperty('ChildShards');
    }
    expect(data).toEqual(['last']);
    expect(page?.body).not.toHaveProperty('NextShardIterator');
    const childShards = page?.body.ChildShards as { ShardId: string; ParentShards: string[] }[];
    expect(childShards.map((c) => c.ShardId).sort()).toEqual([...children].sort());
    for (const child of childShards) {
      expect(child).toEqual({
        ShardId: child.ShardId,
        ParentShards: [SHARD],
        HashKeyRange: {
          StartingHashKey: expect.stringMatching(/^\d+$/),
          EndingHashKey: expect.stringMatching(/^\d+$/),
        },
      });
    }
    const json = await lastJsonPage(await trimHorizon(stream));
    expect(json.NextShardIterator).toBeUndefined();
    expect(json.ChildShards).toEqual(childShards);
  });
});

async function lastJsonPage(start: string) {
  let page = await kinesis().send(new GetRecordsCommand({ ShardIterator: start }));
  while (page.NextShardIterator)
    page = await kinesis().send(new GetRecordsCommand({ ShardIterator: page.NextShardIterator }));
  return page;
}

describe('errors in Kinesis CBOR', () => {
  it('answers an injected throttle with ProvisionedThroughputExceededException, 400, in CBOR', async () => {
    const stream = await newStream();
    const iterator = await trimHorizon(stream);
    aws().kinesis.throttleGetRecords(1);
    const answer = await getRecords({ ShardIterator: iterator });
    expect(answer.status).toBe(400);
    expect(answer.contentType).toBe(CBOR);
    expect(answer.body).toEqual({
      __type: 'ProvisionedThroughputExceededException',
      message: `Rate exceeded for shard ${SHARD} in stream ${stream} under account 000000000000.`,
    });
    expect(aws().kinesis.injectedCount('GetRecords')).toBe(1);
    expect((await getRecords({ ShardIterator: iterator })).status).toBe(200);
  });

  it('answers an injected expired iterator with ExpiredIteratorException, 400, in CBOR', async () => {
    const stream = await newStream();
    aws().kinesis.expireIterators(1);
    const answer = await getRecords({ ShardIterator: await trimHorizon(stream) });
    expect(answer.status).toBe(400);
    expect(answer.contentType).toBe(CBOR);
    expect(answer.body).toEqual({
      __type: 'ExpiredIteratorException',
      message: expect.stringMatching(/^Iterator expired\./),
    });
  });

  it('answers kinesalite’s own errors and the proxy’s 500s in CBOR', async () => {
    const invalid = await getRecords({ ShardIterator: 'AAAAAAAAAAAA' });
    expect(invalid.status).toBe(400);
    expect(invalid.contentType).toBe(CBOR);
    expect(invalid.body).toEqual({ __type: 'InvalidArgumentException', message: 'Invalid ShardIterator.' });

    const stream = await newStream();
    const iterator = await trimHorizon(stream);
    aws().kinesis.inject({ operation: 'GetRecords', code: 'InternalFailure' });
    const injected = await getRecords({ ShardIterator: iterator });
    expect([injected.status, injected.contentType, injected.body.__type]).toEqual([
      500,
      CBOR,
      'InternalFailure',
    ]);

    // A fault predicate that throws stands in for a bug in the proxy: its catch-all 500.
    aws().kinesis.inject({
      operation: 'GetRecords',
      code: 'InternalFailure',
      when: () => {
        throw new Error('a predicate failed');
      },
    });
    const crashed = await getRecords({ ShardIterator: iterator });
    expect([crashed.status, crashed.contentType]).toEqual([500, CBOR]);
    expect(crashed.body).toEqual({
      __type: 'InternalFailure',
      message: 'Local Kinesis proxy: Error: a predicate failed',
    });
  });

  it('answers a body it cannot read with SerializationException, 400, in CBOR', async () => {
    const stream = await newStream();
    const good = Buffer.from(cbor.serialize({ ShardIterator: await trimHorizon(stream) }));
    const callsBefore = aws().kinesis.callCount('GetRecords');
    const bodies: [string, Uint8Array][] = [
      ['truncated', good.subarray(0, good.length - 5)],
      ['empty', new Uint8Array(0)],
      ['not a map', cbor.serialize(['ShardIterator'])],
      ['an iterator as bytes', cbor.serialize({ ShardIterator: Buffer.from('AAAA') })],
    ];
    for (const [what, body] of bodies) {
      const answer = await cborCall('GetRecords', body);
      expect([what, answer.status, answer.contentType, answer.body.__type]).toEqual([
        what,
        400,
        CBOR,
        'SerializationException',
      ]);
      expect(answer.body.message).toEqual(expect.any(String));
    }
    expect(aws().kinesis.callCount('GetRecords')).toBe(callsBefore);
    expect((await cborCall('GetRecords', good)).status).toBe(200);
  });
});

describe('writes and the calls around reads in Kinesis CBOR', () => {
  it('PutRecords and PutRecord write the byte strings given, read back by the JSON GetRecords', async () => {
    const stream = await newStream();
    const [aggregated] = aggregate(
      Array.from({ length: 5 }, (_, i) => ({ partitionKey: `u${i}`, data: Buffer.from(`user ${i}`) })),
    );
    const binary = Uint8Array.of(0, 255, 10, 34, 92, 0xc1);
    const before = aws().kinesis.callCount('PutRecords');
    const put = await cborCall(
      'PutRecords',
      cbor.serialize({
        StreamName: stream,
        Records: [
          { PartitionKey: 'binary', Data: binary },
          { PartitionKey: aggregated!.partitionKey, Data: aggregated!.data },
        ],
      }),
    );
    expect([put.status, put.contentType]).toEqual([200, CBOR]);
    expect(put.body).toEqual({
      FailedRecordCount: 0,
      Records: [
        { ShardId: SHARD, SequenceNumber: expect.stringMatching(/^\d+$/) },
        { ShardId: SHARD, SequenceNumber: expect.stringMatching(/^\d+$/) },
      ],
    });
    expect(aws().kinesis.callCount('PutRecords')).toBe(before + 1);
    const one = await cborCall(
      'PutRecord',
      cbor.serialize({ StreamName: stream, PartitionKey: 'one', Data: Buffer.from('one') }),
    );
    expect(one.body).toEqual({ ShardId: SHARD, SequenceNumber: expect.stringMatching(/^\d+$/) });

    const read = await kinesis().send(new GetRecordsCommand({ ShardIterator: await trimHorizon(stream) }));
    expect(read.Records?.map((r) => [r.PartitionKey, Buffer.from(r.Data!).toString('hex')])).toEqual([
      ['binary', Buffer.from(binary).toString('hex')],
      [aggregated!.partitionKey, Buffer.from(aggregated!.data).toString('hex')],
      ['one', Buffer.from('one').toString('hex')],
    ]);
  });

  it('answers PutRecords’ injected entry failures in CBOR, the failed entries unwritten', async () => {
    const stream = await newStream();
    aws().kinesis.failPutRecordsEntries({
      failEntry: (_, index) => (index === 1 ? 'ProvisionedThroughputExceededException' : undefined),
    });
    const put = await cborCall(
      'PutRecords',
      cbor.serialize({
        StreamName: stream,
        Records: ['a', 'b', 'c'].map((d) => ({ PartitionKey: d, Data: Buffer.from(d) })),
      }),
    );
    expect(put.status).toBe(200);
    expect(put.body.FailedRecordCount).toBe(1);
    expect((put.body.Records as { ErrorCode?: string }[]).map((r) => r.ErrorCode)).toEqual([
      undefined,
      'ProvisionedThroughputExceededException',
      undefined,
    ]);
    const read = await getRecords({ ShardIterator: await trimHorizon(stream) });
    expect((read.body.Records as CborRecord[]).map((r) => Buffer.from(r.Data).toString())).toEqual([
      'a',
      'c',
    ]);
  });

  it('GetShardIterator takes an AT_TIMESTAMP Timestamp as tag 1 over epoch milliseconds', async () => {
    const stream = await newStream();
    await kinesis().send(
      new PutRecordsCommand({
        StreamName: stream,
        Records: [{ PartitionKey: 'k', Data: Buffer.from('before') }],
      }),
    );
    const at = await nextMillisecond();
    await kinesis().send(
      new PutRecordsCommand({
        StreamName: stream,
        Records: [{ PartitionKey: 'k', Data: Buffer.from('after') }],
      }),
    );
    const answer = await cborCall(
      'GetShardIterator',
      cbor.serialize({
        StreamName: stream,
        ShardId: SHARD,
        ShardIteratorType: 'AT_TIMESTAMP',
        Timestamp: tag({ tag: 1, value: at.getTime() }),
      }),
    );
    expect([answer.status, answer.contentType]).toEqual([200, CBOR]);
    const read = await getRecords({ ShardIterator: answer.body.ShardIterator });
    expect((read.body.Records as CborRecord[]).map((r) => Buffer.from(r.Data).toString())).toEqual(['after']);
  });

  it('ListShards answers the shards the JSON ListShards answers, counted by the proxy', async () => {
    const stream = await newStream(3);
    const before = aws().kinesis.callCount('ListShards');
    const answer = await cborCall('ListShards', cbor.serialize({ StreamName: stream, MaxResults: 2 }));
    expect([answer.status, answer.contentType]).toEqual([200, CBOR]);
    const json = await kinesis().send(new ListShardsCommand({ StreamName: stream, MaxResults: 2 }));
    expect(answer.body.Shards).toEqual(json.Shards);
    expect(typeof answer.body.NextToken).toBe('string');
    expect(aws().kinesis.callCount('ListShards')).toBe(before + 2);
  });
});

describe('other operations in CBOR', () => {
  it('go to kinesalite untouched: not counted, answered in kinesalite’s own CBOR', async () => {
    const stream = await newStream();
    const before = aws().kinesis.callCount('DescribeStreamSummary');
    const answer = await cborCall('DescribeStreamSummary', cbor.serialize({ StreamName: stream }));
    expect(answer.status).toBe(200);
    const summary = answer.body.StreamDescriptionSummary as Record<string, unknown>;
    expect(summary.StreamName).toBe(stream);
    // Kinesalite's timestamp: an untagged integer (major type 0) of epoch seconds, not Kinesis's tag 1
    // over milliseconds.
    const created = valuesOf(answer.raw, 'StreamCreationTimestamp');
    expect(created.map((at) => majorType(answer.raw[at]!))).toEqual([0]);
    expect(summary.StreamCreationTimestamp).toBeLessThan(Date.now() / 100);
    expect(aws().kinesis.callCount('DescribeStreamSummary')).toBe(before);
  });
});

describe('behind the EFO server', () => {
  const efo = useLocalAws({ kinesis: { enhancedFanOut: true } });

  it('forwards a CBOR GetRecords to the proxy, which answers it in Kinesis CBOR', async () => {
    const client = efo().clients.client('kinesis', KinesisClient);
    await createStreamAndWait(client, 'behind-efo', 1);
    await client.send(
      new PutRecordsCommand({
        StreamName: 'behind-efo',
        Records: [{ PartitionKey: 'k', Data: Buffer.from('x') }],
      }),
    );
    const { ShardIterator } = await client.send(
      new GetShardIteratorCommand({
        StreamName: 'behind-efo',
        ShardId: SHARD,
        ShardIteratorType: 'TRIM_HORIZON',
      }),
    );
    const answer = await cborCall('GetRecords', cbor.serialize({ ShardIterator }), efo().efo.endpoint);
    expect([answer.status, answer.contentType]).toEqual([200, CBOR]);
    expect(headsAfterKey(answer.raw, 'Data').map((head) => majorType(head!))).toEqual([2]);
    expect(efo().efo.callCount('GetRecords')).toBe(1);
    expect(efo().kinesis.callCount('GetRecords')).toBe(1);
  });
});
