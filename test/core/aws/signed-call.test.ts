import {
  ExpiredIteratorException,
  GetRecordsCommand,
  GetShardIteratorCommand,
  KinesisClient,
  ProvisionedThroughputExceededException,
  PutRecordsCommand,
  type GetRecordsCommandOutput,
  type GetRecordsOutput,
} from '@aws-sdk/client-kinesis';
import { HttpResponse } from '@smithy/core/transport';
import { SignatureV4 } from '@smithy/signature-v4';
import type { HttpRequest } from '@smithy/types';
import { AwsClientFactory } from '../../../functions/core/aws/clients';
import { classifyError } from '../../../functions/core/aws/retry';
import { kinesisReadApi, type KinesisReadApi } from '../../../functions/core/consumer/kinesis-api';
import { aggregate, deaggregate } from '../../../functions/core/record-format';
import { createStreamAndWait } from '../../../local/kinesis/streams';
import { CannedServer, type CannedAnswer } from '../../support/canned-server';
import { splitShard } from '../../e2e/consumer-support';
import { useLocalAws } from '../../support/local-aws';

/**
 * GetRecords outside the SDK's middleware stack (`signedCall`, through `kinesisReadApi` on a client from
 * `AwsClientFactory`) against the stock SDK client: the same responses must give the same outputs and
 * the same errors, the request must be signed as SigV4 with the client's credentials, and it must go
 * where the SDK would send it.
 */

const CREDENTIALS = { accessKeyId: 'AKIDTEST', secretAccessKey: 'secret' };
const SEQUENCE = '49590338271490256608559692538361571095921575989136588898';
const b64 = (data: string | Uint8Array) => Buffer.from(data).toString('base64');

const canned = new CannedServer();
let endpoint: string;
let factory: AwsClientFactory;
let ours: KinesisClient;
let stock: KinesisClient;
let api: KinesisReadApi;

beforeAll(async () => {
  endpoint = await canned.start();
  factory = new AwsClientFactory({
    region: 'us-east-1',
    endpoint,
    credentials: { provider: 'BASIC', ...CREDENTIALS },
    requestTimeoutMillis: 2_000,
    // The JSON protocol, so that requests and answers compare with the stock client's byte for byte
    // (get-records-cbor.test.ts sends the signed call in CBOR).
    kinesisCbor: false,
  });
  ours = factory.client('kinesis', KinesisClient);
  const { protocol: _protocol, ...stockConfig } = factory.config('kinesis');
  stock = new KinesisClient(stockConfig);
  api = kinesisReadApi(ours);
});

beforeEach(() => {
  canned.received.length = 0;
});

afterAll(async () => {
  factory.destroy();
  stock.destroy();
  await canned.close();
});

/** Counts the GetRecords calls that pass through a client's middleware stack. */
function countStackCalls(client: KinesisClient): { count: number } {
  const seen = { count: 0 };
  client.middlewareStack.add(
    (next, context) => async (args) => {
      if (context.commandName === 'GetRecordsCommand') seen.count++;
      return next(args);
    },
    { step: 'initialize', name: `count-${Math.random()}` },
  );
  return seen;
}

/** The outcome of one call: its output or its error. */
async function settle(
  call: Promise<GetRecordsOutput>,
): Promise<{ output?: GetRecordsOutput; error?: unknown }> {
  try {
    return { output: await call };
  } catch (error) {
    return { error };
  }
}

/** The same answer read by the signed call and by the stock client. */
async function both(next: CannedAnswer) {
  canned.answer = next;
  const signed = await settle(api.getRecords({ ShardIterator: 'it' }));
  const sdk = await settle(stock.send(new GetRecordsCommand({ ShardIterator: 'it' })));
  return { signed, sdk };
}

