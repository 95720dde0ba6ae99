import { SendMessageBatchCommand, SQSClient, type SendMessageBatchCommandInput } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import fc from 'fast-check';
import { ValidationError } from '../../../functions/core/errors';
import { parseMessage, type MessageAttribute } from '../../../functions/core/producer/message-contract';
import { ProducerClient, type ProducerRecord } from '../../../functions/core/producer/producer-client';
import { FakeClock, seededRandom } from '../../../functions/core/time/clock';

// eslint-disable-next-line no-control-regex -- the characters SQS refuses in a body
const SQS_REFUSED = /[\x00-\x08\x0B\x0C\x0E-\x1F\uFFFE\uFFFF]/;
const queueUrl = 'http://127.0.0.1:1/000000000000/producer-queue';

function client(options: Partial<ConstructorParameters<typeof ProducerClient>[0]> = {}) {
  return new ProducerClient({
    sqs: new SQSClient({ region: 'us-east-1' }),
    queueUrl,
    random: seededRandom(3),
    ...options,
  });
}

function attributesOf(encoded: ReturnType<ProducerClient['encode']>): Record<string, MessageAttribute> {
  return Object.fromEntries(
    Object.entries(encoded.attributes ?? {}).map(([k, v]) => [
      k,
      { dataType: v.DataType ?? '', ...(v.StringValue !== undefined ? { stringValue: v.StringValue } : {}) },
    ]),
  );
}

describe('ProducerClient.encode', () => {
  const keys = fc.record(
    {
      partitionKey: fc.string({ minLength: 1, maxLength: 256 }).filter((s) => !/[\uD800-\uDFFF]/.test(s)),
      explicitHashKey: fc.bigInt({ min: 0n, max: (1n << 128n) - 1n }).map(String),
      stream: fc.stringMatching(/^[a-zA-Z0-9_.-]{1,128}$/),
    },
    { requiredKeys: [] },
  );
  const data = fc.oneof(
    fc.string().filter((s) => !/[\uD800-\uDFFF]/.test(s)),
    fc.uint8Array({ maxLength: 300 }),
    fc.jsonValue().filter((v) => typeof v !== 'string'),
  );

  it.each(['envelope', 'raw'] as const)(
    'makes messages the producer reads back as the same record (%s)',
    (format) => {
      const c = client({ messageFormat: format });
      fc.assert(
        fc.property(data, keys, (d, k) => {
          // Raw bodies must hold only characters SQS allows; the client refuses the rest, tested below.
          fc.pre(format !== 'raw' || typeof d !== 'string' || !SQS_REFUSED.test(d));
          const record: ProducerRecord = { data: d, ...k };
          const encoded = c.encode(record);
          const parsed = parseMessage(
            { messageId: 'm', body: encoded.body, attributes: attributesOf(encoded) },
            format,
          );
          if (!parsed.ok) throw new Error(parsed.reason);
          const expected =
            d instanceof Uint8Array
              ? Buffer.from(d)
              : Buffer.from(typeof d === 'string' ? d : JSON.stringify(d));
          expect(Buffer.from(parsed.record.data).equals(expected)).toBe(true);
          expect({
            partitionKey: parsed.record.partitionKey,
            explicitHashKey: parsed.record.explicitHashKey,
            stream: parsed.record.stream,
          }).toEqual({ partitionKey: k.partitionKey, explicitHashKey: k.explicitHashKey, stream: k.stream });
        }),
        { numRuns: 300 },
      );
    },
  );

  it.each([
    ['a missing data', { data: undefined }, 'data', /data is missing/],
    ['data JSON cannot carry', { data: () => 1 }, 'data', /function, which JSON cannot carry/],
    ['data JSON cannot serialise', { data: { n: 1n } }, 'data', /cannot be serialised as JSON: TypeError/],
    ['an unpaired surrogate', { data: 'a\uD800' }, 'data', /unpaired UTF-16 surrogate/],
    [
      'a long partition key',
      { data: 'x', partitionKey: 'k'.repeat(257) },
      'partitionKey',
      /257 characters long; it must be 1 to 256/,
    ],
    [
      'a bad explicit hash key',
      { data: 'x', explicitHashKey: '0x10' },
      'explicitHashKey',
      /"0x10"; it must be a decimal integer/,
    ],
    [
      'a bad stream',
      { data: 'x', stream: 'a b' },
      'stream',
      /"a b"; it must be a stream name \(1 to 128 letters.*\) or a stream ARN/,
    ],
  ])('refuses %s, naming the field', (_name, record, field, message) => {
    const attempt = () => client().encode(record as ProducerRecord);
    expect(attempt).toThrow(ValidationError);
    expect(attempt).toThrow(message);
    try {
      attempt();
    } catch (error) {
      expect((error as ValidationError).field).toBe(field);
    }
  });

  it('counts the partition key toward the stream record limit', () => {
    const c = client({ maxRecordSizeBytes: 1000 });
    expect(() => c.encode({ data: 'x'.repeat(990), partitionKey: 'k'.repeat(10) })).not.toThrow();
    expect(() => c.encode({ data: 'x'.repeat(990), partitionKey: 'k'.repeat(11) })).toThrow(
      'The record is 1001 bytes (990 of data and 11 of partition key); a stream record may be at most 1000 bytes.',
    );
  });

  it('refuses a message over the queue limit, which base64 reaches first', () => {
    const c = client({ maxMessageBytes: 1000 });
    expect(() => c.encode({ data: 'x'.repeat(900) })).not.toThrow();
    expect(() => c.encode({ data: new Uint8Array(900) })).toThrow(
      /makes a 1231-byte message; the queue takes at most 1000 bytes/,
    );
  });

  it('refuses a raw body with characters SQS does not allow', () => {
    expect(() => client({ messageFormat: 'raw' }).encode({ data: 'bell\u0007' })).toThrow(
      /character SQS does not allow/,
    );
  });

  it('gives a FIFO record its partition key as the group, or the key digest when SQS would refuse the key', () => {
    const c = client({ queueUrl: `${queueUrl}.fifo` });
    expect(c.encode({ data: 'x', partitionKey: 'user-1' }).messageGroupId).toBe('user-1');
    expect(c.encode({ data: 'x', partitionKey: 'üser 1' }).messageGroupId).toMatch(/^pk-md5-[0-9a-f]{32}$/);
    expect(c.encode({ data: 'x', partitionKey: 'k', messageGroupId: 'g' }).messageGroupId).toBe('g');
    expect(c.encode({ data: 'x', partitionKey: 'k' }).deduplicationId).toMatch(/^[0-9a-f]{32}$/);
    expect(() => c.encode({ data: 'x' })).toThrow(
      'A record for a FIFO queue needs a messageGroupId or a partitionKey',
    );
    expect(client().encode({ data: 'x', partitionKey: 'k' }).messageGroupId).toBeUndefined();
  });
});

