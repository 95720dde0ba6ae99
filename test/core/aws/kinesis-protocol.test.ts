import {
  ExpiredIteratorException,
  GetRecordsCommand,
  GetShardIteratorCommand,
  KinesisClient,
  ProvisionedThroughputExceededException,
  PutRecordsCommand,
  type GetRecordsOutput,
} from '@aws-sdk/client-kinesis';
import fc from 'fast-check';
import { AwsClientFactory } from '../../../functions/core/aws/clients';
import { parseGetRecordsJson } from '../../../functions/core/aws/get-records-json';
import { KinesisReadProtocol } from '../../../functions/core/aws/kinesis-protocol';
import { classifyError } from '../../../functions/core/aws/retry';
import { aggregate, deaggregate } from '../../../functions/core/record-format';
import { startKinesalite } from '../../../local/kinesis/kinesalite';
import { createStreamAndWait } from '../../../local/kinesis/streams';
import { CannedServer } from '../../support/canned-server';

/**
 * The GetRecords fast path against the SDK's own parser: the same response bytes, served over HTTP by
 * a local server, read by a client with our protocol and by a stock client; the outputs must be equal.
 */

const canned = new CannedServer();
let ours: KinesisClient;
let stock: KinesisClient;
let factory: AwsClientFactory;

beforeAll(async () => {
  const endpoint = await canned.start();
  factory = new AwsClientFactory({
    region: 'us-east-1',
    endpoint,
    credentials: { provider: 'BASIC', accessKeyId: 'AKIDTEST', secretAccessKey: 'secret' },
    // The JSON protocol's parser, against the SDK's (get-records-cbor.test.ts has the CBOR one).
    kinesisCbor: false,
  });
  ours = factory.client('kinesis', KinesisClient);
  const { protocol, ...stockConfig } = factory.config('kinesis');
  expect(protocol).toBe(KinesisReadProtocol);
  stock = new KinesisClient(stockConfig);
});

afterAll(async () => {
  factory.destroy();
  stock.destroy();
  await canned.close();
});

function withoutMetadata(output: GetRecordsOutput): GetRecordsOutput {
  const { $metadata: _metadata, ...rest } = output as GetRecordsOutput & { $metadata?: unknown };
  return rest as GetRecordsOutput;
}

/** Both clients' outputs for one body, without `$metadata`; also checks the metadata matches. */
async function bothParse(body: string | Buffer): Promise<{ ours: GetRecordsOutput; sdk: GetRecordsOutput }> {
  canned.answer = { status: 200, body };
  const fast = await ours.send(new GetRecordsCommand({ ShardIterator: 'it' }));
  const sdk = await stock.send(new GetRecordsCommand({ ShardIterator: 'it' }));
  expect(fast.$metadata.requestId).toBe('test-request');
  expect(fast.$metadata.httpStatusCode).toBe(200);
  // The parser itself read the body (no fallback to the SDK's parser).
  expect(parseGetRecordsJson(Buffer.from(body))).toEqual(withoutMetadata(sdk));
  return { ours: withoutMetadata(fast), sdk: withoutMetadata(sdk) };
}

const SEQUENCE = '49590338271490256608559692538361571095921575989136588898';
const b64 = (text: string | Uint8Array) => Buffer.from(text).toString('base64');

