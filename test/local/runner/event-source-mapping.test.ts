import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { FakeClock } from '../../../functions/core/time/clock';
import {
  SqsEventSourceMapping,
  type InvocationOutcome,
  type SqsEventSourceMappingOptions,
} from '../../../local/runner/event-source-mapping';
import { startSqs, type SqsFixture } from '../sqs/sqs-test-kit';

let f: SqsFixture;
let clock: FakeClock;
let queues = 0;

beforeAll(async () => {
  clock = new FakeClock(Date.UTC(2026, 0, 1));
  f = await startSqs({ clock });
});
afterAll(() => f.close());

async function queueWithDlq(maxReceiveCount = 2): Promise<{ url: string; dlq: string }> {
  const n = ++queues;
  const { QueueUrl: dlq = '' } = await f.sqs.send(new CreateQueueCommand({ QueueName: `dlq-${n}` }));
  const { Attributes } = await f.sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: dlq, AttributeNames: ['QueueArn'] }),
  );
  const { QueueUrl: url = '' } = await f.sqs.send(
    new CreateQueueCommand({
      QueueName: `q-${n}`,
      Attributes: {
        VisibilityTimeout: '30',
        RedrivePolicy: JSON.stringify({ deadLetterTargetArn: Attributes?.QueueArn, maxReceiveCount }),
      },
    }),
  );
  return { url, dlq };
}

async function send(sqs: SQSClient, url: string, bodies: string[]): Promise<void> {
  for (let i = 0; i < bodies.length; i += 10) {
    await sqs.send(
      new SendMessageBatchCommand({
        QueueUrl: url,
        Entries: bodies.slice(i, i + 10).map((MessageBody, j) => ({ Id: `m${j}`, MessageBody })),
      }),
    );
  }
}

function mapping(
  url: string,
  handler: SqsEventSourceMappingOptions['handler'],
  extra: Partial<SqsEventSourceMappingOptions> = {},
) {
  const outcomes: InvocationOutcome[] = [];
  const esm = new SqsEventSourceMapping({
    sqs: f.sqs,
    queueUrl: url,
    handler,
    clock,
    onInvocation: (o) => outcomes.push(o),
    ...extra,
  });
  return { esm, outcomes };
}

const bodiesOf = (event: SQSEvent) => event.Records.map((r) => r.body);

