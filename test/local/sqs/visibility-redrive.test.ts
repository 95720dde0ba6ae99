import {
  ChangeMessageVisibilityBatchCommand,
  ChangeMessageVisibilityCommand,
  CreateQueueCommand,
  DeleteMessageCommand,
  MessageNotInflight,
  OverLimit,
  ReceiveMessageCommand,
  SendMessageCommand,
  type Message,
} from '@aws-sdk/client-sqs';
import { FakeClock } from '../../../functions/core/time/clock';
import { createQueue, sqsError, startSqs, useSqs } from './sqs-test-kit';

const clock = new FakeClock(Date.UTC(2026, 0, 1));
const f = useSqs({ clock });

const queue = (QueueName: string, Attributes?: Record<string, string>) =>
  createQueue(f.sqs, QueueName, Attributes);

async function receive(
  QueueUrl: string,
  extra: Partial<ConstructorParameters<typeof ReceiveMessageCommand>[0]> = {},
): Promise<Message[]> {
  const { Messages = [] } = await f.sqs.send(
    new ReceiveMessageCommand({
      QueueUrl,
      MaxNumberOfMessages: 10,
      MessageSystemAttributeNames: ['All'],
      ...extra,
    }),
  );
  return Messages;
}

const bodies = (messages: Message[]) => messages.map((m) => m.Body);

describe('visibility timeout', () => {
  it("hides a received message for the queue's VisibilityTimeout, then delivers it again", async () => {
    const url = await queue('vt', { VisibilityTimeout: '30' });
    await f.sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'job' }));
    const [first] = await receive(url);
    expect(first?.Attributes?.ApproximateReceiveCount).toBe('1');
    await clock.advance(29_999);
    expect(await receive(url)).toEqual([]);
    expect(f.server.messageCounts('vt')).toEqual({ visible: 0, inflight: 1, delayed: 0 });
    await clock.advance(1);
    const [again] = await receive(url);
    expect(again?.MessageId).toBe(first?.MessageId);
    expect(again?.Attributes?.ApproximateReceiveCount).toBe('2');
  });

  it("uses the receive's VisibilityTimeout over the queue's", async () => {
    const url = await queue('vt', { VisibilityTimeout: '30' });
    await f.sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'job' }));
    await receive(url, { VisibilityTimeout: 5 });
    await clock.advance(5_000);
    expect(bodies(await receive(url))).toEqual(['job']);
  });

  it('makes a message visible at once with a visibility timeout of 0', async () => {
    const url = await queue('vt');
    await f.sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'job' }));
    await receive(url, { VisibilityTimeout: 0 });
    expect(bodies(await receive(url))).toEqual(['job']);
  });
});