describe('GetRecords through KinesisReadProtocol', () => {
  it('parses records as Kinesis writes them exactly as the SDK does', async () => {
    // Kinesis (Jackson) writes the arrival time as a double in exponent notation.
    const body =
      `{"MillisBehindLatest":2100,"NextShardIterator":"AAAAAAAAAAGxyz+/=","Records":[` +
      `{"SequenceNumber":"${SEQUENCE}","ApproximateArrivalTimestamp":1.765000000123E9,` +
      `"Data":"${b64('{"id":1}')}","PartitionKey":"user-1"},` +
      `{"SequenceNumber":"${SEQUENCE}1","ApproximateArrivalTimestamp":1.7650000001235E9,` +
      `"Data":"${b64('')}","PartitionKey":"ключ-🔑","EncryptionType":"KMS"}]}`;
    const { ours: fast, sdk } = await bothParse(body);
    expect(fast).toEqual(sdk);
    expect(fast.Records).toHaveLength(2);
    expect(Buffer.from(fast.Records![0]!.Data!).toString()).toBe('{"id":1}');
    expect(fast.Records![0]!.Data).toBeInstanceOf(Uint8Array);
    expect(fast.Records![0]!.ApproximateArrivalTimestamp).toEqual(new Date(1_765_000_000_123));
    expect(fast.Records![1]!.PartitionKey).toBe('ключ-🔑');
    expect(fast.Records![1]!.EncryptionType).toBe('KMS');
    expect(fast.MillisBehindLatest).toBe(2100);
  });

  it('reads KPL aggregated records to the same bytes, which deaggregate into the user records', async () => {
    const users = Array.from({ length: 50 }, (_, i) => ({
      partitionKey: `key-${i}`,
      data: Buffer.from(JSON.stringify({ n: i, pad: 'x'.repeat(i * 7) })),
    }));
    const [record] = aggregate(users, { maxSize: 1_000_000 });
    const body = JSON.stringify({
      Records: [
        {
          SequenceNumber: SEQUENCE,
          ApproximateArrivalTimestamp: 1765000000.5,
          Data: b64(record!.data),
          PartitionKey: record!.partitionKey,
        },
      ],
      NextShardIterator: 'it-2',
      MillisBehindLatest: 0,
    });
    const { ours: fast, sdk } = await bothParse(body);
    expect(fast).toEqual(sdk);
    const read = deaggregate({ partitionKey: 'x', data: fast.Records![0]!.Data! });
    expect(read.map((u) => Buffer.from(u.data).toString())).toEqual(users.map((u) => u.data.toString()));
  });

  it('reads an empty response, and the end of a shard with its child shards', async () => {
    const empty = await bothParse('{"Records":[],"NextShardIterator":"it-3","MillisBehindLatest":0}');
    expect(empty.ours).toEqual(empty.sdk);
    expect(empty.ours).toEqual({ Records: [], NextShardIterator: 'it-3', MillisBehindLatest: 0 });

    const childShards = [
      {
        ShardId: 'shardId-000000000002',
        ParentShards: ['shardId-000000000000', 'shardId-000000000001'],
        HashKeyRange: { StartingHashKey: '0', EndingHashKey: '340282366920938463463374607431768211455' },
      },
    ];
    for (const end of [
      `{"Records":[],"NextShardIterator":null,"MillisBehindLatest":0,"ChildShards":${JSON.stringify(childShards)}}`,
      `{"Records":[],"MillisBehindLatest":0,"ChildShards":${JSON.stringify(childShards)}}`,
    ]) {
      const { ours: fast, sdk } = await bothParse(end);
      expect(fast).toEqual(sdk);
      expect(fast.NextShardIterator).toBeUndefined();
      expect(fast.ChildShards).toEqual(childShards);
    }
  });

  it('tolerates whitespace, unknown members and escaped strings as the SDK does', async () => {
    const body =
      `{ "Records" : [ { "Unknown" : {"a":[1,{"b":"]}"}]}, "SequenceNumber" : "${SEQUENCE}",\n` +
      `"ApproximateArrivalTimestamp" : 1765000000, "Data" : "${b64('x')}", "PartitionKey" : "a\\"b\\u00e9" } ],\n` +
      ` "NextShardIterator" : "it", "NewTopLevel": true, "MillisBehindLatest" : 5 }`;
    const { ours: fast, sdk } = await bothParse(body);
    expect(fast).toEqual(sdk);
    expect(fast.Records![0]!.PartitionKey).toBe('a"bé');
  });

  it('returns records that keep their bytes after later responses reuse the receive buffer', async () => {
    const page = (text: string) =>
      JSON.stringify({
        Records: [
          { SequenceNumber: SEQUENCE, ApproximateArrivalTimestamp: 1, Data: b64(text), PartitionKey: text },
        ],
        NextShardIterator: text,
      });
    canned.answer = { status: 200, body: page('first'.repeat(10_000)) };
    const first = await ours.send(new GetRecordsCommand({ ShardIterator: 'it' }));
    for (const text of ['second', 'third'.repeat(20_000), 'fourth']) {
      canned.answer = { status: 200, body: page(text) };
      await ours.send(new GetRecordsCommand({ ShardIterator: 'it' }));
    }
    expect(Buffer.from(first.Records![0]!.Data!).toString()).toBe('first'.repeat(10_000));
    expect(first.Records![0]!.PartitionKey).toBe('first'.repeat(10_000));
    expect(first.NextShardIterator).toBe('first'.repeat(10_000));
  });

  it('keeps every record of earlier responses intact while later ones decode into the same slabs', async () => {
    // Small records share 64 KiB slabs, records over 8 KiB get buffers of their own.
    const sizes = [1, 100, 8_000, 8_192, 8_193, 30_000, 5, 70_000, 3, ...Array<number>(40).fill(3_000)];
    const pages: { ours: GetRecordsOutput; body: string }[] = [];
    for (let page = 0; page < 4; page++) {
      const body = JSON.stringify({
        Records: sizes.map((size, i) => ({
          SequenceNumber: `${SEQUENCE}${page}${i}`,
          ApproximateArrivalTimestamp: 1765000000 + page,
          Data: b64(Buffer.alloc(size, (page * 31 + i * 7) & 0xff)),
          PartitionKey: `p${page}-${i}`,
        })),
        NextShardIterator: `it-${page}`,
      });
      canned.answer = { status: 200, body };
      pages.push({
        ours: withoutMetadata(await ours.send(new GetRecordsCommand({ ShardIterator: 'it' }))),
        body,
      });
    }
    // Only now, after every page was read, compare each with the stock parser's reading of its body
    // (the data as whole buffers: element-wise equality of 64 KiB arrays is slow).
    const dataless = (o: GetRecordsOutput) => o.Records!.map(({ Data: _data, ...rest }) => rest);
    for (const { ours: fast, body } of pages) {
      canned.answer = { status: 200, body };
      const sdk = withoutMetadata(await stock.send(new GetRecordsCommand({ ShardIterator: 'it' })));
      expect(dataless(fast)).toEqual(dataless(sdk));
      expect(fast.NextShardIterator).toBe(sdk.NextShardIterator);
      fast.Records!.forEach((record, i) => {
        expect(Buffer.from(record.Data!).equals(Buffer.from(sdk.Records![i]!.Data!))).toBe(true);
      });
    }
  });

  it('gives a body it cannot read to the SDK parser, which fails it the same way', async () => {
    canned.answer = { status: 200, body: '{"Records":[{"Data":' };
    const fast = await ours.send(new GetRecordsCommand({ ShardIterator: 'it' })).catch((e: unknown) => e);
    const sdk = await stock.send(new GetRecordsCommand({ ShardIterator: 'it' })).catch((e: unknown) => e);
    expect(fast).toBeInstanceOf(Error);
    expect((fast as Error).name).toBe((sdk as Error).name);
    expect(parseGetRecordsJson(Buffer.from('{"Records":[{"Data":'))).toBeUndefined();
  });

  it.each([
    ['ExpiredIteratorException', ExpiredIteratorException, 'fatal'],
    ['ProvisionedThroughputExceededException', ProvisionedThroughputExceededException, 'throttled'],
  ] as const)('keeps %s typed as the SDK types it', async (name, ErrorClass, kind) => {
    canned.answer = { status: 400, body: JSON.stringify({ __type: name, message: 'from the test server' }) };
    const error = await ours.send(new GetRecordsCommand({ ShardIterator: 'it' })).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ErrorClass);
    expect((error as Error).name).toBe(name);
    expect((error as Error).message).toBe('from the test server');
    expect(classifyError(error)).toBe(kind);
  });

  it('matches the SDK on random records', async () => {
    const record = fc.record({
      partitionKey: fc.string({ minLength: 1, maxLength: 40, unit: 'grapheme' }),
      data: fc.uint8Array({ maxLength: 300 }),
      millis: fc.integer({ min: 0, max: 4_102_444_800_000 }),
      exponent: fc.boolean(),
    });
    await fc.assert(
      fc.asyncProperty(fc.array(record, { maxLength: 20 }), fc.option(fc.nat()), async (records, behind) => {
        let body = JSON.stringify({
          Records: records.map((r, i) => ({
            SequenceNumber: `${SEQUENCE}${i}`,
            ApproximateArrivalTimestamp: r.millis / 1000,
            Data: b64(r.data),
            PartitionKey: r.partitionKey,
          })),
          NextShardIterator: 'it',
          ...(behind === null ? {} : { MillisBehindLatest: behind }),
        });
        // Half the time, timestamps in Java's exponent notation, as Kinesis writes them.
        body = body.replace(/"ApproximateArrivalTimestamp":(\d+(?:\.\d+)?)/g, (whole, seconds: string) =>
          records.length && records[0]!.exponent
            ? `"ApproximateArrivalTimestamp":${Number(seconds).toExponential()}`
            : whole,
        );
        const { ours: fast, sdk } = await bothParse(body);
        expect(fast).toEqual(sdk);
      }),
      { numRuns: 60 },
    );
  });
});