describe('ProducerClient.send retries', () => {
  // Per-entry failures that SQS blames on itself (SenderFault false) cannot be produced by the local SQS
  // server, so this block mocks the client; limits and whole-call faults run against the server in e2e.
  const sqsMock = mockClient(SQSClient);
  afterEach(() => sqsMock.reset());

  it('retries only the entries SQS failed on its side, and reports sender faults at once', async () => {
    const seen: string[][] = [];
    sqsMock.on(SendMessageBatchCommand).callsFake((input: SendMessageBatchCommandInput) => {
      const ids = (input.Entries ?? []).map((e) => e.Id ?? '');
      seen.push(ids);
      return {
        Successful: ids
          .filter((id) => seen.length > 1 || (id !== 'r1' && id !== 'r2'))
          .map((Id) => ({ Id, MessageId: `sqs-${Id}` })),
        Failed:
          seen.length === 1
            ? [
                { Id: 'r1', Code: 'InternalError', SenderFault: false, Message: 'try again' },
                { Id: 'r2', Code: 'InvalidParameterValue', SenderFault: true, Message: 'bad attribute' },
              ]
            : [],
      };
    });
    const clock = new FakeClock(0, { autoAdvance: true });
    const c = client({ sqs: new SQSClient({ region: 'us-east-1' }), clock });
    const result = await c.send([{ data: 'a' }, { data: 'b' }, { data: 'c' }, { data: undefined }]);
    expect(seen).toEqual([['r0', 'r1', 'r2'], ['r1']]);
    expect(result.outcomes).toEqual([
      { index: 0, accepted: true, messageId: 'sqs-r0' },
      { index: 1, accepted: true, messageId: 'sqs-r1' },
      { index: 2, accepted: false, code: 'InvalidParameterValue', error: 'bad attribute', retryable: false },
      {
        index: 3,
        accepted: false,
        code: 'ValidationError',
        error: "The record's data is missing; it is required.",
        retryable: false,
      },
    ]);
    expect(result).toMatchObject({ accepted: 2, failed: 2 });
  });

  it('gives up on an entry after the retries allowed, reporting it retryable', async () => {
    let calls = 0;
    sqsMock.on(SendMessageBatchCommand).callsFake(() => {
      calls++;
      return { Successful: [], Failed: [{ Id: 'r0', Code: 'InternalError', SenderFault: false }] };
    });
    const clock = new FakeClock(0, { autoAdvance: true });
    const c = client({
      sqs: new SQSClient({ region: 'us-east-1' }),
      clock,
      backoff: { maxRetries: 2, baseMillis: 10, maxMillis: 10, expConst: 1 },
    });
    const result = await c.send([{ data: 'a' }]);
    expect(calls).toBe(3);
    expect(result.outcomes[0]).toMatchObject({ accepted: false, code: 'InternalError', retryable: true });
  });

  it('sends at most 10 entries and at most 1 MiB a call', async () => {
    const sizes: number[][] = [];
    sqsMock.on(SendMessageBatchCommand).callsFake((input: SendMessageBatchCommandInput) => {
      sizes.push((input.Entries ?? []).map((e) => Buffer.byteLength(e.MessageBody ?? '')));
      return { Successful: (input.Entries ?? []).map((e) => ({ Id: e.Id, MessageId: 'x' })) };
    });
    const c = client({ sqs: new SQSClient({ region: 'us-east-1' }) });
    const small = Array.from({ length: 23 }, () => ({ data: 'x' }));
    const big = Array.from({ length: 5 }, () => ({ data: 'y'.repeat(300 * 1024) }));
    const result = await c.send([...small, ...big]);
    expect(result.accepted).toBe(28);
    expect(sizes.map((s) => s.length)).toEqual([10, 10, 6, 2]);
    for (const call of sizes) expect(call.reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(1024 * 1024);
  });
});