describe('the local SQS event source mapping', () => {
  it('gathers batches of up to batchSize across receives of 10 and deletes what succeeded', async () => {
    const { url } = await queueWithDlq();
    await send(
      f.sqs,
      url,
      Array.from({ length: 25 }, (_, i) => `m${i}`),
    );
    const seen: string[][] = [];
    const { esm } = mapping(
      url,
      async (event) => {
        seen.push(bodiesOf(event));
      },
      { batchSize: 15 },
    );
    await esm.drain();
    expect(seen.map((b) => b.length)).toEqual([15, 10]);
    expect(seen.flat().sort()).toEqual(Array.from({ length: 25 }, (_, i) => `m${i}`).sort());
    expect(f.server.messageCounts(url.split('/').pop() as string)).toEqual({
      visible: 0,
      inflight: 0,
      delayed: 0,
    });
    expect(esm.stats).toMatchObject({ invocations: 2, messages: 25, deleted: 25, returned: 0 });
  });

  it('invokes when the batching window ends even while the queue still has messages', async () => {
    const { url } = await queueWithDlq();
    await send(
      f.sqs,
      url,
      Array.from({ length: 200 }, (_, i) => `m${i}`),
    );
    // Each receive takes 10 ms of the fake clock, so a 50 ms window holds about five receives.
    const slowReceives: Pick<SQSClient, 'send'> = {
      send: (async (command: Parameters<SQSClient['send']>[0], options?: unknown) => {
        const result = await f.sqs.send(command as never, options as never);
        if (command instanceof ReceiveMessageCommand) await clock.advance(10);
        return result;
      }) as SQSClient['send'],
    };
    const batches: number[] = [];
    let first: () => void = () => undefined;
    const invoked = new Promise<void>((resolve) => (first = resolve));
    const esm = new SqsEventSourceMapping({
      sqs: slowReceives,
      queueUrl: url,
      batchSize: 10_000,
      maxBatchingWindowMillis: 50,
      clock,
      handler: async (event) => {
        batches.push(event.Records.length);
        first();
      },
    });
    esm.start();
    await invoked;
    await esm.stop();
    expect(batches[0]).toBeGreaterThanOrEqual(50);
    expect(batches[0]).toBeLessThanOrEqual(70);
  });

  it('passes a context whose remaining time runs down to the function timeout', async () => {
    const { url } = await queueWithDlq();
    await send(f.sqs, url, ['one']);
    const remaining: number[] = [];
    const { esm } = mapping(
      url,
      async (_event, context) => {
        remaining.push(context.getRemainingTimeInMillis());
        await clock.advance(1500);
        remaining.push(context.getRemainingTimeInMillis());
      },
      { functionTimeoutMillis: 6000 },
    );
    await esm.pollOnce();
    expect(remaining).toEqual([6000, 4500]);
  });

  it('leaves reported batch item failures in the queue; they come back after the visibility timeout, then go to the DLQ', async () => {
    const { url, dlq } = await queueWithDlq(2);
    await send(f.sqs, url, ['good', 'bad']);
    const receiveCounts: string[] = [];
    const { esm, outcomes } = mapping(url, async (event): Promise<SQSBatchResponse> => {
      const bad = event.Records.filter((r) => r.body === 'bad');
      receiveCounts.push(...bad.map((r) => r.attributes.ApproximateReceiveCount));
      return { batchItemFailures: bad.map((r) => ({ itemIdentifier: r.messageId })) };
    });
    await esm.pollOnce();
    expect(outcomes[0]).toMatchObject({ messages: 2, deleted: 1, returned: 1 });
    expect(await esm.pollOnce()).toBeUndefined(); // hidden for the visibility timeout
    await clock.advance(30_000);
    expect(await esm.pollOnce()).toMatchObject({ messages: 1, deleted: 0, returned: 1 });
    await clock.advance(30_000);
    // The third receive would exceed maxReceiveCount 2: the queue moves the message to the DLQ instead.
    expect(await esm.pollOnce()).toBeUndefined();
    expect(receiveCounts).toEqual(['1', '2']);
    expect(f.server.messageCounts(dlq.split('/').pop() as string).visible).toBe(1);
  });

  it('leaves the whole batch when the function throws', async () => {
    const { url } = await queueWithDlq();
    await send(f.sqs, url, ['a', 'b', 'c']);
    const { esm } = mapping(url, async () => {
      throw new Error('boom');
    });
    const outcome = await esm.pollOnce();
    expect(outcome).toMatchObject({ messages: 3, deleted: 0, returned: 3, timedOut: false });
    expect(outcome?.error?.message).toBe('boom');
    expect(esm.stats.errors).toBe(1);
  });

  it('leaves the whole batch when the response names a message not in it, as Lambda does', async () => {
    const { url } = await queueWithDlq();
    await send(f.sqs, url, ['a', 'b']);
    const { esm } = mapping(url, async () => ({ batchItemFailures: [{ itemIdentifier: 'not-a-message' }] }));
    const outcome = await esm.pollOnce();
    expect(outcome).toMatchObject({ messages: 2, deleted: 0, returned: 2 });
    expect(outcome?.error?.message).toMatch(/"not-a-message".*whole batch/);
  });

  it('ignores the response without ReportBatchItemFailures and deletes the whole batch', async () => {
    const { url } = await queueWithDlq();
    await send(f.sqs, url, ['a', 'b']);
    const { esm } = mapping(
      url,
      async (event) => ({ batchItemFailures: [{ itemIdentifier: event.Records[0]?.messageId ?? '' }] }),
      { reportBatchItemFailures: false },
    );
    expect(await esm.pollOnce()).toMatchObject({ messages: 2, deleted: 2, returned: 0 });
  });

  it('counts an invocation that outlives the function timeout as timed out and leaves its messages', async () => {
    const { url } = await queueWithDlq();
    await send(f.sqs, url, ['slow']);
    const { esm } = mapping(url, () => new Promise<void>(() => undefined), { functionTimeoutMillis: 6000 });
    const polled = esm.pollOnce();
    await waitUntil(() => clock.pending > 0);
    await clock.advance(6000);
    expect(await polled).toMatchObject({ messages: 1, deleted: 0, returned: 1, timedOut: true });
    expect(esm.stats.timeouts).toBe(1);
  });
});

describe('the local SQS event source mapping, running', () => {
  let real: SqsFixture;
  beforeAll(async () => {
    real = await startSqs();
  });
  afterAll(() => real.close());

  it('waits out the batching window for a fuller batch while pollers run, then stops cleanly', async () => {
    const { QueueUrl: url = '' } = await real.sqs.send(new CreateQueueCommand({ QueueName: 'running' }));
    const batches: number[] = [];
    const esm = new SqsEventSourceMapping({
      sqs: real.sqs,
      queueUrl: url,
      batchSize: 100,
      maxBatchingWindowMillis: 1000,
      concurrency: 2,
      handler: async (event) => {
        batches.push(event.Records.length);
      },
    });
    esm.start();
    await real.server.whenPollerCount('running', 2);
    // Sent in four calls: a mapping without a window would invoke on the first ten.
    await send(
      real.sqs,
      url,
      Array.from({ length: 40 }, (_, i) => `m${i}`),
    );
    await waitUntil(() => batches.reduce((a, b) => a + b, 0) === 40);
    await esm.stop();
    expect(batches.length).toBeLessThanOrEqual(2);
    expect(esm.stats).toMatchObject({ messages: 40, deleted: 40, errors: 0 });
  });
});

async function waitUntil(condition: () => boolean, timeoutMillis = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMillis;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