describe('GetRecords from kinesalite through KinesisReadProtocol', () => {
  it('reads plain and aggregated records exactly as the stock SDK client does', async () => {
    const kinesalite = await startKinesalite();
    const settings = {
      region: 'us-east-1',
      endpoint: kinesalite.endpoint,
      credentials: { provider: 'BASIC' as const, accessKeyId: 'AKIDTEST', secretAccessKey: 'secret' },
      kinesisCbor: false,
    };
    const aws = new AwsClientFactory(settings);
    const { protocol: _protocol, ...stockConfig } = aws.config('kinesis');
    const sdk = new KinesisClient(stockConfig);
    try {
      const kinesis = aws.client('kinesis', KinesisClient);
      await createStreamAndWait(kinesis, 'fast-path', 1);
      const users = Array.from({ length: 30 }, (_, i) => ({
        partitionKey: `ü-${i}`,
        data: Buffer.from(JSON.stringify({ i })),
      }));
      const [aggregated] = aggregate(users);
      await kinesis.send(
        new PutRecordsCommand({
          StreamName: 'fast-path',
          Records: [
            { PartitionKey: 'plain', Data: Buffer.from('hello') },
            { PartitionKey: 'ключ "quoted"', Data: new Uint8Array([0, 255, 10, 34, 92]) },
            { PartitionKey: aggregated!.partitionKey, Data: aggregated!.data },
          ],
        }),
      );
      const iterator = async (client: KinesisClient) =>
        (
          await client.send(
            new GetShardIteratorCommand({
              StreamName: 'fast-path',
              ShardId: 'shardId-000000000000',
              ShardIteratorType: 'TRIM_HORIZON',
            }),
          )
        ).ShardIterator;
      const fast = await kinesis.send(new GetRecordsCommand({ ShardIterator: await iterator(kinesis) }));
      const slow = await sdk.send(new GetRecordsCommand({ ShardIterator: await iterator(sdk) }));
      const strip = (o: GetRecordsOutput) => ({ ...withoutMetadata(o), NextShardIterator: undefined });
      expect(strip(fast)).toEqual(strip(slow));
      expect(fast.Records).toHaveLength(3);
      expect(fast.Records![1]!.PartitionKey).toBe('ключ "quoted"');
      expect([...fast.Records![1]!.Data!]).toEqual([0, 255, 10, 34, 92]);
      const read = deaggregate({ partitionKey: 'x', data: fast.Records![2]!.Data! });
      expect(read.map((u) => u.partitionKey)).toEqual(users.map((u) => u.partitionKey));
      // Past the last record: an empty page, still with an iterator (the shard is open).
      const next = await kinesis.send(new GetRecordsCommand({ ShardIterator: fast.NextShardIterator }));
      expect(next.Records).toEqual([]);
      expect(next.NextShardIterator).toEqual(expect.any(String));
    } finally {
      aws.destroy();
      sdk.destroy();
      await kinesalite.close();
    }
  });
});