describe('GetRecords as a signed call', () => {
  it('goes around the middleware stack on a factory client, and through it on any other client', async () => {
    const oursStack = countStackCalls(ours);
    const stockStack = countStackCalls(stock);
    canned.answer = { status: 200, body: '{"Records":[],"NextShardIterator":"it-1","MillisBehindLatest":0}' };
    await api.getRecords({ ShardIterator: 'it' });
    await kinesisReadApi(stock).getRecords({ ShardIterator: 'it' });
    expect(oursStack.count).toBe(0);
    expect(stockStack.count).toBe(1);
    // A client given the SDK's own retries keeps them.
    const retrying = new KinesisClient({ ...factory.config('kinesis'), maxAttempts: 3 });
    try {
      const retryingStack = countStackCalls(retrying);
      await kinesisReadApi(retrying).getRecords({ ShardIterator: 'it' });
      expect(retryingStack.count).toBe(1);
    } finally {
      retrying.destroy();
    }
  });

  it('returns what the stock client returns for records, aggregated records, empty pages and a shard end', async () => {
    const users = Array.from({ length: 20 }, (_, i) => ({
      partitionKey: `key-${i}`,
      data: Buffer.from(JSON.stringify({ n: i })),
    }));
    const [aggregated] = aggregate(users, { maxSize: 1_000_000 });
    const bodies = [
      // As Kinesis writes them: arrival times as doubles in exponent notation.
      `{"MillisBehindLatest":2100,"NextShardIterator":"AAAAAAAAAAGxyz+/=","Records":[` +
        `{"SequenceNumber":"${SEQUENCE}","ApproximateArrivalTimestamp":1.765000000123E9,` +
        `"Data":"${b64('{"id":1}')}","PartitionKey":"user-1"},` +
        `{"SequenceNumber":"${SEQUENCE}1","ApproximateArrivalTimestamp":1.7650000001235E9,` +
        `"Data":"${b64('')}","PartitionKey":"ключ-🔑","EncryptionType":"KMS"}]}`,
      JSON.stringify({
        Records: [
          {
            SequenceNumber: SEQUENCE,
            ApproximateArrivalTimestamp: 1765000000.5,
            Data: b64(aggregated!.data),
            PartitionKey: aggregated!.partitionKey,
          },
        ],
        NextShardIterator: 'it-2',
        MillisBehindLatest: 0,
      }),
      '{"Records":[],"NextShardIterator":"it-3","MillisBehindLatest":0}',
      JSON.stringify({
        Records: [],
        MillisBehindLatest: 0,
        ChildShards: [
          {
            ShardId: 'shardId-000000000002',
            ParentShards: ['shardId-000000000000'],
            HashKeyRange: { StartingHashKey: '0', EndingHashKey: '170141183460469231731687303715884105727' },
          },
        ],
      }),
    ];
    const outputs = [];
    for (const body of bodies) {
      const { signed, sdk } = await both({ status: 200, body });
      expect(signed.error).toBeUndefined();
      // $metadata included: status, request id and the attempt count the SDK's retry middleware records.
      expect(signed.output).toEqual(sdk.output);
      outputs.push(signed.output!);
    }
    expect(outputs[0]!.Records).toHaveLength(2);
    expect((outputs[0] as GetRecordsCommandOutput).$metadata).toMatchObject({
      httpStatusCode: 200,
      requestId: 'test-request',
      attempts: 1,
    });
    const read = deaggregate({ partitionKey: 'x', data: outputs[1]!.Records![0]!.Data! });
    expect(read.map((u) => u.partitionKey)).toEqual(users.map((u) => u.partitionKey));
    expect(outputs[2]!.Records).toEqual([]);
    expect(outputs[3]!.NextShardIterator).toBeUndefined();
    expect(outputs[3]!.ChildShards?.[0]?.ShardId).toBe('shardId-000000000002');
  });

  it.each([
    [400, 'ExpiredIteratorException', 'Iterator expired.'],
    [400, 'ProvisionedThroughputExceededException', 'Rate exceeded for shard shardId-000000000000.'],
    [400, 'ResourceNotFoundException', 'Stream s under account 123456789012 not found.'],
    [400, 'InvalidArgumentException', 'Invalid ShardIterator.'],
    [400, 'AccessDeniedException', 'User is not authorized to perform: kinesis:GetRecords'],
    [400, 'KMSThrottlingException', 'Rate exceeded.'],
    [400, 'KMSAccessDeniedException', 'Access denied to the key.'],
    [400, 'KMSNotFoundException', 'Key not found.'],
    [400, 'ThrottlingException', 'Rate exceeded.'],
    [400, 'com.amazonaws.kinesis#ExpiredIteratorException', 'Iterator expired.'],
    [500, 'InternalFailure', 'Internal service failure.'],
    [503, 'ServiceUnavailable', 'Service unavailable.'],
  ])('turns a %i %s into the error the SDK throws', async (status, type, message) => {
    const { signed, sdk } = await both({ status, body: JSON.stringify({ __type: type, message }) });
    expect(signed.output).toBeUndefined();
    const [ours, theirs] = [signed.error, sdk.error] as Array<Error & Record<string, unknown>>;
    expect(ours!.constructor).toBe(theirs!.constructor);
    expect(ours!.name).toBe(theirs!.name);
    expect(ours!.message).toBe(theirs!.message);
    expect(ours!.$fault).toBe(theirs!.$fault);
    expect(ours!.$retryable).toEqual(theirs!.$retryable);
    const metadata = (ours!.$metadata ?? {}) as Record<string, unknown>;
    expect(metadata.httpStatusCode).toBe(status);
    expect(metadata.requestId).toBe('test-request');
    expect(classifyError(ours)).toBe(classifyError(theirs));
  });

  it('throws the SDK exception classes the runtime classifies, with the raw response kept', async () => {
    const expired = await both({ status: 400, body: '{"__type":"ExpiredIteratorException","message":"x"}' });
    expect(expired.signed.error).toBeInstanceOf(ExpiredIteratorException);
    expect((expired.signed.error as { $response?: unknown }).$response).toBeInstanceOf(HttpResponse);
    const throttled = await both({
      status: 400,
      body: '{"__type":"ProvisionedThroughputExceededException","message":"x"}',
    });
    expect(throttled.signed.error).toBeInstanceOf(ProvisionedThroughputExceededException);
    expect(classifyError(throttled.signed.error)).toBe('throttled');
    // A proxy's HTML error page: no JSON, the status decides.
    const gateway = await both({ status: 502, body: '<html>Bad Gateway</html>' });
    expect((gateway.signed.error as Error).name).toBe((gateway.sdk.error as Error).name);
    expect((gateway.signed.error as { $metadata?: unknown }).$metadata).toMatchObject({
      httpStatusCode: 502,
    });
    expect(classifyError(gateway.signed.error)).toBe(classifyError(gateway.sdk.error));
    expect(classifyError(gateway.signed.error)).toBe('transient');
  });

  it('sends the body and headers the SDK sends, signed with SigV4 by the client credentials', async () => {
    canned.answer = { status: 200, body: '{"Records":[],"NextShardIterator":"it-1"}' };
    await api.getRecords({ ShardIterator: 'it', Limit: 10 });
    await stock.send(new GetRecordsCommand({ ShardIterator: 'it', Limit: 10 }));
    const [signed, sdk] = canned.received;
    expect(signed!.method).toBe(sdk!.method);
    expect(signed!.url).toBe(sdk!.url);
    expect(signed!.body.toString()).toBe(sdk!.body.toString());
    for (const header of ['x-amz-target', 'content-type', 'content-length', 'host']) {
      expect([header, signed!.headers[header]]).toEqual([header, sdk!.headers[header]]);
    }
    const authorization = String(signed!.headers.authorization);
    const amzDate = String(signed!.headers['x-amz-date']);
    expect(authorization).toContain(
      `Credential=AKIDTEST/${amzDate.slice(0, 8)}/us-east-1/kinesis/aws4_request`,
    );
    // The signature verifies: signing the received request again with the same key and time gives it.
    const signedHeaders = /SignedHeaders=([^,]+)/.exec(authorization)![1]!.split(';');
    expect(signedHeaders).toEqual(expect.arrayContaining(['host', 'x-amz-date', 'x-amz-target']));
    const request: HttpRequest = {
      method: signed!.method,
      protocol: 'http:',
      hostname: '127.0.0.1',
      path: signed!.url,
      query: {},
      headers: Object.fromEntries(signedHeaders.map((name) => [name, String(signed!.headers[name])])),
      body: signed!.body.toString(),
    };
    const verifier = new SignatureV4({
      credentials: CREDENTIALS,
      region: 'us-east-1',
      service: 'kinesis',
      sha256: ours.config.sha256,
    });
    const date = new Date(
      `${amzDate.slice(0, 4)}-${amzDate.slice(4, 6)}-${amzDate.slice(6, 8)}T${amzDate.slice(9, 11)}:` +
        `${amzDate.slice(11, 13)}:${amzDate.slice(13, 15)}Z`,
    );
    const again = await verifier.sign(request, { signingDate: date });
    expect(again.headers.authorization).toBe(authorization);
  });

  it("passes the invocation's X-Ray trace id inside Lambda, as the SDK does", async () => {
    const saved = { name: process.env.AWS_LAMBDA_FUNCTION_NAME, trace: process.env._X_AMZN_TRACE_ID };
    process.env.AWS_LAMBDA_FUNCTION_NAME = 'consumer';
    process.env._X_AMZN_TRACE_ID =
      'Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1';
    try {
      canned.answer = { status: 200, body: '{"Records":[]}' };
      await api.getRecords({ ShardIterator: 'it' });
      await stock.send(new GetRecordsCommand({ ShardIterator: 'it' }));
      expect(canned.received[0]!.headers['x-amzn-trace-id']).toBe(process.env._X_AMZN_TRACE_ID);
      expect(canned.received[0]!.headers['x-amzn-trace-id']).toBe(
        canned.received[1]!.headers['x-amzn-trace-id'],
      );
    } finally {
      for (const [key, value] of [
        ['AWS_LAMBDA_FUNCTION_NAME', saved.name],
        ['_X_AMZN_TRACE_ID', saved.trace],
      ] as const) {
        if (value === undefined) delete process.env[key];
        else process.env[key] = value;
      }
    }
  });

  it("takes each call's credentials from the client's provider, so refreshed credentials are used", async () => {
    let issued = 0;
    const client = new KinesisClient({
      ...factory.config('kinesis'),
      // Credentials about to expire: the SDK's provider wrapper fetches new ones for every call.
      credentials: async () => ({
        accessKeyId: `AKID${++issued}`,
        secretAccessKey: 'secret',
        sessionToken: `token-${issued}`,
        expiration: new Date(Date.now() + 1_000),
      }),
    });
    try {
      canned.answer = { status: 200, body: '{"Records":[]}' };
      const reads = kinesisReadApi(client);
      await reads.getRecords({ ShardIterator: 'it' });
      await reads.getRecords({ ShardIterator: 'it' });
      const keys = canned.received.map(
        (r) => /Credential=AKID(\d+)\//.exec(String(r.headers.authorization))?.[1],
      );
      // Each call signed with the credentials issued for it, the session token with its own key.
      expect(keys[0]).not.toBe(keys[1]);
      expect(canned.received.map((r) => r.headers['x-amz-security-token'])).toEqual(
        keys.map((n) => `token-${n}`),
      );
    } finally {
      client.destroy();
    }
  });

  it('fails with the abort error the SDK gives when the caller aborts', async () => {
    canned.answer = { status: 200, body: '', hold: true };
    const controller = new AbortController();
    const signed = settle(api.getRecords({ ShardIterator: 'it' }, controller.signal));
    const sdkController = new AbortController();
    const sdk = settle(
      stock.send(new GetRecordsCommand({ ShardIterator: 'it' }), { abortSignal: sdkController.signal }),
    );
    await waitFor(() => canned.received.length === 2);
    controller.abort();
    sdkController.abort();
    const [a, b] = await Promise.all([signed, sdk]);
    expect((a.error as Error).name).toBe('AbortError');
    expect((a.error as Error).name).toBe((b.error as Error).name);
  });

  it("fails with the SDK's retryable TimeoutError when the handler's request timeout passes", async () => {
    const quick = new AwsClientFactory({ ...factory.settings, requestTimeoutMillis: 100 });
    try {
      canned.answer = { status: 200, body: '', hold: true };
      const { error } = await settle(
        kinesisReadApi(quick.client('kinesis', KinesisClient)).getRecords({ ShardIterator: 'it' }),
      );
      expect((error as Error).name).toBe('TimeoutError');
      expect(classifyError(error)).toBe('transient');
    } finally {
      quick.destroy();
    }
  });

  it('goes to the endpoint the SDK resolves for the region, FIPS, dual-stack and a stream ARN', async () => {
    // A request handler that records requests instead of sending them (a client option of the SDK):
    // these endpoints are AWS's, which this test does not reach.
    const cases = [
      { region: 'eu-west-1' },
      { region: 'us-east-1', useFipsEndpoint: true },
      { region: 'eu-west-1', useDualstackEndpoint: true },
      { region: 'cn-north-1' },
      { region: 'eu-west-1', input: { StreamARN: 'arn:aws:kinesis:eu-west-1:123456789012:stream/orders' } },
    ];
    for (const { input, ...options } of cases) {
      const sent: HttpRequest[] = [];
      const handler = {
        handle: async (request: HttpRequest) => {
          sent.push(request);
          return {
            response: new HttpResponse({ statusCode: 200, headers: {}, body: Buffer.from('{"Records":[]}') }),
          };
        },
      };
      const aws = new AwsClientFactory({
        region: options.region,
        credentials: { provider: 'BASIC', ...CREDENTIALS },
      });
      const { protocol, ...config } = aws.config('kinesis');
      const settings = { ...config, ...options, requestHandler: handler as never };
      const signedClient = new KinesisClient({ ...settings, protocol });
      const stockClient = new KinesisClient(settings);
      try {
        const request = { ShardIterator: 'it', ...input };
        await kinesisReadApi(signedClient).getRecords(request);
        await stockClient.send(new GetRecordsCommand(request));
        const where = (r: HttpRequest) => `${r.protocol}//${r.hostname}:${r.port ?? ''}${r.path}`;
        expect([options, where(sent[0]!)]).toEqual([options, where(sent[1]!)]);
        expect(sent[0]!.hostname).toMatch(/amazonaws|api\.aws/);
      } finally {
        aws.destroy();
        signedClient.destroy();
        stockClient.destroy();
      }
    }
  });

  it('goes to an endpoint set in the environment for Kinesis, as the SDK does, call after call', async () => {
    const previous = process.env.AWS_ENDPOINT_URL_KINESIS;
    process.env.AWS_ENDPOINT_URL_KINESIS = endpoint;
    const aws = new AwsClientFactory({
      region: 'eu-west-1',
      credentials: { provider: 'BASIC', ...CREDENTIALS },
    });
    try {
      canned.answer = { status: 200, body: '{"Records":[],"NextShardIterator":"it-1"}' };
      const reads = kinesisReadApi(aws.client('kinesis', KinesisClient));
      await reads.getRecords({ ShardIterator: 'it' });
      await reads.getRecords({ ShardIterator: 'it' });
      expect(canned.received).toHaveLength(2);
      expect(canned.received[0]!.headers.host).toBe(new URL(endpoint).host);
    } finally {
      if (previous === undefined) delete process.env.AWS_ENDPOINT_URL_KINESIS;
      else process.env.AWS_ENDPOINT_URL_KINESIS = previous;
      aws.destroy();
    }
  });
});

