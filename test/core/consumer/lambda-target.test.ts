import { LambdaClient } from '@aws-sdk/client-lambda';
import { AwsClientFactory } from '../../../functions/core/aws/clients';
import { ShardDelivery } from '../../../functions/core/consumer/delivery';
import { lambdaInvokeApi } from '../../../functions/core/consumer/lambda-invoke';
import {
  lambdaTarget,
  TargetFunctionError,
  type LambdaTargetEvent,
} from '../../../functions/core/consumer/lambda-target';
import type { FailedRecord } from '../../../functions/core/consumer/on-failure';
import type { BatchContext, ConsumerRecord } from '../../../functions/core/consumer/types';
import { ValidationError } from '../../../functions/core/errors';
import { FakeClock } from '../../../functions/core/time/clock';
import { LOCAL_CREDENTIALS } from '../../../local/harness';
import { LocalLambdaServer } from '../../../local/lambda/invoke-server';
import { silentLogger } from './helpers';

// The target through the real SDK Lambda client, against a local Invoke server running functions in
// this process (local/lambda/invoke-server.ts).
const server = new LocalLambdaServer();
let clients: AwsClientFactory;
let lambda: LambdaClient;

beforeAll(async () => {
  const endpoint = await server.listen();
  clients = new AwsClientFactory({
    region: 'eu-west-1',
    endpoint,
    credentials: LOCAL_CREDENTIALS,
    maxAttempts: { lambda: 1 },
  });
  lambda = clients.client('lambda', LambdaClient);
});
afterAll(async () => {
  clients.destroy();
  await server.close();
});

const ARRIVAL = new Date(Date.UTC(2026, 4, 6, 7, 8, 9, 123));

function record(
  i: number,
  data: Uint8Array = new TextEncoder().encode(`payload-${i}`),
): ConsumerRecord<Uint8Array> {
  return {
    stream: 'orders',
    shardId: 'shardId-000000000003',
    sequenceNumber: String(5000 + i),
    ...(i % 2 ? { subSequenceNumber: i } : {}),
    partitionKey: `key-${i}`,
    ...(i === 0 ? { explicitHashKey: '1234567890' } : {}),
    approximateArrivalTimestamp: ARRIVAL,
    eventTime: new Date(ARRIVAL.getTime() - i * 1000),
    data,
  };
}

const context: BatchContext = {
  stream: 'orders',
  shardId: 'shardId-000000000003',
  subtaskIndex: 4,
  attempt: 0,
  signal: new AbortController().signal,
  watermark: Date.UTC(2026, 4, 6, 7, 0, 0),
};

