import { createHash } from 'node:crypto';
import {
  BatchEntryIdsNotDistinct,
  BatchRequestTooLong,
  CreateQueueCommand,
  DeleteMessageBatchCommand,
  DeleteMessageCommand,
  EmptyBatchRequest,
  InvalidBatchEntryId,
  InvalidMessageContents,
  ReceiptHandleIsInvalid,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SendMessageCommand,
  TooManyEntriesInBatchRequest,
  type MessageAttributeValue,
} from '@aws-sdk/client-sqs';
import { FakeClock } from '../../../functions/core/time/clock';
import { md5OfMessageAttributes } from '../../../local/sqs';
import { createQueue, sqsError, useSqs } from './sqs-test-kit';

const clock = new FakeClock(Date.UTC(2026, 0, 1));
const f = useSqs({ clock });
let QueueUrl: string;

beforeEach(async () => {
  QueueUrl = await createQueue(f.sqs, 'messages');
});

const md5 = (text: string) => createHash('md5').update(text, 'utf8').digest('hex');
const MiB = 1_048_576;

// Known answers from an independent implementation of SQS's attribute MD5 (npm aws-md5-of-message-attributes).
const stringAttribute = { attribName1: { DataType: 'String', StringValue: 'attribValue 1' } };
const numberAttribute = {
  customNumberTypeAttrib: { DataType: 'Number.float', StringValue: '4563442423554324324264524243.32543234' },
};
const binaryAttribute = {
  binaryAttribute: { DataType: 'Binary', BinaryValue: new Uint8Array(Buffer.from('Hello binary world!')) },
};

async function receiveOne(extra: Partial<ConstructorParameters<typeof ReceiveMessageCommand>[0]> = {}) {
  const { Messages = [] } = await f.sqs.send(new ReceiveMessageCommand({ QueueUrl, ...extra }));
  expect(Messages).toHaveLength(1);
  return Messages[0] as NonNullable<(typeof Messages)[number]>;
}

describe('MD5 digests', () => {
  it.each([
    ['a String attribute', stringAttribute, '19e27d4e946b072f3f58da80d94fd778'],
    ['a custom Number attribute', numberAttribute, '9fe1b90bbd9965bdf77bac517c7d2495'],
    ['a Binary attribute', binaryAttribute, '31a92b15d92f8db860eda32aceb656c3'],
    [
      'several attributes, sorted by name',
      { ...stringAttribute, ...numberAttribute, ...binaryAttribute },
      'c932db14a896c663f83c260297d594ff',
    ],
  ])('returns MD5OfMessageAttributes as SQS computes it for %s', async (_label, attributes, expected) => {
    const sent = await f.sqs.send(
      new SendMessageCommand({
        QueueUrl,
        MessageBody: 'body',
        MessageAttributes: attributes as Record<string, MessageAttributeValue>,
      }),
    );
    expect(sent.MD5OfMessageAttributes).toBe(expected);
    const received = await receiveOne({ MessageAttributeNames: ['All'] });
    expect(received.MD5OfMessageAttributes).toBe(expected);
  });

  it('returns the MD5 of the UTF-8 body on send and on receive (the SDK checks both)', async () => {
    const MessageBody = 'Grüße, 世界 🌍\ttab\nline';
    const sent = await f.sqs.send(new SendMessageCommand({ QueueUrl, MessageBody }));
    expect(sent.MD5OfMessageBody).toBe(md5(MessageBody));
    expect(sent.MD5OfMessageAttributes).toBeUndefined();
    const received = await receiveOne();
    expect(received).toMatchObject({
      Body: MessageBody,
      MD5OfBody: md5(MessageBody),
      MessageId: sent.MessageId,
    });
    expect(received.MD5OfMessageAttributes).toBeUndefined();
  });

  it('digests only the attributes a receive asks for, by name or by prefix', async () => {
    const MessageAttributes = {
      'trace.id': { DataType: 'String', StringValue: 't-1' },
      'trace.span': { DataType: 'Number', StringValue: '7' },
      tenant: { DataType: 'String', StringValue: 'acme' },
    };
    await f.sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: 'x', MessageAttributes }));
    const received = await receiveOne({ MessageAttributeNames: ['trace.*'], VisibilityTimeout: 0 });
    const traced = {
      'trace.id': MessageAttributes['trace.id'],
      'trace.span': MessageAttributes['trace.span'],
    };
    expect(received.MessageAttributes).toEqual(traced);
    expect(received.MD5OfMessageAttributes).toBe(md5OfMessageAttributes(traced));
    const byName = await receiveOne({ MessageAttributeNames: ['tenant'] });
    expect(byName.MessageAttributes).toEqual({ tenant: MessageAttributes.tenant });
  });

  it('round-trips a Binary attribute byte for byte', async () => {
    const bytes = new Uint8Array([0, 1, 2, 250, 255]);
    await f.sqs.send(
      new SendMessageCommand({
        QueueUrl,
        MessageBody: 'x',
        MessageAttributes: { blob: { DataType: 'Binary.gzip', BinaryValue: bytes } },
      }),
    );
    const received = await receiveOne({ MessageAttributeNames: ['All'] });
    expect(received.MessageAttributes?.blob?.DataType).toBe('Binary.gzip');
    expect([...(received.MessageAttributes?.blob?.BinaryValue ?? [])]).toEqual([...bytes]);
  });
});