describe('PutRecords through KinesisReadProtocol', () => {
  it('sends the body the SDK would send, for any records', async () => {
    const entry = fc.record(
      {
        PartitionKey: fc.string({ minLength: 1, maxLength: 30, unit: 'grapheme' }),
        Data: fc.uint8Array({ maxLength: 2000 }),
        ExplicitHashKey: fc.bigInt({ min: 0n, max: (1n << 128n) - 1n }).map(String),
      },
      { requiredKeys: ['PartitionKey', 'Data'] },
    );
    await fc.assert(
      fc.asyncProperty(
        fc.array(entry, { minLength: 1, maxLength: 30 }),
        fc.boolean(),
        async (records, arn) => {
          const input = {
            Records: records,
            ...(arn
              ? { StreamARN: 'arn:aws:kinesis:us-east-1:123456789012:stream/s' }
              : { StreamName: 's "q"' }),
          };
          canned.answer = { status: 200, body: '{"FailedRecordCount":0,"Records":[]}' };
          await ours.send(new PutRecordsCommand(input));
          const fast = canned.lastBody;
          await stock.send(new PutRecordsCommand(input));
          expect(JSON.parse(fast.toString())).toEqual(JSON.parse(canned.lastBody.toString()));
        },
      ),
      { numRuns: 40 },
    );
  });

  it('leaves a PutRecords call without records to the SDK', async () => {
    canned.answer = { status: 200, body: '{"FailedRecordCount":0,"Records":[]}' };
    await ours.send(new PutRecordsCommand({ StreamName: 's', Records: [] }));
    expect(JSON.parse(canned.lastBody.toString())).toEqual({ StreamName: 's', Records: [] });
  });
});
