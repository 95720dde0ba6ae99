// The local SSM server's deletes, rate limits, fault switch and signature check.
import {
  DeleteParameterCommand,
  DeleteParametersCommand,
  GetParameterCommand,
  GetParametersCommand,
  ParameterNotFound,
  PutParameterCommand,
  TooManyUpdates,
  SSMClient,
  ValidationException,
} from '@aws-sdk/client-ssm';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { FakeClock, seededRandom } from '../../../functions/core/time/clock';
import { LOCAL_CREDENTIALS } from '../../../local/harness';
import { rejectionOf } from '../../support/rejection-of';
import { startSsm, type SsmKit } from './ssm-test-kit';

describe('DeleteParameter and DeleteParameters', () => {
  let kit: SsmKit;
  beforeAll(async () => {
    kit = await startSsm();
  });
  afterAll(() => kit.stop());

  const put = (Name: string, Value = 'v') =>
    kit.ssm.send(new PutParameterCommand({ Name, Value, Type: 'String' }));

  it('deletes a parameter with all its versions; a new one of the same name starts at version 1', async () => {
    await put('/del/a');
    await kit.ssm.send(new PutParameterCommand({ Name: '/del/a', Value: 'v2', Overwrite: true }));
    await kit.ssm.send(new DeleteParameterCommand({ Name: '/del/a' }));
    expect(await rejectionOf(kit.ssm.send(new GetParameterCommand({ Name: '/del/a' })))).toBeInstanceOf(
      ParameterNotFound,
    );
    await expect(put('/del/a')).resolves.toMatchObject({ Version: 1 });
  });

  it('answers ParameterNotFound when deleting a missing parameter', async () => {
    expect(await rejectionOf(kit.ssm.send(new DeleteParameterCommand({ Name: '/del/none' })))).toBeInstanceOf(
      ParameterNotFound,
    );
  });

  it('deletes up to 10 names, listing the missing ones as InvalidParameters', async () => {
    await put('/del/m1');
    await put('/del/m2');
    const result = await kit.ssm.send(
      new DeleteParametersCommand({ Names: ['/del/m1', '/del/none', '/del/m2'] }),
    );
    expect(result.DeletedParameters).toEqual(['/del/m1', '/del/m2']);
    expect(result.InvalidParameters).toEqual(['/del/none']);
    const left = await kit.ssm.send(new GetParametersCommand({ Names: ['/del/m1', '/del/m2'] }));
    expect(left.Parameters).toEqual([]);
  });

  it('takes 1 to 10 names in DeleteParameters', async () => {
    const eleven = Array.from({ length: 11 }, (_, i) => `/del/x${i}`);
    expect(await rejectionOf(kit.ssm.send(new DeleteParametersCommand({ Names: eleven })))).toBeInstanceOf(
      ValidationException,
    );
    expect(await rejectionOf(kit.ssm.send(new DeleteParametersCommand({ Names: [] })))).toBeInstanceOf(
      ValidationException,
    );
  });
});

describe('rate limits on the injected clock', () => {
  it('accepts putParameterPerSecond writes in any second and throttles the next with ThrottlingException', async () => {
    const clock = new FakeClock(0);
    const kit = await startSsm({ clock, putParameterPerSecond: 3 });
    const put = (i: number) =>
      kit.ssm.send(new PutParameterCommand({ Name: `/rate/p${i}`, Value: 'v', Type: 'String' }));
    try {
      for (let i = 0; i < 3; i++) await put(i);
      const throttled = await rejectionOf(put(3));
      expect(throttled.name).toBe('ThrottlingException');
      expect(throttled.$metadata?.httpStatusCode).toBe(400);
      expect(kit.server.parameter('/rate/p3')).toBeUndefined();

      await clock.advance(999);
      expect((await rejectionOf(put(3))).name).toBe('ThrottlingException');
      await clock.advance(1);
      await put(3);
      // Reads are not limited by the write limit.
      for (let i = 0; i < 5; i++) await kit.ssm.send(new GetParameterCommand({ Name: '/rate/p0' }));
    } finally {
      await kit.stop();
    }
  });

  it('counts GetParameter, GetParameters and GetParametersByPath together against readsPerSecond', async () => {
    const clock = new FakeClock(0);
    const kit = await startSsm({ clock, readsPerSecond: 2 });
    try {
      await kit.ssm.send(new PutParameterCommand({ Name: '/r/a', Value: 'v', Type: 'String' }));
      await kit.ssm.send(new GetParameterCommand({ Name: '/r/a' }));
      await kit.ssm.send(new GetParametersCommand({ Names: ['/r/a'] }));
      const throttled = await rejectionOf(kit.ssm.send(new GetParameterCommand({ Name: '/r/a' })));
      expect(throttled.name).toBe('ThrottlingException');
      await clock.advance(1000);
      await kit.ssm.send(new GetParameterCommand({ Name: '/r/a' }));
    } finally {
      await kit.stop();
    }
  });
});