describe('SendMessage', () => {
  it('accepts a body of exactly MaximumMessageSize (1 MiB) and rejects one byte more', async () => {
    await expect(
      f.sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: 'a'.repeat(MiB) })),
    ).resolves.toMatchObject({ MD5OfMessageBody: md5('a'.repeat(MiB)) });
    await expect(
      f.sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: 'a'.repeat(MiB + 1) })),
    ).rejects.toMatchObject(sqsError('InvalidParameterValue'));
  });

  it('counts attribute names, types and values toward the size limit', async () => {
    // 'n' + 'String' + 'abcd' = 11 bytes on top of the body.
    const MessageAttributes = { n: { DataType: 'String', StringValue: 'abcd' } };
    await expect(
      f.sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: 'a'.repeat(MiB - 11), MessageAttributes })),
    ).resolves.toBeDefined();
    await expect(
      f.sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: 'a'.repeat(MiB - 10), MessageAttributes })),
    ).rejects.toMatchObject(sqsError('InvalidParameterValue'));
  });

  it('enforces a smaller MaximumMessageSize in bytes of UTF-8, not characters', async () => {
    const { QueueUrl: small } = await f.sqs.send(
      new CreateQueueCommand({ QueueName: 'small', Attributes: { MaximumMessageSize: '1024' } }),
    );
    await expect(
      f.sqs.send(new SendMessageCommand({ QueueUrl: small, MessageBody: 'é'.repeat(512) })),
    ).resolves.toBeDefined();
    await expect(
      f.sqs.send(new SendMessageCommand({ QueueUrl: small, MessageBody: 'é'.repeat(513) })),
    ).rejects.toMatchObject(sqsError('InvalidParameterValue'));
  });

  it.each([
    ['a NUL character', 'a\u0000b'],
    ['a control character', 'a\u0001b'],
    ['U+FFFE', 'a\uFFFEb'],
    ['a lone surrogate', 'a\uD800b'],
  ])('rejects a body with %s with InvalidMessageContents', async (_label, MessageBody) => {
    const attempt = f.sqs.send(new SendMessageCommand({ QueueUrl, MessageBody }));
    await expect(attempt).rejects.toBeInstanceOf(InvalidMessageContents);
    await expect(attempt).rejects.toMatchObject(sqsError('InvalidMessageContents'));
  });

  it('rejects a missing body with MissingParameter and DelaySeconds over 900 with InvalidParameterValue', async () => {
    await expect(f.sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: '' }))).rejects.toMatchObject(
      sqsError('MissingParameter'),
    );
    await expect(
      f.sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: 'x', DelaySeconds: 901 })),
    ).rejects.toMatchObject(sqsError('InvalidParameterValue'));
  });

  it.each([
    [
      '11 attributes',
      Object.fromEntries(
        Array.from({ length: 11 }, (_, i) => [`a${i}`, { DataType: 'String', StringValue: 'v' }]),
      ),
    ],
    ['a reserved AWS. prefix', { 'AWS.thing': { DataType: 'String', StringValue: 'v' } }],
    ['a reserved amazon. prefix in any case', { 'amazon.Thing': { DataType: 'String', StringValue: 'v' } }],
    ['consecutive periods', { 'a..b': { DataType: 'String', StringValue: 'v' } }],
    ['a leading period', { '.a': { DataType: 'String', StringValue: 'v' } }],
    ['a character outside the name set', { 'a b': { DataType: 'String', StringValue: 'v' } }],
    ['an unknown data type', { a: { DataType: 'Strin', StringValue: 'v' } }],
    ['an empty string value', { a: { DataType: 'String', StringValue: '' } }],
    ['a Number that is not a number', { a: { DataType: 'Number', StringValue: '12abc' } }],
    ['a Number of 39 significant digits', { a: { DataType: 'Number', StringValue: '1'.repeat(39) } }],
    ['a Binary with no bytes', { a: { DataType: 'Binary', BinaryValue: new Uint8Array() } }],
    ['a String carrying a BinaryValue', { a: { DataType: 'String', BinaryValue: new Uint8Array([1]) } }],
    ['a list value', { a: { DataType: 'String', StringListValues: ['x'] } }],
  ])('rejects message attributes with %s with InvalidParameterValue', async (_label, MessageAttributes) => {
    await expect(
      f.sqs.send(
        new SendMessageCommand({
          QueueUrl,
          MessageBody: 'x',
          MessageAttributes: MessageAttributes as Record<string, MessageAttributeValue>,
        }),
      ),
    ).rejects.toMatchObject(sqsError('InvalidParameterValue'));
  });

  it('accepts ten attributes and a 38-digit Number', async () => {
    const MessageAttributes: Record<string, MessageAttributeValue> = Object.fromEntries(
      Array.from({ length: 10 }, (_, i) => [`a${i}`, { DataType: 'String', StringValue: 'v' }]),
    );
    MessageAttributes.a9 = { DataType: 'Number', StringValue: `-${'9'.repeat(36)}.5e-3` };
    await expect(
      f.sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: 'x', MessageAttributes })),
    ).resolves.toBeDefined();
  });

  it('carries the AWSTraceHeader system attribute with its own MD5', async () => {
    const trace = { DataType: 'String', StringValue: 'Root=1-5759e988-bd862e3fe1be46a994272793;Sampled=1' };
    const sent = await f.sqs.send(
      new SendMessageCommand({
        QueueUrl,
        MessageBody: 'x',
        MessageSystemAttributes: { AWSTraceHeader: trace },
      }),
    );
    expect(sent.MD5OfMessageSystemAttributes).toBe(md5OfMessageAttributes({ AWSTraceHeader: trace }));
    const received = await receiveOne({ MessageSystemAttributeNames: ['AWSTraceHeader'] });
    expect(received.Attributes).toEqual({ AWSTraceHeader: trace.StringValue });
  });

  it('refuses MessageDeduplicationId on a standard queue but accepts MessageGroupId (fair queues)', async () => {
    await expect(
      f.sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: 'x', MessageDeduplicationId: 'd' })),
    ).rejects.toMatchObject(sqsError('InvalidParameterValue'));
    await f.sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: 'x', MessageGroupId: 'tenant-1' }));
    const received = await receiveOne({ MessageSystemAttributeNames: ['MessageGroupId'] });
    expect(received.Attributes).toEqual({ MessageGroupId: 'tenant-1' });
  });
});

