import { createHash } from 'node:crypto';
import {
  ChangeMessageVisibilityCommand,
  CreateQueueCommand,
  DeleteMessageBatchCommand,
  DeleteMessageCommand,
  ReceiptHandleIsInvalid,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SendMessageCommand,
  type Message,
} from '@aws-sdk/client-sqs';
import { FakeClock } from '../../../functions/core/time/clock';
import { sqsError, useSqs } from './sqs-test-kit';

const clock = new FakeClock(Date.UTC(2026, 0, 1));
const f = useSqs({ clock });

async function fifoQueue(
  QueueName = 'orders.fifo',
  Attributes: Record<string, string> = {},
): Promise<string> {
  const { QueueUrl } = await f.sqs.send(
    new CreateQueueCommand({
      QueueName,
      Attributes: { FifoQueue: 'true', VisibilityTimeout: '30', ...Attributes },
    }),
  );
  return QueueUrl as string;
}

async function send(
  QueueUrl: string,
  MessageGroupId: string,
  MessageBody: string,
  MessageDeduplicationId = MessageBody,
) {
  return f.sqs.send(
    new SendMessageCommand({ QueueUrl, MessageBody, MessageGroupId, MessageDeduplicationId }),
  );
}

async function receive(
  QueueUrl: string,
  MaxNumberOfMessages = 10,
  VisibilityTimeout?: number,
): Promise<Message[]> {
  const { Messages = [] } = await f.sqs.send(
    new ReceiveMessageCommand({
      QueueUrl,
      MaxNumberOfMessages,
      VisibilityTimeout,
      MessageSystemAttributeNames: ['All'],
    }),
  );
  return Messages;
}

async function deleteAll(QueueUrl: string, messages: Message[]) {
  await f.sqs.send(
    new DeleteMessageBatchCommand({
      QueueUrl,
      Entries: messages.map((m, i) => ({ Id: `m${i}`, ReceiptHandle: m.ReceiptHandle })),
    }),
  );
}

const bodies = (messages: Message[]) => messages.map((m) => m.Body);

