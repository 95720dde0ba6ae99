import {
  ExpiredIteratorException,
  GetRecordsCommand,
  GetShardIteratorCommand,
  KinesisClient,
  ProvisionedThroughputExceededException,
  PutRecordsCommand,
  type GetRecordsCommandOutput,
  type GetRecordsOutput,
  type _Record,
} from '@aws-sdk/client-kinesis';
import { cbor, tag } from '@smithy/core/cbor';
import fc from 'fast-check';
import { AwsClientFactory } from '../../../functions/core/aws/clients';
import {
  CBOR_CONTENT_TYPE,
  CborBodyError,
  getRecordsRequestCbor,
  parseGetRecordsCbor,
} from '../../../functions/core/aws/get-records-cbor';
import { parseGetRecordsJson } from '../../../functions/core/aws/get-records-json';
import { KinesisCborReadProtocol } from '../../../functions/core/aws/kinesis-protocol';
import { classifyError } from '../../../functions/core/aws/retry';
import { kinesisReadApi } from '../../../functions/core/consumer/kinesis-api';
import { aggregate, deaggregate } from '../../../functions/core/record-format';
import { startKinesalite } from '../../../local/kinesis/kinesalite';
import { createStreamAndWait } from '../../../local/kinesis/streams';
import { CannedServer } from '../../support/canned-server';

/**
 * GetRecords in Kinesis's CBOR protocol. The fixtures are written in the format the AWS SDK for Java
 * reads from Kinesis (its default protocol there): record data as byte strings, timestamps as tag 1
 * with epoch milliseconds, maps of definite length (the SDK's own CBOR codec, `@smithy/core/cbor`) or
 * of indefinite length (as Jackson's CBOR generator writes them, by a small writer below). Every output
 * is compared with what the JSON parser (itself held to the SDK's parser) makes of the same records.
 */

const SEQUENCE = '49590338271490256608559692538361571095921575989136588898';
const ARRIVAL_MILLIS = 1_765_000_000_123;

interface FixtureRecord {
  readonly sequenceNumber: string;
  readonly arrivalMillis: number;
  readonly data: Uint8Array;
  readonly partitionKey: string;
  readonly encryptionType?: string;
}

/** A response in Kinesis's CBOR format, with definite lengths (the SDK's own codec). */
function kinesisCbor(
  records: readonly FixtureRecord[],
  rest: Record<string, unknown> = { NextShardIterator: 'it-next', MillisBehindLatest: 0 },
): Uint8Array {
  return cbor.serialize({
    Records: records.map((r) => ({
      SequenceNumber: r.sequenceNumber,
      ApproximateArrivalTimestamp: tag({ tag: 1, value: r.arrivalMillis }),
      Data: r.data,
      PartitionKey: r.partitionKey,
      ...(r.encryptionType !== undefined ? { EncryptionType: r.encryptionType } : {}),
    })),
    ...rest,
  });
}

/** The same response in Kinesis's JSON format (epoch seconds in Java's double notation). */
function kinesisJson(records: readonly FixtureRecord[], rest: Record<string, unknown>): Buffer {
  return Buffer.from(
    JSON.stringify({
      Records: records.map((r) => ({
        SequenceNumber: r.sequenceNumber,
        ApproximateArrivalTimestamp: r.arrivalMillis / 1000,
        Data: Buffer.from(r.data).toString('base64'),
        PartitionKey: r.partitionKey,
        ...(r.encryptionType !== undefined ? { EncryptionType: r.encryptionType } : {}),
      })),
      ...rest,
    }),
  );
}

/** A minimal CBOR writer for what the SDK's codec does not write: indefinite lengths, chunks, floats. */
class Writer {
  private readonly parts: Buffer[] = [];
  head(major: number, value: number): this {
    if (value < 24) this.parts.push(Buffer.from([(major << 5) | value]));
    else if (value < 0x100) this.parts.push(Buffer.from([(major << 5) | 24, value]));
    else if (value < 0x10000) this.parts.push(Buffer.from([(major << 5) | 25, value >> 8, value & 0xff]));
    else if (value < 2 ** 32) {
      const b = Buffer.alloc(5);
      b[0] = (major << 5) | 26;
      b.writeUInt32BE(value, 1);
      this.parts.push(b);
    } else {
      const b = Buffer.alloc(9);
      b[0] = (major << 5) | 27;
      b.writeUInt32BE(Math.floor(value / 2 ** 32), 1);
      b.writeUInt32BE(value % 2 ** 32, 5);
      this.parts.push(b);
    }
    return this;
  }
  indefinite(major: number): this {
    this.parts.push(Buffer.from([(major << 5) | 31]));
    return this;
  }
  end(): this {
    this.parts.push(Buffer.from([0xff]));
    return this;
  }
  text(value: string): this {
    const bytes = Buffer.from(value);
    return this.head(3, bytes.length).raw(bytes);
  }
  bytes(value: Uint8Array): this {
    return this.head(2, value.length).raw(Buffer.from(value));
  }
  float64(value: number): this {
    const b = Buffer.alloc(9);
    b[0] = 0xfb;
    b.writeDoubleBE(value, 1);
    return this.raw(b);
  }
  raw(bytes: Buffer): this {
    this.parts.push(bytes);
    return this;
  }
  done(): Buffer {
    return Buffer.concat(this.parts);
  }
}