describe('SendMessageBatch', () => {
  const entry = (Id: string, MessageBody = `body-${Id}`) => ({ Id, MessageBody });

  it('sends ten entries and reports each with its MessageId and MD5', async () => {
    const Entries = Array.from({ length: 10 }, (_, i) => entry(`e${i}`));
    const result = await f.sqs.send(new SendMessageBatchCommand({ QueueUrl, Entries }));
    expect(result.Failed ?? []).toEqual([]);
    expect(result.Successful?.map((s) => [s.Id, s.MD5OfMessageBody])).toEqual(
      Entries.map((e) => [e.Id, md5(e.MessageBody)]),
    );
    expect(new Set(result.Successful?.map((s) => s.MessageId)).size).toBe(10);
    expect(f.server.messageCounts('messages').visible).toBe(10);
  });

  it('fails the whole call with TooManyEntriesInBatchRequest for 11 entries', async () => {
    const attempt = f.sqs.send(
      new SendMessageBatchCommand({
        QueueUrl,
        Entries: Array.from({ length: 11 }, (_, i) => entry(`e${i}`)),
      }),
    );
    await expect(attempt).rejects.toBeInstanceOf(TooManyEntriesInBatchRequest);
    await expect(attempt).rejects.toMatchObject(
      sqsError('TooManyEntriesInBatchRequest', 'AWS.SimpleQueueService.TooManyEntriesInBatchRequest'),
    );
    expect(f.server.messageCounts('messages').visible).toBe(0);
  });

  it('fails with EmptyBatchRequest, BatchEntryIdsNotDistinct and InvalidBatchEntryId', async () => {
    const empty = f.sqs.send(new SendMessageBatchCommand({ QueueUrl, Entries: [] }));
    await expect(empty).rejects.toBeInstanceOf(EmptyBatchRequest);
    await expect(empty).rejects.toMatchObject(
      sqsError('EmptyBatchRequest', 'AWS.SimpleQueueService.EmptyBatchRequest'),
    );
    const repeated = f.sqs.send(new SendMessageBatchCommand({ QueueUrl, Entries: [entry('a'), entry('a')] }));
    await expect(repeated).rejects.toBeInstanceOf(BatchEntryIdsNotDistinct);
    await expect(repeated).rejects.toMatchObject(
      sqsError('BatchEntryIdsNotDistinct', 'AWS.SimpleQueueService.BatchEntryIdsNotDistinct'),
    );
    for (const id of ['bad id', 'x'.repeat(81), 'a.b']) {
      const invalid = f.sqs.send(new SendMessageBatchCommand({ QueueUrl, Entries: [entry(id)] }));
      await expect(invalid).rejects.toBeInstanceOf(InvalidBatchEntryId);
      await expect(invalid).rejects.toMatchObject(
        sqsError('InvalidBatchEntryId', 'AWS.SimpleQueueService.InvalidBatchEntryId'),
      );
    }
  });

  it('fails with BatchRequestTooLong when the entries add up to more than 1 MiB', async () => {
    const half = 'a'.repeat(MiB / 2);
    await expect(
      f.sqs.send(new SendMessageBatchCommand({ QueueUrl, Entries: [entry('a', half), entry('b', half)] })),
    ).resolves.toMatchObject({ Successful: [expect.anything(), expect.anything()] });
    const attempt = f.sqs.send(
      new SendMessageBatchCommand({ QueueUrl, Entries: [entry('a', half), entry('b', `${half}!`)] }),
    );
    await expect(attempt).rejects.toBeInstanceOf(BatchRequestTooLong);
    await expect(attempt).rejects.toMatchObject(
      sqsError('BatchRequestTooLong', 'AWS.SimpleQueueService.BatchRequestTooLong'),
    );
  });

  it('reports a bad entry in Failed and still sends the others', async () => {
    const result = await f.sqs.send(
      new SendMessageBatchCommand({
        QueueUrl,
        Entries: [
          entry('ok1'),
          entry('bad', 'nul\u0000'),
          { Id: 'late', MessageBody: 'x', DelaySeconds: 1000 },
          entry('ok2'),
        ],
      }),
    );
    expect(result.Successful?.map((s) => s.Id)).toEqual(['ok1', 'ok2']);
    expect(result.Failed).toEqual([
      { Id: 'bad', SenderFault: true, Code: 'InvalidMessageContents', Message: expect.any(String) },
      {
        Id: 'late',
        SenderFault: true,
        Code: 'InvalidParameterValue',
        Message: expect.stringContaining('DelaySeconds'),
      },
    ]);
  });
});

