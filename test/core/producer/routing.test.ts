import type { ParsedRecord } from '../../../functions/core/producer/message-contract';
import { Router, type RoutableRecord } from '../../../functions/core/producer/routing';
import { seededRandom } from '../../../functions/core/time/clock';

function record(fields: Partial<ParsedRecord> = {}, value: unknown = 'payload'): RoutableRecord {
  return { data: Buffer.from('payload'), value, ...fields, message: { messageId: 'm1', body: '{}' } };
}

function routed(router: Router, r: RoutableRecord) {
  const result = router.route(r);
  if (!result.ok) throw new Error(result.reason);
  return result.record;
}

describe('Router', () => {
  it('lets the message name its stream and keys over every function and default', () => {
    const router = new Router({
      defaultStream: 'default',
      defaultPartitionKey: 'dp',
      targetStream: () => 'selected',
      partitioner: () => ({ partitionKey: 'derived', explicitHashKey: '1' }),
    });
    expect(
      routed(router, record({ stream: 'named', partitionKey: 'given', explicitHashKey: '99' })),
    ).toMatchObject({
      stream: 'named',
      partitionKey: 'given',
      explicitHashKey: '99',
    });
  });

  it('uses the selector and partitioner for what the message leaves out', () => {
    const router = new Router({
      defaultStream: 'default',
      targetStream: (r) => ((r.value as { kind: string }).kind === 'audit' ? 'audit-stream' : undefined),
      partitioner: (r) => ({ partitionKey: (r.value as { user: string }).user }),
    });
    expect(routed(router, record({}, { kind: 'audit', user: 'u1' }))).toMatchObject({
      stream: 'audit-stream',
      partitionKey: 'u1',
    });
    // The selector returning nothing means the default stream, as in the reference connector.
    expect(routed(router, record({}, { kind: 'order', user: 'u2' }))).toMatchObject({
      stream: 'default',
      partitionKey: 'u2',
    });
    expect(routed(router, record({}, { kind: 'order', user: 'u2' })).explicitHashKey).toBeUndefined();
  });

  it('falls back to the default partition key, then to a random one per record', () => {
    expect(routed(new Router({ defaultStream: 's', defaultPartitionKey: '0' }), record()).partitionKey).toBe(
      '0',
    );
    const random = new Router({ defaultStream: 's', random: seededRandom(7) });
    const keys = new Set(Array.from({ length: 50 }, () => routed(random, record()).partitionKey));
    expect(keys.size).toBe(50);
    for (const key of keys) expect(key).toMatch(/^[0-9a-f]{32}$/);
    // Seeded randomness is repeatable.
    const again = new Router({ defaultStream: 's', random: seededRandom(7) });
    expect(routed(again, record()).partitionKey).toBe([...keys][0]);
  });

  it('rejects a record with no stream anywhere, and one bound for a stream not allowed', () => {
    expect(new Router().route(record())).toMatchObject({
      ok: false,
      field: 'stream',
      reason: expect.stringMatching(/names no stream/),
    });
    expect(new Router({ allowedStreams: ['a'] }).route(record({ stream: 'b' }))).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/"b" is not one this producer writes to; allowed: a/),
    });
  });

  it('rejects what a function gets wrong or throws, naming the function', () => {
    expect(new Router({ targetStream: () => 'bad name' }).route(record())).toMatchObject({
      ok: false,
      field: 'stream',
      reason: expect.stringMatching(/The stream the targetStream function chose is "bad name"/),
    });
    expect(
      new Router({ defaultStream: 's', partitioner: () => ({ partitionKey: '' }) }).route(record()),
    ).toMatchObject({ ok: false, field: 'partitionKey' });
    expect(
      new Router({ defaultStream: 's', partitioner: () => ({ explicitHashKey: 'x' }) }).route(record()),
    ).toMatchObject({ ok: false, field: 'explicitHashKey' });
    expect(
      new Router({
        defaultStream: 's',
        partitioner: () => {
          throw new TypeError('no user field');
        },
      }).route(record()),
    ).toMatchObject({
      ok: false,
      reason: 'The partitioner function threw on this record: TypeError: no user field.',
    });
  });

  it('routes to a stream ARN a targetStream function chose, and refuses a malformed ARN or one in another region', () => {
    const arn = 'arn:aws:kinesis:us-east-1:111122223333:stream/orders';
    const router = (chosen: string) =>
      new Router({ region: 'us-east-1', targetStream: () => chosen, allowedStreams: [arn, chosen] });
    expect(routed(router(arn), record())).toMatchObject({ stream: arn });
    expect(router('arn:aws:kinesis:us-east-1:1:stream/orders').route(record())).toMatchObject({
      ok: false,
      field: 'stream',
      reason: expect.stringMatching(
        /^The stream the targetStream function chose is "arn:aws:kinesis:us-east-1:1:stream\/orders"; it must be a stream name .* or a stream ARN/,
      ) as unknown,
    });
    const elsewhere = 'arn:aws:kinesis:eu-west-1:111122223333:stream/orders';
    expect(router(elsewhere).route(record())).toMatchObject({
      ok: false,
      field: 'stream',
      reason: expect.stringContaining(
        "a stream in eu-west-1, but the client's region is us-east-1",
      ) as unknown,
    });
  });
});