describe('the Lambda target', () => {
  it('invokes the function synchronously with the documented event shape', async () => {
    const events: LambdaTargetEvent[] = [];
    server.register('shape', (event) => void events.push(event as LambdaTargetEvent));
    const target = lambdaTarget({ lambda: lambdaInvokeApi(lambda), functionName: 'shape' });
    expect(await target([record(0), record(1)], context)).toBeUndefined();
    expect(server.invocations.at(-1)?.invocationType).toBe('RequestResponse');
    expect(events).toEqual<LambdaTargetEvent[]>([
      {
        source: 'serverless-kinesis-connector',
        stream: 'orders',
        shardId: 'shardId-000000000003',
        subtaskIndex: 4,
        attempt: 0,
        watermark: '2026-05-06T07:00:00.000Z',
        records: [
          {
            stream: 'orders',
            shardId: 'shardId-000000000003',
            sequenceNumber: '5000',
            partitionKey: 'key-0',
            explicitHashKey: '1234567890',
            approximateArrivalTimestamp: '2026-05-06T07:08:09.123Z',
            eventTime: '2026-05-06T07:08:09.123Z',
            data: Buffer.from('payload-0').toString('base64'),
          },
          {
            stream: 'orders',
            shardId: 'shardId-000000000003',
            sequenceNumber: '5001',
            subSequenceNumber: 1,
            partitionKey: 'key-1',
            approximateArrivalTimestamp: '2026-05-06T07:08:09.123Z',
            eventTime: '2026-05-06T07:08:08.123Z',
            data: Buffer.from('payload-1').toString('base64'),
          },
        ],
      },
    ]);
  });

  it('reaches the function by ARN with a qualifier', async () => {
    let called = 0;
    server.register('by-arn', () => void called++);
    const target = lambdaTarget({
      lambda: lambdaInvokeApi(lambda),
      functionName: 'arn:aws:lambda:eu-west-1:123456789012:function:by-arn:live',
    });
    await target([record(0)], context);
    expect(called).toBe(1);
  });

  it('fails the batch on a function error, with the function’s message', async () => {
    server.register('throws', () => {
      throw new RangeError('bad amount');
    });
    const target = lambdaTarget({ lambda: lambdaInvokeApi(lambda), functionName: 'throws' });
    const failure = target([record(0)], context);
    await expect(failure).rejects.toThrow(TargetFunctionError);
    await expect(target([record(0)], context)).rejects.toThrow(
      /failed \(Unhandled\): RangeError: bad amount/,
    );
  });

  it('passes on a partial-failure answer', async () => {
    server.register('partial', (event) => ({
      batchItemFailures: [{ itemIdentifier: (event as LambdaTargetEvent).records[2]?.sequenceNumber }],
    }));
    const target = lambdaTarget({ lambda: lambdaInvokeApi(lambda), functionName: 'partial' });
    expect(
      await target(
        [0, 1, 2, 3].map((i) => record(i)),
        context,
      ),
    ).toEqual({
      batchItemFailures: [{ itemIdentifier: '5002' }],
    });
  });

  it('splits a batch over the 6 MB synchronous payload limit into several invocations, in order', async () => {
    const seen: string[] = [];
    server.register(
      'big',
      (event) => void seen.push(...(event as LambdaTargetEvent).records.map((r) => r.sequenceNumber)),
    );
    const before = server.invocations.length;
    // Five records of 2 MB: 2.7 MB each in base64, so two fit one invocation.
    const records = [0, 1, 2, 3, 4].map((i) => record(i, new Uint8Array(2 * 1024 * 1024).fill(i)));
    await lambdaTarget({ lambda: lambdaInvokeApi(lambda), functionName: 'big' })(records, context);
    const invocations = server.invocations.slice(before);
    expect(invocations.map((i) => (i.event as LambdaTargetEvent).records.length)).toEqual([2, 2, 1]);
    expect(invocations.every((i) => i.payloadBytes <= 6 * 1024 * 1024)).toBe(true);
    expect(seen).toEqual(['5000', '5001', '5002', '5003', '5004']);
  });

  it('keeps what earlier invocations delivered when a later one fails', async () => {
    let calls = 0;
    server.register('second-fails', () => {
      if (++calls === 2) throw new Error('second invocation failed');
    });
    const records = [0, 1, 2].map((i) => record(i, new Uint8Array(3 * 1024 * 1024)));
    const result = await lambdaTarget({ lambda: lambdaInvokeApi(lambda), functionName: 'second-fails' })(
      records,
      context,
    );
    expect(result).toEqual({ batchItemFailures: [{ itemIdentifier: '5001' }] });
  });

  it('refuses a record that cannot fit any invocation', async () => {
    server.register('never', () => undefined);
    await expect(
      lambdaTarget({ lambda: lambdaInvokeApi(lambda), functionName: 'never' })(
        [record(0, new Uint8Array(5 * 1024 * 1024))],
        context,
      ),
    ).rejects.toThrow(ValidationError);
  });

  it('isolates the record the function keeps failing on, in a logarithmic number of invocations', async () => {
    server.register('poison', (event) => {
      const records = (event as LambdaTargetEvent).records;
      if (records.some((r) => Buffer.from(r.data, 'base64').toString() === 'payload-700')) {
        throw new Error('cannot handle payload-700');
      }
    });
    const sent: FailedRecord[] = [];
    const delivery = new ShardDelivery<Uint8Array>({
      stream: 'orders',
      shardId: 'shardId-000000000003',
      subtaskIndex: 0,
      handler: lambdaTarget({ lambda: lambdaInvokeApi(lambda), functionName: 'poison' }),
      settings: {
        batchSize: 1000,
        maxBatchingMillis: 0,
        backoff: { maxRetries: 2, baseMillis: 1, maxMillis: 1, expConst: 1 },
      },
      clock: new FakeClock(0, { autoAdvance: true }),
      random: () => 0.5,
      logger: silentLogger(),
      signal: new AbortController().signal,
      onFailure: { send: async (records) => void sent.push(...records) },
    });
    const before = server.invocations.length;
    for (let i = 0; i < 1000; i++) {
      const r = record(i);
      await delivery.add(r, { kind: 'sequence', sequenceNumber: r.sequenceNumber }, r.data);
    }
    await delivery.flush();
    expect(server.invocations.length - before).toBeLessThanOrEqual(2 * 3 + 2 * Math.ceil(Math.log2(1000)));
    expect(sent.map((f) => f.sequenceNumber)).toEqual(['5700']);
    expect(String(sent[0]?.error)).toMatch(/cannot handle payload-700/);
    expect(delivery.recordsDelivered).toBe(999);
  });
});