describe('ReceiveMessage', () => {
  it('returns nothing from an empty queue, one message by default and at most MaxNumberOfMessages', async () => {
    expect((await f.sqs.send(new ReceiveMessageCommand({ QueueUrl }))).Messages ?? []).toEqual([]);
    await f.sqs.send(
      new SendMessageBatchCommand({
        QueueUrl,
        Entries: Array.from({ length: 10 }, (_, i) => ({ Id: `m${i}`, MessageBody: `${i}` })),
      }),
    );
    await f.sqs.send(
      new SendMessageBatchCommand({
        QueueUrl,
        Entries: Array.from({ length: 5 }, (_, i) => ({ Id: `n${i}`, MessageBody: `${10 + i}` })),
      }),
    );
    expect((await f.sqs.send(new ReceiveMessageCommand({ QueueUrl }))).Messages).toHaveLength(1);
    expect(
      (await f.sqs.send(new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 10 }))).Messages,
    ).toHaveLength(10);
    expect(
      (await f.sqs.send(new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 10 }))).Messages,
    ).toHaveLength(4);
  });

  it('returns the system attributes asked for: SentTimestamp, ApproximateReceiveCount, first receive time, SenderId', async () => {
    const sentAt = clock.now();
    await f.sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: 'x' }));
    await clock.advance(2_000);
    const first = await receiveOne({ MessageSystemAttributeNames: ['All'], VisibilityTimeout: 1 });
    expect(first.Attributes).toEqual({
      SentTimestamp: String(sentAt),
      ApproximateReceiveCount: '1',
      ApproximateFirstReceiveTimestamp: String(sentAt + 2_000),
      SenderId: 'AKIDLOCAL',
    });
    await clock.advance(1_000);
    // The deprecated AttributeNames is typed with queue attribute names, but SQS reads message ones from it.
    const second = await receiveOne({
      AttributeNames: ['ApproximateReceiveCount', 'ApproximateFirstReceiveTimestamp'] as never[],
    });
    expect(second.Attributes).toEqual({
      ApproximateReceiveCount: '2',
      ApproximateFirstReceiveTimestamp: String(sentAt + 2_000),
    });
    expect(second.ReceiptHandle).not.toBe(first.ReceiptHandle);
  });

  it.each([
    ['MaxNumberOfMessages', 0],
    ['MaxNumberOfMessages', 11],
    ['WaitTimeSeconds', 21],
    ['VisibilityTimeout', 43_201],
  ])('rejects %s=%s with InvalidParameterValue', async (name, value) => {
    await expect(f.sqs.send(new ReceiveMessageCommand({ QueueUrl, [name]: value }))).rejects.toMatchObject(
      sqsError('InvalidParameterValue'),
    );
  });

  it('rejects an unknown message system attribute name with InvalidAttributeName', async () => {
    await expect(
      f.sqs.send(new ReceiveMessageCommand({ QueueUrl, MessageSystemAttributeNames: ['Colour' as never] })),
    ).rejects.toMatchObject(sqsError('InvalidAttributeName'));
  });
});