describe('fault switch and injected errors', () => {
  let kit: SsmKit;
  beforeAll(async () => {
    kit = await startSsm({ random: seededRandom(7) });
    await kit.ssm.send(new PutParameterCommand({ Name: '/f/a', Value: 'v', Type: 'String' }));
  });
  afterEach(() => kit.server.faults.clear());
  afterAll(() => kit.stop());

  const read = () => kit.ssm.send(new GetParameterCommand({ Name: '/f/a' }));

  it('throttles exactly the next N calls with ThrottlingException, before they reach the store', async () => {
    kit.server.faults.set({ throttleNext: 2 });
    const before = kit.server.callCount('GetParameter');
    expect((await rejectionOf(read())).name).toBe('ThrottlingException');
    expect((await rejectionOf(read())).name).toBe('ThrottlingException');
    await expect(read()).resolves.toMatchObject({ Parameter: { Value: 'v' } });
    expect(kit.server.callCount('GetParameter') - before).toBe(1);
  });

  it('limits a plan to the operations it names', async () => {
    kit.server.faults.set({ throttleNext: 1, operations: ['PutParameter'] });
    await read();
    const error = await rejectionOf(
      kit.ssm.send(new PutParameterCommand({ Name: '/f/b', Value: 'v', Type: 'String' })),
    );
    expect(error.name).toBe('ThrottlingException');
  });

  it('fails the fraction of calls its seeded random source picks, with a 500 InternalFailure', async () => {
    const fraction = 0.3;
    const mirror = seededRandom(7);
    // The server's source has already been drawn from by nothing else: mirror it draw for draw.
    kit.server.faults.set({ failFraction: fraction });
    const expected: boolean[] = [];
    const observed: boolean[] = [];
    for (let i = 0; i < 20; i++) {
      expected.push(mirror() < fraction);
      try {
        await read();
        observed.push(false);
      } catch (error) {
        expect((error as Error).name).toBe('InternalFailure');
        expect((error as { $metadata: { httpStatusCode: number } }).$metadata.httpStatusCode).toBe(500);
        observed.push(true);
      }
    }
    expect(observed).toEqual(expected);
    expect(observed.filter(Boolean).length).toBeGreaterThan(0);
    expect(observed.filter((failed) => !failed).length).toBeGreaterThan(0);
  });

  it('adds latency that a client request timeout notices', async () => {
    // AwsClientFactory's requestTimeout only warns (smithy's default), so this client throws on timeout.
    const impatient = new SSMClient({
      region: 'us-east-1',
      endpoint: kit.server.endpoint,
      credentials: {
        accessKeyId: LOCAL_CREDENTIALS.accessKeyId,
        secretAccessKey: LOCAL_CREDENTIALS.secretAccessKey,
      },
      maxAttempts: 1,
      requestHandler: new NodeHttpHandler({ requestTimeout: 100, throwOnRequestTimeout: true }),
    });
    try {
      kit.server.faults.set({ latencyMillis: 1000 });
      const error = await rejectionOf(impatient.send(new GetParameterCommand({ Name: '/f/a' })));
      expect(error.name).toBe('TimeoutError');
      kit.server.faults.clear();
      await expect(impatient.send(new GetParameterCommand({ Name: '/f/a' }))).resolves.toBeDefined();
    } finally {
      impatient.destroy();
    }
  });

  it('injects errors the store cannot produce by itself, such as TooManyUpdates', async () => {
    kit.server.failNext('PutParameter', 'TooManyUpdates');
    const put = () => kit.ssm.send(new PutParameterCommand({ Name: '/f/a', Value: 'w', Overwrite: true }));
    expect(await rejectionOf(put())).toBeInstanceOf(TooManyUpdates);
    await expect(put()).resolves.toMatchObject({ Version: 2 });
  });

  it('rejects an unsigned request with MissingAuthenticationTokenException, as kinesalite does', async () => {
    const response = await fetch(kit.server.endpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': 'AmazonSSM.GetParameter' },
      body: JSON.stringify({ Name: '/f/a' }),
    });
    expect(response.status).toBe(403);
    expect(await response.json()).toMatchObject({ __type: 'MissingAuthenticationTokenException' });
  });
});