const withoutMetadata = (output: GetRecordsOutput): GetRecordsOutput => {
  const { $metadata: _metadata, ...rest } = output as GetRecordsOutput & { $metadata?: unknown };
  return rest as GetRecordsOutput;
};

const sample: FixtureRecord[] = [
  {
    sequenceNumber: SEQUENCE,
    arrivalMillis: ARRIVAL_MILLIS,
    data: Buffer.from('{"id":1}'),
    partitionKey: 'user-1',
  },
  {
    sequenceNumber: `${SEQUENCE}1`,
    arrivalMillis: ARRIVAL_MILLIS + 1,
    data: new Uint8Array([0, 255, 10, 34, 92]),
    partitionKey: 'ключ-🔑',
    encryptionType: 'KMS',
  },
];

describe('parseGetRecordsCbor', () => {
  it('reads records as Kinesis writes them to what the JSON parser reads from the same records', () => {
    const rest = { NextShardIterator: 'AAAAAAAAAAGxyz+/=', MillisBehindLatest: 2100 };
    const output = parseGetRecordsCbor(kinesisCbor(sample, rest));
    expect(output).toEqual(parseGetRecordsJson(kinesisJson(sample, rest)));
    expect(output.Records![0]!.ApproximateArrivalTimestamp).toEqual(new Date(ARRIVAL_MILLIS));
    expect([...output.Records![1]!.Data!]).toEqual([0, 255, 10, 34, 92]);
    expect(output.Records![1]!.EncryptionType).toBe('KMS');
    expect(output.MillisBehindLatest).toBe(2100);
  });

  it('reads maps, arrays and strings of indefinite length, as Jackson writes them', () => {
    const data = Buffer.from('chunked data');
    const body = new Writer()
      .indefinite(5)
      .text('Records')
      .indefinite(4)
      .indefinite(5)
      .text('SequenceNumber')
      .text(SEQUENCE)
      .text('ApproximateArrivalTimestamp')
      .head(6, 1)
      .head(0, ARRIVAL_MILLIS)
      .text('Data')
      .indefinite(2)
      .bytes(data.subarray(0, 5))
      .bytes(data.subarray(5))
      .end()
      .indefinite(3)
      .text('Partition')
      .text('Key')
      .end()
      .text('pk')
      .end()
      .end()
      .text('NextShardIterator')
      .text('it')
      .text('MillisBehindLatest')
      .head(0, 7)
      .end()
      .done();
    expect(parseGetRecordsCbor(body)).toEqual({
      Records: [
        {
          SequenceNumber: SEQUENCE,
          ApproximateArrivalTimestamp: new Date(ARRIVAL_MILLIS),
          Data: new Uint8Array(data),
          PartitionKey: 'pk',
        },
      ],
      NextShardIterator: 'it',
      MillisBehindLatest: 7,
    });
  });

  it("reads kinesalite's own CBOR: data as base64 text, the arrival time as epoch seconds", () => {
    const body = cbor.serialize({
      MillisBehindLatest: 0,
      NextShardIterator: 'it',
      Records: [
        {
          PartitionKey: 'a',
          Data: Buffer.from('hello').toString('base64'),
          ApproximateArrivalTimestamp: ARRIVAL_MILLIS / 1000,
          SequenceNumber: SEQUENCE,
        },
      ],
    });
    const [record] = parseGetRecordsCbor(body).Records!;
    expect(Buffer.from(record!.Data!).toString()).toBe('hello');
    expect(record!.ApproximateArrivalTimestamp).toEqual(new Date(ARRIVAL_MILLIS));
  });

  it('reads an empty page, and the end of a shard with its child shards and no iterator', () => {
    expect(parseGetRecordsCbor(kinesisCbor([], { NextShardIterator: 'it', MillisBehindLatest: 0 }))).toEqual({
      Records: [],
      NextShardIterator: 'it',
      MillisBehindLatest: 0,
    });
    const childShards = [
      {
        ShardId: 'shardId-000000000001',
        ParentShards: ['shardId-000000000000'],
        HashKeyRange: { StartingHashKey: '0', EndingHashKey: '170141183460469231731687303715884105727' },
      },
      {
        ShardId: 'shardId-000000000002',
        ParentShards: ['shardId-000000000000'],
        HashKeyRange: {
          StartingHashKey: '170141183460469231731687303715884105728',
          EndingHashKey: '340282366920938463463374607431768211455',
        },
      },
    ];
    const rest = { MillisBehindLatest: 0, ChildShards: childShards };
    const output = parseGetRecordsCbor(kinesisCbor([], rest));
    expect(output).toEqual(parseGetRecordsJson(kinesisJson([], rest)));
    expect(output.ChildShards).toEqual(childShards);
    expect('NextShardIterator' in output).toBe(false);
  });

  it('treats null members as absent and skips members it does not know, whatever they hold', () => {
    const body = new Writer()
      .head(5, 4)
      .text('Unknown')
      .head(5, 2)
      .text('nested')
      .head(4, 3)
      .head(6, 1)
      .float64(1.5)
      .raw(Buffer.from([0xf9, 0x3c, 0x00])) // half-precision 1.0
      .raw(Buffer.from([0xf5])) // true
      .text('bytes')
      .bytes(Buffer.from([1, 2]))
      .text('NextShardIterator')
      .raw(Buffer.from([0xf6])) // null
      .text('Records')
      .head(4, 1)
      .head(5, 3)
      .text('Data')
      .bytes(Buffer.from('x'))
      .text('Future')
      .head(1, 9) // -10
      .text('PartitionKey')
      .raw(Buffer.from([0xf7])) // undefined
      .text('MillisBehindLatest')
      .head(0, 300)
      .done();
    expect(parseGetRecordsCbor(body)).toEqual({
      Records: [{ Data: new Uint8Array(Buffer.from('x')) }],
      MillisBehindLatest: 300,
    });
  });

  it('keeps every record intact while later responses are read', () => {
    const pages = Array.from({ length: 40 }, (_, page) =>
      Array.from({ length: 50 }, (_, i) => ({
        sequenceNumber: `${SEQUENCE}${page * 50 + i}`,
        arrivalMillis: ARRIVAL_MILLIS + i,
        // Small records share slabs; every 7th is large enough for a buffer of its own.
        data: Buffer.alloc(i % 7 === 0 ? 20_000 : 100, (page * 50 + i) % 251),
        partitionKey: `pk-${i}`,
      })),
    );
    const outputs = pages.map((records) => parseGetRecordsCbor(Buffer.from(kinesisCbor(records))));
    outputs.forEach((output, page) =>
      output.Records!.forEach((record, i) => {
        expect(record.Data!.length).toBe(i % 7 === 0 ? 20_000 : 100);
        expect(record.Data!.every((b) => b === (page * 50 + i) % 251)).toBe(true);
      }),
    );
  });

  it('names what it cannot read and where', () => {
    const good = Buffer.from(kinesisCbor(sample));
    const failure = (body: Uint8Array) => {
      try {
        parseGetRecordsCbor(body);
      } catch (error) {
        return error;
      }
      throw new Error('no error');
    };
    const truncated = failure(good.subarray(0, good.length - 3));
    expect(truncated).toBeInstanceOf(CborBodyError);
    expect((truncated as Error).message).toMatch(
      /^GetRecords answered a CBOR body this client cannot read: the body ends .* at byte \d+\.$/,
    );
    expect((failure(Buffer.concat([good, Buffer.from([0])])) as Error).message).toContain(
      'bytes after the response at byte',
    );
    expect((failure(cbor.serialize([1, 2])) as Error).message).toContain(
      'major type 4 for the response at byte 0',
    );
    expect((failure(cbor.serialize({ Records: [{ Data: 5 }] })) as Error).message).toContain(
      'Data is neither a byte string nor base64 text',
    );
    expect((failure(cbor.serialize({ Records: 'none' })) as Error).message).toContain(
      'major type 3 for Records',
    );
    expect(
      (
        failure(
          cbor.serialize({ Records: [{ ApproximateArrivalTimestamp: tag({ tag: 0, value: 'x' }) }] }),
        ) as Error
      ).message,
    ).toContain('a timestamp with tag 0');
    expect((failure(Buffer.from([0xa1, 0x61, 0x41, 0x1c])) as Error).message).toContain(
      'reserved additional information 28',
    );
  });

  it('matches the JSON parser on random records', () => {
    const record = fc.record({
      sequenceNumber: fc.bigInt({ min: 0n, max: 10n ** 56n }).map(String),
      arrivalMillis: fc.integer({ min: 1_000_000_000_000, max: 4_000_000_000_000 }),
      data: fc.uint8Array({ maxLength: 300 }),
      partitionKey: fc.string({ minLength: 1, maxLength: 256, unit: 'grapheme' }),
    });
    fc.assert(
      fc.property(fc.array(record, { maxLength: 30 }), fc.nat(), (records, behind) => {
        const rest = { NextShardIterator: 'it', MillisBehindLatest: behind };
        const output = parseGetRecordsCbor(kinesisCbor(records, rest));
        expect(output).toEqual(parseGetRecordsJson(kinesisJson(records, rest)));
      }),
      { numRuns: 200 },
    );
  });
});

