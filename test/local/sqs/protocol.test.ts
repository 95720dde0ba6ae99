import {
  CreateQueueCommand,
  GetQueueUrlCommand,
  ListQueueTagsCommand,
  ListQueuesCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
} from '@aws-sdk/client-sqs';
import { seededRandom } from '../../../functions/core/time/clock';
import { startSqs, sqsError, type SqsFixture } from './sqs-test-kit';

let f: SqsFixture;
let QueueUrl: string;

beforeAll(async () => {
  f = await startSqs();
  ({ QueueUrl = '' } = await f.sqs.send(new CreateQueueCommand({ QueueName: 'wire' })));
});
afterAll(() => f.close());
afterEach(() => f.server.faults.clear());

/** A hand-made AWS JSON 1.0 call, to see the wire format the SDK hides. */
async function rawCall(operation: string, body: unknown, headers: Record<string, string> = {}, query = '') {
  const response = await fetch(`${f.endpoint}/${query}`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-amz-json-1.0',
      'x-amz-target': `AmazonSQS.${operation}`,
      ...headers,
    },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return {
    status: response.status,
    headers: response.headers,
    body: (await response.json()) as Record<string, unknown>,
  };
}

const signed = {
  authorization:
    'AWS4-HMAC-SHA256 Credential=AKIDRAW/20260101/us-east-1/sqs/aws4_request, SignedHeaders=host, Signature=00',
};

describe('signature presence', () => {
  it('rejects a request without an Authorization header or presigned query', async () => {
    const response = await rawCall('ListQueues', {});
    expect(response.status).toBe(403);
    expect(response.body).toMatchObject({ __type: 'com.amazonaws.sqs#MissingAuthenticationTokenException' });
    expect(response.headers.get('x-amzn-query-error')).toBe('MissingAuthenticationTokenException;Sender');
  });

  it('accepts a request carrying a signature without verifying it, as kinesalite does', async () => {
    expect((await rawCall('ListQueues', {}, signed)).status).toBe(200);
    expect((await rawCall('ListQueues', {}, {}, '?X-Amz-Signature=00')).status).toBe(200);
  });
});

describe('wire format', () => {
  it('answers errors with a namespaced __type, a message and the x-amzn-query-error code', async () => {
    const response = await rawCall('GetQueueUrl', { QueueName: 'absent' }, signed);
    expect(response.status).toBe(400);
    expect(response.headers.get('content-type')).toBe('application/x-amz-json-1.0');
    expect(response.headers.get('x-amzn-requestid')).toEqual(expect.any(String));
    expect(response.headers.get('x-amzn-query-error')).toBe('AWS.SimpleQueueService.NonExistentQueue;Sender');
    expect(response.body).toEqual({
      __type: 'com.amazonaws.sqs#QueueDoesNotExist',
      message: expect.stringContaining('absent'),
    });
  });

  it('reports SenderId from the access key in the signature', async () => {
    await rawCall('SendMessage', { QueueUrl, MessageBody: 'who' }, signed);
    const { Messages = [] } = await f.sqs.send(
      new ReceiveMessageCommand({ QueueUrl, MessageSystemAttributeNames: ['SenderId'] }),
    );
    expect(Messages[0]?.Attributes).toEqual({ SenderId: 'AKIDRAW' });
  });

  it('refuses operations it does not implement, other targets and bodies that are not JSON', async () => {
    await expect(f.sqs.send(new ListQueueTagsCommand({ QueueUrl }))).rejects.toMatchObject({
      name: 'UnknownOperationException',
      $metadata: expect.objectContaining({ httpStatusCode: 400 }),
    });
    const wrongTarget = await rawCall(
      'ListQueues',
      {},
      { ...signed, 'x-amz-target': 'AmazonSSM.ListQueues' },
    );
    expect(wrongTarget.body.__type).toBe('com.amazonaws.sqs#UnknownOperationException');
    const notJson = await rawCall('ListQueues', '{nope', signed);
    expect(notJson).toMatchObject({
      status: 400,
      body: { __type: 'com.amazonaws.sqs#SerializationException' },
    });
  });

  it('rejects a field of the wrong type with InvalidParameterValue', async () => {
    const response = await rawCall('ReceiveMessage', { QueueUrl, MaxNumberOfMessages: 'ten' }, signed);
    expect(response.headers.get('x-amzn-query-error')).toBe('InvalidParameterValue;Sender');
  });
});

