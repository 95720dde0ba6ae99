import {
  ChangeMessageVisibilityCommand,
  CreateQueueCommand,
  DeleteMessageCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
} from '@aws-sdk/client-sqs';
import { FakeClock } from '../../../functions/core/time/clock';
import { createQueue, startSqs, useSqs, type SqsFixture } from './sqs-test-kit';

describe('long polling on a fake clock', () => {
  const clock = new FakeClock(Date.UTC(2026, 0, 1));
  const f = useSqs({ clock });
  let QueueUrl: string;

  beforeEach(async () => {
    QueueUrl = await createQueue(f.sqs, 'poll');
  });

  const longPoll = (WaitTimeSeconds = 20, extra: Record<string, unknown> = {}) =>
    f.sqs.send(
      new ReceiveMessageCommand({
        QueueUrl,
        WaitTimeSeconds,
        MessageSystemAttributeNames: ['ApproximateReceiveCount'],
        ...extra,
      }),
    );

  it('returns as soon as a message is sent, with no time passing', async () => {
    const start = clock.now();
    const poll = longPoll();
    await f.server.whenPolling('poll');
    await f.sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: 'hello' }));
    const { Messages = [] } = await poll;
    expect(Messages.map((m) => m.Body)).toEqual(['hello']);
    expect(clock.now()).toBe(start);
    expect(f.server.pollerCount('poll')).toBe(0);
  });

  it('waits the whole WaitTimeSeconds and then returns no messages', async () => {
    const poll = longPoll(20);
    await f.server.whenPolling('poll');
    await clock.advance(19_999);
    expect(f.server.pollerCount('poll')).toBe(1);
    await clock.advance(1);
    const { Messages } = await poll;
    expect(Messages ?? []).toEqual([]);
    expect(f.server.pollerCount('poll')).toBe(0);
  });

  it('returns when an in-flight message becomes visible again during the wait', async () => {
    await f.sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: 'retry-me' }));
    await f.sqs.send(new ReceiveMessageCommand({ QueueUrl, VisibilityTimeout: 10 }));
    const poll = longPoll(20);
    await f.server.whenPolling('poll');
    await clock.advance(10_000);
    const { Messages = [] } = await poll;
    expect(Messages.map((m) => [m.Body, m.Attributes?.ApproximateReceiveCount])).toEqual([['retry-me', '2']]);
  });

  it('returns when ChangeMessageVisibility releases a message', async () => {
    await f.sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: 'released' }));
    const { Messages: [held] = [] } = await f.sqs.send(
      new ReceiveMessageCommand({ QueueUrl, VisibilityTimeout: 300 }),
    );
    const poll = longPoll(20);
    await f.server.whenPolling('poll');
    await f.sqs.send(
      new ChangeMessageVisibilityCommand({
        QueueUrl,
        ReceiptHandle: held?.ReceiptHandle,
        VisibilityTimeout: 0,
      }),
    );
    const { Messages = [] } = await poll;
    expect(Messages.map((m) => m.Body)).toEqual(['released']);
  });

  it('returns when a delayed message comes due during the wait', async () => {
    await f.sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: 'later', DelaySeconds: 15 }));
    const poll = longPoll(20);
    await f.server.whenPolling('poll');
    await clock.advance(15_000);
    const { Messages = [] } = await poll;
    expect(Messages.map((m) => m.Body)).toEqual(['later']);
  });

  it("waits by the queue's ReceiveMessageWaitTimeSeconds when the call gives no WaitTimeSeconds", async () => {
    const { QueueUrl: waiting } = await f.sqs.send(
      new CreateQueueCommand({ QueueName: 'waiting', Attributes: { ReceiveMessageWaitTimeSeconds: '20' } }),
    );
    const poll = f.sqs.send(new ReceiveMessageCommand({ QueueUrl: waiting }));
    await f.server.whenPolling('waiting');
    await f.sqs.send(new SendMessageCommand({ QueueUrl: waiting, MessageBody: 'x' }));
    expect((await poll).Messages?.map((m) => m.Body)).toEqual(['x']);
  });

  it('hands each message to one poller and keeps the others waiting', async () => {
    const first = longPoll();
    const second = longPoll();
    await f.server.whenPolling('poll', 2);
    await f.sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: 'one' }));
    const winner = await Promise.race([first, second]);
    expect(winner.Messages?.map((m) => m.Body)).toEqual(['one']);
    await f.server.whenPollerCount('poll', 1);
    await f.sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: 'two' }));
    const both = await Promise.all([first, second]);
    expect(
      both
        .flatMap((r) => r.Messages ?? [])
        .map((m) => m.Body)
        .sort(),
    ).toEqual(['one', 'two']);
  });

  it('returns when a FIFO group is unlocked by deleting its in-flight message', async () => {
    const { QueueUrl: fifo } = await f.sqs.send(
      new CreateQueueCommand({
        QueueName: 'poll.fifo',
        Attributes: { FifoQueue: 'true', ContentBasedDeduplication: 'true' },
      }),
    );
    for (const MessageBody of ['1', '2']) {
      await f.sqs.send(new SendMessageCommand({ QueueUrl: fifo, MessageBody, MessageGroupId: 'g' }));
    }
    const { Messages: [head] = [] } = await f.sqs.send(new ReceiveMessageCommand({ QueueUrl: fifo }));
    const poll = f.sqs.send(new ReceiveMessageCommand({ QueueUrl: fifo, WaitTimeSeconds: 20 }));
    await f.server.whenPolling('poll.fifo');
    await f.sqs.send(new DeleteMessageCommand({ QueueUrl: fifo, ReceiptHandle: head?.ReceiptHandle }));
    expect((await poll).Messages?.map((m) => m.Body)).toEqual(['2']);
  });

  it('stops waiting when the client goes away, so a later message is not lost to it', async () => {
    const abort = new AbortController();
    const poll = f.sqsOneAttempt.send(new ReceiveMessageCommand({ QueueUrl, WaitTimeSeconds: 20 }), {
      abortSignal: abort.signal,
    });
    await f.server.whenPolling('poll');
    abort.abort();
    await expect(poll).rejects.toThrow();
    await f.server.whenPollerCount('poll', 0);
    await f.sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: 'kept' }));
    expect(f.server.messageCounts('poll')).toEqual({ visible: 1, inflight: 0, delayed: 0 });
  });
});