describe('getRecordsRequestCbor', () => {
  it('writes the input members as a CBOR map, leaving out those not given', () => {
    expect(cbor.deserialize(getRecordsRequestCbor({ ShardIterator: 'it-1', Limit: 10_000 }))).toEqual({
      ShardIterator: 'it-1',
      Limit: 10_000,
    });
    const arn = 'arn:aws:kinesis:us-east-1:123456789012:stream/s';
    expect(cbor.deserialize(getRecordsRequestCbor({ ShardIterator: 'it', StreamARN: arn }))).toEqual({
      ShardIterator: 'it',
      StreamARN: arn,
    });
  });
});

describe('GetRecords through KinesisCborReadProtocol', () => {
  const canned = new CannedServer();
  let factory: AwsClientFactory;
  let client: KinesisClient;

  beforeAll(async () => {
    factory = new AwsClientFactory({
      region: 'us-east-1',
      endpoint: await canned.start(),
      credentials: { provider: 'BASIC', accessKeyId: 'AKIDTEST', secretAccessKey: 'secret' },
      kinesisCbor: true,
    });
    client = factory.client('kinesis', KinesisClient);
  });

  afterAll(async () => {
    factory.destroy();
    await canned.close();
  });

  const cborAnswer = (status: number, body: Uint8Array, headers: Record<string, string> = {}) => ({
    status,
    body: Buffer.from(body),
    headers: { 'content-type': CBOR_CONTENT_TYPE, ...headers },
  });

  it('is the factory protocol for kinesisCbor', () => {
    expect(factory.config('kinesis').protocol).toBe(KinesisCborReadProtocol);
  });

  type GetRecords = (input: { ShardIterator: string; Limit?: number }) => Promise<GetRecordsCommandOutput>;
  it.each<[string, GetRecords]>([
    ['through the SDK client', (input) => client.send(new GetRecordsCommand(input))],
    [
      'as a signed call',
      (input) => kinesisReadApi(client).getRecords(input) as Promise<GetRecordsCommandOutput>,
    ],
  ])('sends GetRecords in CBOR and reads the CBOR answer, %s', async (_, getRecords) => {
    canned.answer = cborAnswer(200, kinesisCbor(sample));
    const output = await getRecords({ ShardIterator: 'it-7', Limit: 500 });
    const request = canned.received.at(-1)!;
    expect(request.headers['content-type']).toBe(CBOR_CONTENT_TYPE);
    expect(request.headers['x-amz-target']).toBe('Kinesis_20131202.GetRecords');
    expect(request.headers['content-length']).toBe(String(request.body.length));
    expect(request.headers.authorization).toMatch(/^AWS4-HMAC-SHA256 Credential=AKIDTEST\/.*content-type/);
    expect(cbor.deserialize(request.body)).toEqual({ ShardIterator: 'it-7', Limit: 500 });
    expect(withoutMetadata(output)).toEqual(parseGetRecordsCbor(kinesisCbor(sample)));
    expect(output.$metadata.httpStatusCode).toBe(200);
    expect(output.$metadata.requestId).toBe('test-request');
  });

  it('reads a JSON answer by its content type', async () => {
    const rest = { NextShardIterator: 'it', MillisBehindLatest: 5 };
    canned.answer = { status: 200, body: kinesisJson(sample, rest) };
    const output = await kinesisReadApi(client).getRecords({ ShardIterator: 'it' });
    expect(withoutMetadata(output)).toEqual(parseGetRecordsJson(kinesisJson(sample, rest)));
  });

  it('turns CBOR error answers into the SDK exception classes the retry classifier knows', async () => {
    canned.answer = cborAnswer(
      400,
      cbor.serialize({ __type: 'ExpiredIteratorException', message: 'Iterator expired.' }),
    );
    const expired = await kinesisReadApi(client)
      .getRecords({ ShardIterator: 'it' })
      .catch((e: unknown) => e);
    expect(expired).toBeInstanceOf(ExpiredIteratorException);
    expect((expired as Error).message).toBe('Iterator expired.');
    expect((expired as ExpiredIteratorException).$metadata.httpStatusCode).toBe(400);

    canned.answer = cborAnswer(
      400,
      cbor.serialize({
        __type: 'ProvisionedThroughputExceededException',
        message: 'Rate exceeded for shard.',
      }),
    );
    const throttled = await client
      .send(new GetRecordsCommand({ ShardIterator: 'it' }))
      .catch((e: unknown) => e);
    expect(throttled).toBeInstanceOf(ProvisionedThroughputExceededException);
    expect(classifyError(throttled)).toBe(
      classifyError(new ProvisionedThroughputExceededException({ message: 'x', $metadata: {} })),
    );
  });

  it('fails a CBOR body it cannot read with the response kept on the error', async () => {
    canned.answer = cborAnswer(200, Buffer.from([0xa1, 0x67]));
    const error = await kinesisReadApi(client)
      .getRecords({ ShardIterator: 'it' })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CborBodyError);
    expect((error as { $metadata: { httpStatusCode: number } }).$metadata.httpStatusCode).toBe(200);
    expect((error as { $response: { statusCode: number } }).$response.statusCode).toBe(200);
  });
});