describe('DeleteMessage', () => {
  it('deletes the received message; deleting it again succeeds', async () => {
    await f.sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: 'x' }));
    const { ReceiptHandle } = await receiveOne();
    await f.sqs.send(new DeleteMessageCommand({ QueueUrl, ReceiptHandle }));
    expect(f.server.messageCounts('messages')).toEqual({ visible: 0, inflight: 0, delayed: 0 });
    await expect(f.sqs.send(new DeleteMessageCommand({ QueueUrl, ReceiptHandle }))).resolves.toBeDefined();
  });

  it('fails with ReceiptHandleIsInvalid for a made-up handle or one from another queue', async () => {
    const { QueueUrl: other } = await f.sqs.send(new CreateQueueCommand({ QueueName: 'other' }));
    await f.sqs.send(new SendMessageCommand({ QueueUrl: other, MessageBody: 'x' }));
    const { Messages = [] } = await f.sqs.send(new ReceiveMessageCommand({ QueueUrl: other }));
    for (const ReceiptHandle of ['not-a-handle', Messages[0]?.ReceiptHandle]) {
      const attempt = f.sqs.send(new DeleteMessageCommand({ QueueUrl, ReceiptHandle }));
      await expect(attempt).rejects.toBeInstanceOf(ReceiptHandleIsInvalid);
      await expect(attempt).rejects.toMatchObject(
        sqsError('ReceiptHandleIsInvalid', 'ReceiptHandleIsInvalid', 404),
      );
    }
    await expect(f.sqs.send(new DeleteMessageCommand({ QueueUrl, ReceiptHandle: '' }))).rejects.toMatchObject(
      sqsError('MissingParameter'),
    );
  });

  it('accepts an outdated handle on a standard queue but leaves the message, which was received again', async () => {
    await f.sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: 'x' }));
    const first = await receiveOne({ VisibilityTimeout: 0 });
    const second = await receiveOne({ VisibilityTimeout: 30 });
    await expect(
      f.sqs.send(new DeleteMessageCommand({ QueueUrl, ReceiptHandle: first.ReceiptHandle })),
    ).resolves.toBeDefined();
    expect(f.server.messageCounts('messages').inflight).toBe(1);
    await f.sqs.send(new DeleteMessageCommand({ QueueUrl, ReceiptHandle: second.ReceiptHandle }));
    expect(f.server.messageCounts('messages').inflight).toBe(0);
  });
});