describe('message groups', () => {
  it('delivers each group in send order, oldest group first, filling a receive from one group before the next', async () => {
    const url = await fifoQueue();
    await send(url, 'g1', '1');
    await send(url, 'g2', 'a');
    await send(url, 'g1', '2');
    await send(url, 'g2', 'b');
    await send(url, 'g1', '3');
    expect(bodies(await receive(url))).toEqual(['1', '2', '3', 'a', 'b']);
  });

  it('delivers nothing more from a group while one of its messages is in flight', async () => {
    const url = await fifoQueue();
    await send(url, 'g1', '1');
    await send(url, 'g1', '2');
    await send(url, 'g2', 'a');
    const [first] = await receive(url, 1);
    expect(first?.Body).toBe('1');
    expect(bodies(await receive(url, 10))).toEqual(['a']);
    expect(await receive(url, 10)).toEqual([]);
    await f.sqs.send(new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: first?.ReceiptHandle }));
    expect(bodies(await receive(url, 10))).toEqual(['2']);
  });

  it('keeps a group locked until every message of a multi-message receive is deleted', async () => {
    const url = await fifoQueue();
    for (const body of ['1', '2', '3']) await send(url, 'g', body);
    const batch = await receive(url, 2);
    expect(bodies(batch)).toEqual(['1', '2']);
    await deleteAll(url, batch.slice(0, 1));
    expect(await receive(url)).toEqual([]);
    await deleteAll(url, batch.slice(1));
    expect(bodies(await receive(url))).toEqual(['3']);
  });

  it('keeps a group locked while a later message is in flight even when an earlier one is released', async () => {
    const url = await fifoQueue();
    for (const body of ['1', '2']) await send(url, 'g', body);
    const [first, second] = await receive(url, 2);
    await f.sqs.send(
      new ChangeMessageVisibilityCommand({
        QueueUrl: url,
        ReceiptHandle: first?.ReceiptHandle,
        VisibilityTimeout: 0,
      }),
    );
    expect(await receive(url)).toEqual([]);
    await f.sqs.send(new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: second?.ReceiptHandle }));
    expect(bodies(await receive(url))).toEqual(['1']);
  });

  it('redelivers the same head message, in order, when its visibility timeout runs out', async () => {
    const url = await fifoQueue();
    await send(url, 'g', '1');
    await send(url, 'g', '2');
    const [first] = await receive(url, 1);
    await clock.advance(30_000);
    const [again, next] = await receive(url, 10);
    expect(again).toMatchObject({ Body: '1', MessageId: first?.MessageId });
    expect(again?.Attributes?.ApproximateReceiveCount).toBe('2');
    expect(next?.Body).toBe('2');
  });

  it('returns MessageGroupId, MessageDeduplicationId and increasing SequenceNumbers', async () => {
    const url = await fifoQueue();
    const sent = [await send(url, 'g', 'x', 'dx'), await send(url, 'g', 'y', 'dy')];
    const sequence = sent.map((s) => BigInt(s.SequenceNumber ?? '0'));
    expect(sequence[1]).toBeGreaterThan(sequence[0] as bigint);
    expect(sent[0]?.SequenceNumber).toMatch(/^\d{20}$/);
    const messages = await receive(url);
    expect(messages.map((m) => m.Attributes)).toEqual([
      expect.objectContaining({
        MessageGroupId: 'g',
        MessageDeduplicationId: 'dx',
        SequenceNumber: sent[0]?.SequenceNumber,
      }),
      expect.objectContaining({
        MessageGroupId: 'g',
        MessageDeduplicationId: 'dy',
        SequenceNumber: sent[1]?.SequenceNumber,
      }),
    ]);
  });

  it('enqueues a batch in entry order', async () => {
    const url = await fifoQueue();
    const Entries = Array.from({ length: 10 }, (_, i) => ({
      Id: `e${i}`,
      MessageBody: `${i}`,
      MessageGroupId: 'g',
      MessageDeduplicationId: `d${i}`,
    }));
    const result = await f.sqs.send(new SendMessageBatchCommand({ QueueUrl: url, Entries }));
    expect(result.Successful?.map((s) => s.Id)).toEqual(Entries.map((e) => e.Id));
    expect(bodies(await receive(url))).toEqual(Entries.map((e) => e.MessageBody));
  });

  it("applies the queue's DelaySeconds to every message", async () => {
    const url = await fifoQueue('delayed.fifo', { DelaySeconds: '5' });
    await send(url, 'g', 'late');
    expect(await receive(url)).toEqual([]);
    await clock.advance(5_000);
    expect(bodies(await receive(url))).toEqual(['late']);
  });
});

describe('deduplication', () => {
  it('accepts a repeated MessageDeduplicationId within 5 minutes without enqueuing it again', async () => {
    const url = await fifoQueue();
    const first = await send(url, 'g', 'one', 'same-id');
    await clock.advance(299_999);
    const repeat = await send(url, 'g', 'two', 'same-id');
    expect(repeat).toMatchObject({ MessageId: first.MessageId, SequenceNumber: first.SequenceNumber });
    expect(bodies(await receive(url))).toEqual(['one']);
  });

  it('remembers the id after the message is deleted, and forgets it after the interval', async () => {
    const url = await fifoQueue();
    await send(url, 'g', 'one', 'same-id');
    await deleteAll(url, await receive(url));
    await send(url, 'g', 'two', 'same-id');
    expect(await receive(url)).toEqual([]);
    await clock.advance(300_000);
    await send(url, 'g', 'three', 'same-id');
    expect(bodies(await receive(url))).toEqual(['three']);
  });

  it('derives the id from a SHA-256 of the body under ContentBasedDeduplication; an explicit id wins', async () => {
    const url = await fifoQueue('cbd.fifo', { ContentBasedDeduplication: 'true' });
    const body = (MessageBody: string, MessageDeduplicationId?: string) =>
      f.sqs.send(
        new SendMessageCommand({ QueueUrl: url, MessageBody, MessageGroupId: 'g', MessageDeduplicationId }),
      );
    await body('same');
    await body('same');
    await body('same', 'explicit');
    await body('other', createHash('sha256').update('same').digest('hex'));
    const messages = await receive(url);
    expect(bodies(messages)).toEqual(['same', 'same']);
    expect(messages[0]?.Attributes?.MessageDeduplicationId).toBe(
      createHash('sha256').update('same').digest('hex'),
    );
    expect(messages[1]?.Attributes?.MessageDeduplicationId).toBe('explicit');
  });

  it('deduplicates within a group only under DeduplicationScope messageGroup', async () => {
    const url = await fifoQueue('scoped.fifo', {
      DeduplicationScope: 'messageGroup',
      FifoThroughputLimit: 'perMessageGroupId',
    });
    await send(url, 'g1', 'a', 'd');
    await send(url, 'g2', 'b', 'd');
    await send(url, 'g1', 'c', 'd');
    expect(bodies(await receive(url))).toEqual(['a', 'b']);
  });

  it('deduplicates across groups under the default queue scope', async () => {
    const url = await fifoQueue();
    await send(url, 'g1', 'a', 'd');
    await send(url, 'g2', 'b', 'd');
    expect(bodies(await receive(url))).toEqual(['a']);
  });
});