describe('long polling on the real clock', () => {
  let f: SqsFixture;
  let QueueUrl: string;

  beforeAll(async () => {
    f = await startSqs();
    ({ QueueUrl = '' } = await f.sqs.send(new CreateQueueCommand({ QueueName: 'real' })));
  });
  afterAll(() => f.close());

  it('returns on send long before WaitTimeSeconds', async () => {
    const started = Date.now();
    const poll = f.sqs.send(new ReceiveMessageCommand({ QueueUrl, WaitTimeSeconds: 20 }));
    await f.server.whenPolling('real');
    await f.sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: 'now' }));
    const { Messages = [] } = await poll;
    expect(Messages.map((m) => m.Body)).toEqual(['now']);
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it('returns empty once a one-second wait has passed', async () => {
    const started = Date.now();
    const { Messages } = await f.sqs.send(new ReceiveMessageCommand({ QueueUrl, WaitTimeSeconds: 1 }));
    expect(Messages ?? []).toEqual([]);
    expect(Date.now() - started).toBeGreaterThanOrEqual(990);
  });

  it('ends pending long polls when the server closes', async () => {
    const other = await startSqs();
    const { QueueUrl: url } = await other.sqs.send(new CreateQueueCommand({ QueueName: 'closing' }));
    const poll = other.sqsOneAttempt.send(new ReceiveMessageCommand({ QueueUrl: url, WaitTimeSeconds: 20 }));
    await other.server.whenPolling('closing');
    const started = Date.now();
    await other.close();
    const [outcome] = await Promise.allSettled([poll]);
    expect(outcome.status === 'rejected' || (outcome.value.Messages ?? []).length === 0).toBe(true);
    expect(Date.now() - started).toBeLessThan(10_000);
  });
});