async function waitFor(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setImmediate(resolve));
}

describe('GetRecords as a signed call, against kinesalite behind the fault proxy', () => {
  const local = useLocalAws({ kinesis: true });
  const kinesis = () => local().clients.client('kinesis', KinesisClient);
  let sdk: KinesisClient;
  beforeAll(() => {
    const { protocol: _protocol, ...config } = local().clients.config('kinesis');
    sdk = new KinesisClient(config);
  });
  afterAll(() => sdk.destroy());

  const iterator = async (client: KinesisClient, stream: string, shardId = 'shardId-000000000000') =>
    (
      await client.send(
        new GetShardIteratorCommand({
          StreamName: stream,
          ShardId: shardId,
          ShardIteratorType: 'TRIM_HORIZON',
        }),
      )
    ).ShardIterator;
  const strip = ({
    $metadata: _m,
    NextShardIterator: _n,
    ...rest
  }: GetRecordsOutput & { $metadata?: unknown }) => rest;

  it('reads records, aggregated records, empty pages and child shards as the stock client does', async () => {
    const reads = kinesisReadApi(kinesis());
    await createStreamAndWait(kinesis(), 'signed', 1);
    const users = Array.from({ length: 30 }, (_, i) => ({
      partitionKey: `ü-${i}`,
      data: Buffer.from(`{"i":${i}}`),
    }));
    const [aggregated] = aggregate(users);
    await kinesis().send(
      new PutRecordsCommand({
        StreamName: 'signed',
        Records: [
          { PartitionKey: 'plain', Data: Buffer.from('hello') },
          { PartitionKey: 'ключ "quoted"', Data: new Uint8Array([0, 255, 10, 34, 92]) },
          { PartitionKey: aggregated!.partitionKey, Data: aggregated!.data },
        ],
      }),
    );
    const signed = await reads.getRecords({ ShardIterator: await iterator(kinesis(), 'signed') });
    const stockOutput = await sdk.send(
      new GetRecordsCommand({ ShardIterator: await iterator(sdk, 'signed') }),
    );
    expect(strip(signed)).toEqual(strip(stockOutput));
    expect(signed.Records).toHaveLength(3);
    expect(deaggregate({ partitionKey: 'x', data: signed.Records![2]!.Data! })).toHaveLength(30);
    const empty = await reads.getRecords({ ShardIterator: signed.NextShardIterator });
    expect(empty.Records).toEqual([]);
    expect(empty.NextShardIterator).toEqual(expect.any(String));

    // After a split the parent closes: read to its end, the last page has no iterator, as the SDK reads it.
    // (kinesalite sends no ChildShards; the fixture test above reads them as Kinesis sends them.)
    await splitShard(kinesis(), 'signed', 'shardId-000000000000');
    const toEnd = async (read: (it: string | undefined) => Promise<GetRecordsOutput>, start?: string) => {
      let page = await read(start);
      while (page.NextShardIterator !== undefined) {
        page = await read(page.NextShardIterator);
      }
      return page;
    };
    const signedEnd = await toEnd(
      (it) => reads.getRecords({ ShardIterator: it }),
      await iterator(kinesis(), 'signed'),
    );
    const stockEnd = await toEnd(
      (it) => sdk.send(new GetRecordsCommand({ ShardIterator: it })),
      await iterator(sdk, 'signed'),
    );
    expect(signedEnd.NextShardIterator).toBeUndefined();
    expect(strip(signedEnd)).toEqual(strip(stockEnd));
  });

  it('throws ExpiredIteratorException and ProvisionedThroughputExceededException from the proxy', async () => {
    const reads = kinesisReadApi(kinesis());
    await createStreamAndWait(kinesis(), 'signed-faults', 1);
    const start = await iterator(kinesis(), 'signed-faults');
    local().kinesis.expireIterators(1);
    const expired = await settle(reads.getRecords({ ShardIterator: start }));
    expect(expired.error).toBeInstanceOf(ExpiredIteratorException);
    expect(classifyError(expired.error)).toBe('fatal');
    local().kinesis.throttleGetRecords(1);
    const throttled = await settle(
      reads.getRecords({ ShardIterator: await iterator(kinesis(), 'signed-faults') }),
    );
    expect(throttled.error).toBeInstanceOf(ProvisionedThroughputExceededException);
    expect((throttled.error as { $metadata: { httpStatusCode?: number } }).$metadata.httpStatusCode).toBe(
      400,
    );
    expect(classifyError(throttled.error)).toBe('throttled');
    // And the calls after the faults read again.
    const after = await reads.getRecords({ ShardIterator: await iterator(kinesis(), 'signed-faults') });
    expect(after.Records).toEqual([]);
  });
});