describe('ChangeMessageVisibility', () => {
  it('extends the timeout, counting from the call', async () => {
    const url = await queue('cmv', { VisibilityTimeout: '30' });
    await f.sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'job' }));
    const [m] = await receive(url);
    await clock.advance(20_000);
    await f.sqs.send(
      new ChangeMessageVisibilityCommand({
        QueueUrl: url,
        ReceiptHandle: m?.ReceiptHandle,
        VisibilityTimeout: 60,
      }),
    );
    await clock.advance(59_999);
    expect(await receive(url)).toEqual([]);
    await clock.advance(1);
    expect(bodies(await receive(url))).toEqual(['job']);
  });

  it('releases the message at once with 0, and the next receive uses the queue timeout again', async () => {
    const url = await queue('cmv', { VisibilityTimeout: '30' });
    await f.sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'job' }));
    const [m] = await receive(url);
    await f.sqs.send(
      new ChangeMessageVisibilityCommand({
        QueueUrl: url,
        ReceiptHandle: m?.ReceiptHandle,
        VisibilityTimeout: 0,
      }),
    );
    expect(f.server.messageCounts('cmv')).toEqual({ visible: 1, inflight: 0, delayed: 0 });
    expect(bodies(await receive(url))).toEqual(['job']);
    await clock.advance(29_999);
    expect(await receive(url)).toEqual([]);
  });

  it('fails with MessageNotInflight once the timeout has run out', async () => {
    const url = await queue('cmv', { VisibilityTimeout: '10' });
    await f.sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'job' }));
    const [m] = await receive(url);
    await clock.advance(10_000);
    const attempt = f.sqs.send(
      new ChangeMessageVisibilityCommand({
        QueueUrl: url,
        ReceiptHandle: m?.ReceiptHandle,
        VisibilityTimeout: 30,
      }),
    );
    await expect(attempt).rejects.toBeInstanceOf(MessageNotInflight);
    await expect(attempt).rejects.toMatchObject(
      sqsError('MessageNotInflight', 'AWS.SimpleQueueService.MessageNotInflight'),
    );
  });

  it('fails with InvalidParameterValue for a deleted message or a handle outdated by a new receive', async () => {
    const url = await queue('cmv');
    await f.sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'a' }));
    const [old] = await receive(url, { VisibilityTimeout: 0 });
    const [current] = await receive(url);
    await expect(
      f.sqs.send(
        new ChangeMessageVisibilityCommand({
          QueueUrl: url,
          ReceiptHandle: old?.ReceiptHandle,
          VisibilityTimeout: 5,
        }),
      ),
    ).rejects.toMatchObject(sqsError('InvalidParameterValue'));
    await f.sqs.send(new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: current?.ReceiptHandle }));
    await expect(
      f.sqs.send(
        new ChangeMessageVisibilityCommand({
          QueueUrl: url,
          ReceiptHandle: current?.ReceiptHandle,
          VisibilityTimeout: 5,
        }),
      ),
    ).rejects.toMatchObject(sqsError('InvalidParameterValue'));
  });

  it('fails with ReceiptHandleIsInvalid for a handle it never issued', async () => {
    const url = await queue('cmv');
    await expect(
      f.sqs.send(
        new ChangeMessageVisibilityCommand({
          QueueUrl: url,
          ReceiptHandle: 'nonsense',
          VisibilityTimeout: 5,
        }),
      ),
    ).rejects.toMatchObject(sqsError('ReceiptHandleIsInvalid', 'ReceiptHandleIsInvalid', 404));
  });

  it('caps the total invisibility at 12 hours from the receive', async () => {
    const url = await queue('cmv', { VisibilityTimeout: '43200' });
    await f.sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'job' }));
    const [m] = await receive(url);
    await clock.advance(43_000_000);
    const change = (VisibilityTimeout: number) =>
      f.sqs.send(
        new ChangeMessageVisibilityCommand({
          QueueUrl: url,
          ReceiptHandle: m?.ReceiptHandle,
          VisibilityTimeout,
        }),
      );
    await expect(change(201)).rejects.toMatchObject(sqsError('InvalidParameterValue'));
    await expect(change(200)).resolves.toBeDefined();
  });

  it('requires VisibilityTimeout within 0 to 43200', async () => {
    const url = await queue('cmv');
    await f.sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'job' }));
    const [m] = await receive(url);
    await expect(
      f.sqs.send(
        new ChangeMessageVisibilityCommand({
          QueueUrl: url,
          ReceiptHandle: m?.ReceiptHandle,
          VisibilityTimeout: undefined,
        }),
      ),
    ).rejects.toMatchObject(sqsError('MissingParameter'));
    await expect(
      f.sqs.send(
        new ChangeMessageVisibilityCommand({
          QueueUrl: url,
          ReceiptHandle: m?.ReceiptHandle,
          VisibilityTimeout: 43_201,
        }),
      ),
    ).rejects.toMatchObject(sqsError('InvalidParameterValue'));
  });
});