describe('GetRecords in CBOR from kinesalite itself', () => {
  it('reads plain and aggregated records as the JSON protocol reads them', async () => {
    const kinesalite = await startKinesalite();
    const settings = {
      region: 'us-east-1',
      endpoint: kinesalite.endpoint,
      credentials: { provider: 'BASIC' as const, accessKeyId: 'AKIDTEST', secretAccessKey: 'secret' },
    };
    const cborClients = new AwsClientFactory({ ...settings, kinesisCbor: true });
    const jsonClients = new AwsClientFactory({ ...settings, kinesisCbor: false });
    try {
      const viaCbor = cborClients.client('kinesis', KinesisClient);
      const viaJson = jsonClients.client('kinesis', KinesisClient);
      await createStreamAndWait(viaJson, 'cbor', 1);
      const users = Array.from({ length: 30 }, (_, i) => ({
        partitionKey: `ü-${i}`,
        data: Buffer.from(`{"i":${i}}`),
      }));
      const [aggregated] = aggregate(users);
      await viaJson.send(
        new PutRecordsCommand({
          StreamName: 'cbor',
          Records: [
            { PartitionKey: 'plain', Data: Buffer.from('hello') },
            { PartitionKey: 'ключ', Data: new Uint8Array([0, 255, 10, 34, 92]) },
            { PartitionKey: aggregated!.partitionKey, Data: aggregated!.data },
          ],
        }),
      );
      const read = async (client: KinesisClient) => {
        const { ShardIterator } = await client.send(
          new GetShardIteratorCommand({
            StreamName: 'cbor',
            ShardId: 'shardId-000000000000',
            ShardIteratorType: 'TRIM_HORIZON',
          }),
        );
        return kinesisReadApi(client).getRecords({ ShardIterator: ShardIterator! });
      };
      const [fromCbor, fromJson] = [await read(viaCbor), await read(viaJson)];
      const records = (output: GetRecordsOutput): _Record[] => output.Records ?? [];
      expect(records(fromCbor)).toHaveLength(3);
      expect(records(fromCbor)).toEqual(records(fromJson));
      const users2 = deaggregate({ partitionKey: 'x', data: records(fromCbor)[2]!.Data! });
      expect(users2.map((u) => u.partitionKey)).toEqual(users.map((u) => u.partitionKey));
    } finally {
      cborClients.destroy();
      jsonClients.destroy();
      await kinesalite.close();
    }
  });
});