describe('fault switch', () => {
  it('throttles the next N calls with RequestThrottled (403), then lets calls through', async () => {
    f.server.faults.set({ throttleNext: 2 });
    for (let i = 0; i < 2; i++) {
      await expect(f.sqsOneAttempt.send(new GetQueueUrlCommand({ QueueName: 'wire' }))).rejects.toMatchObject(
        sqsError('RequestThrottled', 'RequestThrottled', 403),
      );
    }
    await expect(f.sqsOneAttempt.send(new GetQueueUrlCommand({ QueueName: 'wire' }))).resolves.toMatchObject({
      QueueUrl,
    });
  });

  it('is retried by the SDK as throttling, so a retrying client succeeds on a later attempt', async () => {
    f.server.faults.set({ throttleNext: 1 });
    const result = await f.sqs.send(new GetQueueUrlCommand({ QueueName: 'wire' }));
    expect(result.$metadata.attempts).toBe(2);
  });

  it('limits faults to the operations named', async () => {
    f.server.faults.set({ operations: ['SendMessage'], throttleNext: 1 });
    await expect(f.sqsOneAttempt.send(new ReceiveMessageCommand({ QueueUrl }))).resolves.toBeDefined();
    await expect(
      f.sqsOneAttempt.send(new SendMessageCommand({ QueueUrl, MessageBody: 'x' })),
    ).rejects.toMatchObject({
      name: 'RequestThrottled',
    });
  });

  it('fails the given fraction of calls with InternalFailure (500)', async () => {
    f.server.faults.set({ failFraction: 1 });
    await expect(f.sqsOneAttempt.send(new GetQueueUrlCommand({ QueueName: 'wire' }))).rejects.toMatchObject({
      name: 'InternalFailure',
      $fault: 'server',
      $metadata: expect.objectContaining({ httpStatusCode: 500 }),
    });
    f.server.faults.set({ failFraction: 0 });
    await expect(f.sqsOneAttempt.send(new GetQueueUrlCommand({ QueueName: 'wire' }))).resolves.toBeDefined();
  });

  it('fails the fraction of calls its random source picks', async () => {
    const seeded = await startSqs({ random: seededRandom(7) });
    try {
      seeded.server.faults.set({ operations: ['ListQueues'], failFraction: 0.3 });
      const replay = seededRandom(7);
      const expected = Array.from({ length: 40 }, () => (replay() < 0.3 ? 'fail' : 'ok'));
      const outcomes: string[] = [];
      for (let i = 0; i < 40; i++) {
        const [result] = await Promise.allSettled([seeded.sqsOneAttempt.send(new ListQueuesCommand({}))]);
        outcomes.push(
          result.status === 'fulfilled'
            ? 'ok'
            : (result.reason as Error).name === 'InternalFailure'
              ? 'fail'
              : 'other',
        );
      }
      expect(outcomes).toEqual(expected);
      expect(outcomes.filter((o) => o === 'fail').length).toBeGreaterThan(0);
      expect(outcomes.filter((o) => o === 'ok').length).toBeGreaterThan(0);
    } finally {
      await seeded.close();
    }
  });

  it('adds latency to every matching call', async () => {
    f.server.faults.set({ latencyMillis: 150 });
    const started = Date.now();
    await f.sqs.send(new GetQueueUrlCommand({ QueueName: 'wire' }));
    expect(Date.now() - started).toBeGreaterThanOrEqual(145);
  });
});