describe('DeleteMessageBatch', () => {
  it('deletes each entry and reports invalid handles in Failed', async () => {
    await f.sqs.send(
      new SendMessageBatchCommand({
        QueueUrl,
        Entries: [
          { Id: 'a', MessageBody: 'a' },
          { Id: 'b', MessageBody: 'b' },
        ],
      }),
    );
    const { Messages = [] } = await f.sqs.send(
      new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 2 }),
    );
    const result = await f.sqs.send(
      new DeleteMessageBatchCommand({
        QueueUrl,
        Entries: [
          { Id: 'one', ReceiptHandle: Messages[0]?.ReceiptHandle },
          { Id: 'junk', ReceiptHandle: 'junk' },
          { Id: 'two', ReceiptHandle: Messages[1]?.ReceiptHandle },
        ],
      }),
    );
    expect(result.Successful).toEqual([{ Id: 'one' }, { Id: 'two' }]);
    expect(result.Failed).toEqual([
      { Id: 'junk', SenderFault: true, Code: 'ReceiptHandleIsInvalid', Message: expect.any(String) },
    ]);
    expect(f.server.messageCounts('messages')).toEqual({ visible: 0, inflight: 0, delayed: 0 });
  });

  it('applies the batch limits: empty, more than 10, repeated and malformed ids', async () => {
    const entries = (n: number) => Array.from({ length: n }, (_, i) => ({ Id: `e${i}`, ReceiptHandle: 'h' }));
    await expect(f.sqs.send(new DeleteMessageBatchCommand({ QueueUrl, Entries: [] }))).rejects.toBeInstanceOf(
      EmptyBatchRequest,
    );
    await expect(
      f.sqs.send(new DeleteMessageBatchCommand({ QueueUrl, Entries: entries(11) })),
    ).rejects.toBeInstanceOf(TooManyEntriesInBatchRequest);
    await expect(
      f.sqs.send(new DeleteMessageBatchCommand({ QueueUrl, Entries: [...entries(1), ...entries(1)] })),
    ).rejects.toBeInstanceOf(BatchEntryIdsNotDistinct);
    await expect(
      f.sqs.send(
        new DeleteMessageBatchCommand({ QueueUrl, Entries: [{ Id: 'no/slash', ReceiptHandle: 'h' }] }),
      ),
    ).rejects.toBeInstanceOf(InvalidBatchEntryId);
  });
});