describe('ChangeMessageVisibilityBatch', () => {
  it('changes each entry and reports failures per entry', async () => {
    const url = await queue('batch', { VisibilityTimeout: '30' });
    await f.sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'a' }));
    await f.sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'b' }));
    const [a, b] = await receive(url);
    const result = await f.sqs.send(
      new ChangeMessageVisibilityBatchCommand({
        QueueUrl: url,
        Entries: [
          { Id: 'a', ReceiptHandle: a?.ReceiptHandle, VisibilityTimeout: 0 },
          { Id: 'b', ReceiptHandle: b?.ReceiptHandle, VisibilityTimeout: 300 },
          { Id: 'junk', ReceiptHandle: 'junk', VisibilityTimeout: 0 },
        ],
      }),
    );
    expect(result.Successful).toEqual([{ Id: 'a' }, { Id: 'b' }]);
    expect(result.Failed).toEqual([
      { Id: 'junk', SenderFault: true, Code: 'ReceiptHandleIsInvalid', Message: expect.any(String) },
    ]);
    expect(bodies(await receive(url, { VisibilityTimeout: 1_000 }))).toEqual(['a']);
    await clock.advance(299_999);
    expect(bodies(await receive(url))).toEqual([]);
    await clock.advance(1);
    expect(bodies(await receive(url))).toEqual(['b']);
  });

  it('applies the batch limits', async () => {
    const url = await queue('batch');
    const entries = (n: number) =>
      Array.from({ length: n }, (_, i) => ({ Id: `e${i}`, ReceiptHandle: 'h', VisibilityTimeout: 1 }));
    await expect(
      f.sqs.send(new ChangeMessageVisibilityBatchCommand({ QueueUrl: url, Entries: [] })),
    ).rejects.toMatchObject(sqsError('EmptyBatchRequest', 'AWS.SimpleQueueService.EmptyBatchRequest'));
    await expect(
      f.sqs.send(new ChangeMessageVisibilityBatchCommand({ QueueUrl: url, Entries: entries(11) })),
    ).rejects.toMatchObject(
      sqsError('TooManyEntriesInBatchRequest', 'AWS.SimpleQueueService.TooManyEntriesInBatchRequest'),
    );
    await expect(
      f.sqs.send(
        new ChangeMessageVisibilityBatchCommand({ QueueUrl: url, Entries: [...entries(1), ...entries(1)] }),
      ),
    ).rejects.toMatchObject(
      sqsError('BatchEntryIdsNotDistinct', 'AWS.SimpleQueueService.BatchEntryIdsNotDistinct'),
    );
  });
});

describe('delays', () => {
  it("holds a message for its DelaySeconds, or the queue's DelaySeconds when it has none", async () => {
    const url = await queue('delay', { DelaySeconds: '10' });
    await f.sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'queue-delay' }));
    await f.sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'own-delay', DelaySeconds: 3 }));
    await f.sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'no-delay', DelaySeconds: 0 }));
    expect(f.server.messageCounts('delay')).toEqual({ visible: 1, inflight: 0, delayed: 2 });
    expect(bodies(await receive(url))).toEqual(['no-delay']);
    await clock.advance(3_000);
    expect(bodies(await receive(url))).toEqual(['own-delay']);
    await clock.advance(6_999);
    expect(await receive(url)).toEqual([]);
    await clock.advance(1);
    expect(bodies(await receive(url))).toEqual(['queue-delay']);
  });
});

describe('retention', () => {
  it('drops messages older than MessageRetentionPeriod, received or not', async () => {
    const url = await queue('short', { MessageRetentionPeriod: '60' });
    await f.sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'old' }));
    await receive(url, { VisibilityTimeout: 120 });
    await f.sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'stays' }));
    await clock.advance(30_000);
    await f.sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'newer' }));
    await clock.advance(30_000);
    expect(f.server.messageCounts('short')).toEqual({ visible: 1, inflight: 0, delayed: 0 });
    expect(bodies(await receive(url))).toEqual(['newer']);
  });
});