describe('FIFO send checks', () => {
  it('requires MessageGroupId (MissingParameter) and a deduplication id without ContentBasedDeduplication', async () => {
    const url = await fifoQueue();
    await expect(
      f.sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'x', MessageDeduplicationId: 'd' })),
    ).rejects.toMatchObject(sqsError('MissingParameter'));
    await expect(
      f.sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'x', MessageGroupId: 'g' })),
    ).rejects.toMatchObject(sqsError('InvalidParameterValue'));
  });

  it('refuses a per-message DelaySeconds and malformed group or deduplication ids', async () => {
    const url = await fifoQueue();
    const attempts = [
      { MessageGroupId: 'g', MessageDeduplicationId: 'd', DelaySeconds: 5 },
      { MessageGroupId: 'has space', MessageDeduplicationId: 'd' },
      { MessageGroupId: 'g'.repeat(129), MessageDeduplicationId: 'd' },
      { MessageGroupId: 'g', MessageDeduplicationId: 'é' },
    ];
    for (const extra of attempts) {
      await expect(
        f.sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'x', ...extra })),
      ).rejects.toMatchObject(sqsError('InvalidParameterValue'));
    }
    await expect(
      f.sqs.send(
        new SendMessageCommand({
          QueueUrl: url,
          MessageBody: 'x',
          MessageGroupId: `${'g'.repeat(120)}!#$%&()*`,
          MessageDeduplicationId: 'd'.repeat(128),
        }),
      ),
    ).resolves.toBeDefined();
  });

  it('reports FIFO check failures per entry in a batch', async () => {
    const url = await fifoQueue();
    const result = await f.sqs.send(
      new SendMessageBatchCommand({
        QueueUrl: url,
        Entries: [
          { Id: 'ok', MessageBody: 'x', MessageGroupId: 'g', MessageDeduplicationId: 'd1' },
          { Id: 'nogroup', MessageBody: 'y', MessageDeduplicationId: 'd2' },
        ],
      }),
    );
    expect(result.Successful?.map((s) => s.Id)).toEqual(['ok']);
    expect(result.Failed).toEqual([
      { Id: 'nogroup', SenderFault: true, Code: 'MissingParameter', Message: expect.any(String) },
    ]);
  });
});

describe('FIFO receipt handles', () => {
  it('refuses to delete with a handle whose visibility timeout ran out (ReceiptHandleIsInvalid)', async () => {
    const url = await fifoQueue();
    await send(url, 'g', 'x');
    const [m] = await receive(url, 1, 10);
    await clock.advance(10_000);
    const attempt = f.sqs.send(new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: m?.ReceiptHandle }));
    await expect(attempt).rejects.toBeInstanceOf(ReceiptHandleIsInvalid);
    await expect(attempt).rejects.toMatchObject(
      sqsError('ReceiptHandleIsInvalid', 'ReceiptHandleIsInvalid', 404),
    );
    expect(f.server.messageCounts('orders.fifo').visible).toBe(1);
  });
});