describe('redrive to the dead-letter queue', () => {
  async function redriving(maxReceiveCount: number, dlqAttributes: Record<string, string> = {}) {
    const dlq = await queue('dlq', dlqAttributes);
    const source = await queue('source', {
      VisibilityTimeout: '30',
      RedrivePolicy: JSON.stringify({
        deadLetterTargetArn: 'arn:aws:sqs:us-east-1:000000000000:dlq',
        maxReceiveCount,
      }),
    });
    return { dlq, source };
  }

  it('moves a message on the receive that would exceed maxReceiveCount, keeping its id, body and attributes', async () => {
    const { dlq, source } = await redriving(2);
    const { MessageId } = await f.sqs.send(
      new SendMessageCommand({
        QueueUrl: source,
        MessageBody: 'poison',
        MessageAttributes: { kind: { DataType: 'String', StringValue: 'test' } },
      }),
    );
    for (const count of ['1', '2']) {
      const [m] = await receive(source);
      expect(m?.Attributes?.ApproximateReceiveCount).toBe(count);
      await clock.advance(30_000);
    }
    expect(await receive(source)).toEqual([]);
    expect(f.server.messageCounts('source')).toEqual({ visible: 0, inflight: 0, delayed: 0 });
    const [dead] = await receive(dlq, { MessageAttributeNames: ['All'] });
    expect(dead).toMatchObject({
      MessageId,
      Body: 'poison',
      MessageAttributes: { kind: { DataType: 'String', StringValue: 'test' } },
    });
    expect(dead?.Attributes).toMatchObject({
      DeadLetterQueueSourceArn: 'arn:aws:sqs:us-east-1:000000000000:source',
      ApproximateReceiveCount: '3',
    });
  });

  it('does not move a message that is deleted in time', async () => {
    const { dlq, source } = await redriving(1);
    await f.sqs.send(new SendMessageCommand({ QueueUrl: source, MessageBody: 'fine' }));
    const [m] = await receive(source);
    await f.sqs.send(new DeleteMessageCommand({ QueueUrl: source, ReceiptHandle: m?.ReceiptHandle }));
    await clock.advance(30_000);
    expect(await receive(source)).toEqual([]);
    expect(await receive(dlq)).toEqual([]);
  });

  it("keeps a standard message's original enqueue time for the dead-letter queue's retention", async () => {
    const { dlq, source } = await redriving(1, { MessageRetentionPeriod: String(3 * 86_400) });
    await f.sqs.send(new SendMessageCommand({ QueueUrl: source, MessageBody: 'aged' }));
    await receive(source, { VisibilityTimeout: 0 });
    await clock.advance(2 * 86_400_000);
    expect(await receive(source)).toEqual([]);
    expect(f.server.messageCounts('dlq').visible).toBe(1);
    await clock.advance(86_400_000);
    expect(await receive(dlq)).toEqual([]);
    expect(f.server.messageCounts('dlq').visible).toBe(0);
  });

  it("restarts a FIFO message's enqueue time in a FIFO dead-letter queue", async () => {
    const dlq = await queue('dlq.fifo', { FifoQueue: 'true', MessageRetentionPeriod: String(3 * 86_400) });
    const source = await queue('source.fifo', {
      FifoQueue: 'true',
      RedrivePolicy: JSON.stringify({
        deadLetterTargetArn: 'arn:aws:sqs:us-east-1:000000000000:dlq.fifo',
        maxReceiveCount: 1,
      }),
    });
    await f.sqs.send(
      new SendMessageCommand({
        QueueUrl: source,
        MessageBody: 'aged',
        MessageGroupId: 'g',
        MessageDeduplicationId: 'd',
      }),
    );
    await receive(source, { VisibilityTimeout: 0 });
    await clock.advance(2 * 86_400_000);
    expect(await receive(source)).toEqual([]);
    await clock.advance(86_400_000);
    const [dead] = await receive(dlq);
    expect(dead?.Body).toBe('aged');
    expect(dead?.Attributes).toMatchObject({ MessageGroupId: 'g', MessageDeduplicationId: 'd' });
  });
});

describe('OverLimit', () => {
  it('refuses to receive past the in-flight limit of a standard queue until a message is deleted', async () => {
    const small = await startSqs({ clock, maxInflightMessages: 3 });
    try {
      const { QueueUrl } = await small.sqs.send(new CreateQueueCommand({ QueueName: 'busy' }));
      for (let i = 0; i < 5; i++)
        await small.sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: `${i}` }));
      const { Messages = [] } = await small.sqs.send(
        new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 10 }),
      );
      expect(Messages).toHaveLength(3);
      const attempt = small.sqs.send(new ReceiveMessageCommand({ QueueUrl }));
      await expect(attempt).rejects.toBeInstanceOf(OverLimit);
      await expect(attempt).rejects.toMatchObject(sqsError('OverLimit', 'OverLimit', 403));
      await small.sqs.send(new DeleteMessageCommand({ QueueUrl, ReceiptHandle: Messages[0]?.ReceiptHandle }));
      const more = await small.sqs.send(new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 10 }));
      expect(more.Messages).toHaveLength(1);
    } finally {
      await small.close();
    }
  });
});
