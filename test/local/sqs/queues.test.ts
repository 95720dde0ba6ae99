import {
  ChangeMessageVisibilityCommand,
  CreateQueueCommand,
  DeleteQueueCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  ListQueuesCommand,
  PurgeQueueCommand,
  QueueDoesNotExist,
  QueueNameExists,
  ReceiveMessageCommand,
  SendMessageCommand,
  SetQueueAttributesCommand,
} from '@aws-sdk/client-sqs';
import { FakeClock } from '../../../functions/core/time/clock';
import { createQueue, sqsError, useSqs } from './sqs-test-kit';

const clock = new FakeClock(Date.UTC(2026, 0, 1));
const f = useSqs({ clock, region: 'eu-west-1' });

const create = (QueueName: string, Attributes?: Record<string, string>) =>
  createQueue(f.sqs, QueueName, Attributes);

async function attributes(QueueUrl: string, names: string[] = ['All']) {
  const { Attributes } = await f.sqs.send(
    new GetQueueAttributesCommand({ QueueUrl, AttributeNames: names as never }),
  );
  return Attributes ?? {};
}

describe('CreateQueue', () => {
  it('creates a standard queue at endpoint/account/name with the documented defaults', async () => {
    const url = await create('orders');
    expect(url).toBe(`${f.endpoint}/000000000000/orders`);
    expect(await attributes(url)).toEqual({
      ApproximateNumberOfMessages: '0',
      ApproximateNumberOfMessagesNotVisible: '0',
      ApproximateNumberOfMessagesDelayed: '0',
      CreatedTimestamp: String(Math.floor(clock.now() / 1000)),
      LastModifiedTimestamp: String(Math.floor(clock.now() / 1000)),
      QueueArn: 'arn:aws:sqs:eu-west-1:000000000000:orders',
      DelaySeconds: '0',
      MaximumMessageSize: '1048576',
      MessageRetentionPeriod: '345600',
      ReceiveMessageWaitTimeSeconds: '0',
      VisibilityTimeout: '30',
      SqsManagedSseEnabled: 'true',
    });
    expect(f.server.queueNames()).toEqual(['orders']);
  });

  it('creates a FIFO queue with its FIFO attributes', async () => {
    const url = await create('orders.fifo', { FifoQueue: 'true', ContentBasedDeduplication: 'true' });
    expect(await attributes(url)).toMatchObject({
      FifoQueue: 'true',
      ContentBasedDeduplication: 'true',
      DeduplicationScope: 'queue',
      FifoThroughputLimit: 'perQueue',
      QueueArn: 'arn:aws:sqs:eu-west-1:000000000000:orders.fifo',
    });
  });

  it('stores the given attributes, normalised', async () => {
    const url = await create('tuned', {
      VisibilityTimeout: '45',
      MessageRetentionPeriod: '60',
      MaximumMessageSize: '1024',
      DelaySeconds: '900',
      ReceiveMessageWaitTimeSeconds: '20',
      SqsManagedSseEnabled: 'FALSE',
    });
    expect(await attributes(url)).toMatchObject({
      VisibilityTimeout: '45',
      MessageRetentionPeriod: '60',
      MaximumMessageSize: '1024',
      DelaySeconds: '900',
      ReceiveMessageWaitTimeSeconds: '20',
      SqsManagedSseEnabled: 'false',
    });
  });

  it('returns the existing URL when the name and given attributes match', async () => {
    const first = await create('same', { VisibilityTimeout: '10' });
    await expect(create('same', { VisibilityTimeout: '10' })).resolves.toBe(first);
    await expect(create('same')).resolves.toBe(first);
  });

  it('fails with QueueNameExists (QueueAlreadyExists) when an attribute differs', async () => {
    await create('same', { VisibilityTimeout: '10' });
    const attempt = f.sqs.send(
      new CreateQueueCommand({ QueueName: 'same', Attributes: { VisibilityTimeout: '11' } }),
    );
    await expect(attempt).rejects.toBeInstanceOf(QueueNameExists);
    await expect(attempt).rejects.toMatchObject(sqsError('QueueNameExists', 'QueueAlreadyExists'));
  });

  it.each([
    ['an empty name', ''],
    ['a name over 80 characters', 'q'.repeat(81)],
    ['a name with a space', 'my queue'],
    ['a name with a dot', 'my.queue'],
  ])('rejects %s', async (_label, QueueName) => {
    const code = QueueName === '' ? 'MissingParameter' : 'InvalidParameterValue';
    await expect(f.sqs.send(new CreateQueueCommand({ QueueName }))).rejects.toMatchObject(sqsError(code));
  });

  it('accepts an 80-character name including the .fifo suffix', async () => {
    const name = `${'f'.repeat(75)}.fifo`;
    await expect(create(name, { FifoQueue: 'true' })).resolves.toContain(name);
  });

  it('requires .fifo exactly when FifoQueue is true', async () => {
    await expect(
      f.sqs.send(new CreateQueueCommand({ QueueName: 'nofifo', Attributes: { FifoQueue: 'true' } })),
    ).rejects.toMatchObject(sqsError('InvalidParameterValue'));
    await expect(f.sqs.send(new CreateQueueCommand({ QueueName: 'plain.fifo' }))).rejects.toMatchObject(
      sqsError('InvalidParameterValue'),
    );
  });

  it.each([
    ['VisibilityTimeout', '43201'],
    ['VisibilityTimeout', '-1'],
    ['DelaySeconds', '901'],
    ['MaximumMessageSize', '1023'],
    ['MaximumMessageSize', '1048577'],
    ['MessageRetentionPeriod', '59'],
    ['MessageRetentionPeriod', '1209601'],
    ['ReceiveMessageWaitTimeSeconds', '21'],
    ['VisibilityTimeout', 'thirty'],
    ['SqsManagedSseEnabled', 'yes'],
    ['Policy', '{not json'],
    ['RedrivePolicy', '{"deadLetterTargetArn":"arn:aws:sqs:eu-west-1:000000000000:dlq","maxReceiveCount":0}'],
    ['RedrivePolicy', '{"maxReceiveCount":3}'],
  ])('rejects %s=%s with InvalidAttributeValue', async (name, value) => {
    await expect(
      f.sqs.send(new CreateQueueCommand({ QueueName: 'bad', Attributes: { [name]: value } })),
    ).rejects.toMatchObject(sqsError('InvalidAttributeValue'));
  });

  it('accepts the edges of each range', async () => {
    await expect(
      create('edges', {
        VisibilityTimeout: '43200',
        DelaySeconds: '0',
        MaximumMessageSize: '1048576',
        MessageRetentionPeriod: '1209600',
        ReceiveMessageWaitTimeSeconds: '0',
      }),
    ).resolves.toContain('edges');
  });

  it('rejects unknown, read-only and FIFO-only attributes with InvalidAttributeName', async () => {
    for (const Attributes of [
      { Colour: 'blue' },
      { QueueArn: 'arn:x' },
      { ContentBasedDeduplication: 'true' },
    ]) {
      await expect(
        f.sqs.send(new CreateQueueCommand({ QueueName: 'bad', Attributes: Attributes as never })),
      ).rejects.toMatchObject(sqsError('InvalidAttributeName'));
    }
  });

  it('refuses a name deleted less than 60 seconds ago with QueueDeletedRecently', async () => {
    const url = await create('again');
    await f.sqs.send(new DeleteQueueCommand({ QueueUrl: url }));
    await expect(f.sqs.send(new CreateQueueCommand({ QueueName: 'again' }))).rejects.toMatchObject(
      sqsError('QueueDeletedRecently', 'AWS.SimpleQueueService.QueueDeletedRecently'),
    );
    await clock.advance(60_000);
    await expect(create('again')).resolves.toBe(url);
  });
});

describe('RedrivePolicy', () => {
  it('resolves deadLetterTargetArn to a local queue of the same type and returns it normalised', async () => {
    await create('dlq');
    const url = await create('source', {
      RedrivePolicy: JSON.stringify({
        deadLetterTargetArn: 'arn:aws:sqs:eu-west-1:000000000000:dlq',
        maxReceiveCount: '3',
      }),
    });
    expect((await attributes(url, ['RedrivePolicy'])).RedrivePolicy).toBe(
      '{"deadLetterTargetArn":"arn:aws:sqs:eu-west-1:000000000000:dlq","maxReceiveCount":3}',
    );
  });

  it('rejects a dead-letter target that does not exist or is of the other type', async () => {
    await create('dlq.fifo', { FifoQueue: 'true' });
    for (const target of ['missing', 'dlq.fifo']) {
      await expect(
        f.sqs.send(
          new CreateQueueCommand({
            QueueName: 'source',
            Attributes: {
              RedrivePolicy: JSON.stringify({
                deadLetterTargetArn: `arn:aws:sqs:eu-west-1:000000000000:${target}`,
                maxReceiveCount: 5,
              }),
            },
          }),
        ),
      ).rejects.toMatchObject(sqsError('InvalidParameterValue'));
    }
  });

  it("honours the dead-letter queue's RedriveAllowPolicy", async () => {
    await create('closed-dlq', { RedriveAllowPolicy: JSON.stringify({ redrivePermission: 'denyAll' }) });
    await expect(
      f.sqs.send(
        new CreateQueueCommand({
          QueueName: 'source',
          Attributes: {
            RedrivePolicy: JSON.stringify({
              deadLetterTargetArn: 'arn:aws:sqs:eu-west-1:000000000000:closed-dlq',
              maxReceiveCount: 5,
            }),
          },
        }),
      ),
    ).rejects.toMatchObject(sqsError('InvalidParameterValue'));
  });
});

describe('GetQueueUrl', () => {
  it('returns the URL of an existing queue', async () => {
    const url = await create('findme');
    await expect(f.sqs.send(new GetQueueUrlCommand({ QueueName: 'findme' }))).resolves.toMatchObject({
      QueueUrl: url,
    });
    await expect(
      f.sqs.send(new GetQueueUrlCommand({ QueueName: 'findme', QueueOwnerAWSAccountId: '000000000000' })),
    ).resolves.toMatchObject({ QueueUrl: url });
  });

  it('fails with QueueDoesNotExist (AWS.SimpleQueueService.NonExistentQueue) for an unknown name or owner', async () => {
    await create('findme');
    const missing = f.sqs.send(new GetQueueUrlCommand({ QueueName: 'lost' }));
    await expect(missing).rejects.toBeInstanceOf(QueueDoesNotExist);
    await expect(missing).rejects.toMatchObject(
      sqsError('QueueDoesNotExist', 'AWS.SimpleQueueService.NonExistentQueue'),
    );
    await expect(
      f.sqs.send(new GetQueueUrlCommand({ QueueName: 'findme', QueueOwnerAWSAccountId: '123456789012' })),
    ).rejects.toMatchObject(sqsError('QueueDoesNotExist', 'AWS.SimpleQueueService.NonExistentQueue'));
  });
});

describe('QueueUrl checks', () => {
  it('fails with InvalidAddress for a URL that is not endpoint/account/name', async () => {
    await expect(
      f.sqs.send(new SendMessageCommand({ QueueUrl: `${f.endpoint}/orders`, MessageBody: 'x' })),
    ).rejects.toMatchObject(sqsError('InvalidAddress', 'InvalidAddress', 404));
  });

  it('fails with QueueDoesNotExist for a well-formed URL of a missing queue or another account', async () => {
    await create('orders');
    for (const QueueUrl of [`${f.endpoint}/000000000000/other`, `${f.endpoint}/123456789012/orders`]) {
      await expect(f.sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: 'x' }))).rejects.toMatchObject(
        sqsError('QueueDoesNotExist', 'AWS.SimpleQueueService.NonExistentQueue'),
      );
    }
  });

  it('accepts the queue URL with localhost in place of 127.0.0.1', async () => {
    const url = await create('orders');
    const QueueUrl = url.replace('127.0.0.1', 'localhost');
    await expect(f.sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: 'x' }))).resolves.toMatchObject({
      MessageId: expect.any(String),
    });
  });
});

describe('ListQueues', () => {
  it('lists queue URLs by name prefix', async () => {
    const [a, b] = [await create('app-a'), await create('app-b')];
    await create('other');
    await expect(f.sqs.send(new ListQueuesCommand({ QueueNamePrefix: 'app-' }))).resolves.toMatchObject({
      QueueUrls: [a, b],
    });
    const none = await f.sqs.send(new ListQueuesCommand({ QueueNamePrefix: 'zzz' }));
    expect(none.QueueUrls ?? []).toEqual([]);
  });

  it('pages with MaxResults and NextToken', async () => {
    const urls = [await create('p1'), await create('p2'), await create('p3')];
    const first = await f.sqs.send(new ListQueuesCommand({ MaxResults: 2 }));
    expect(first.QueueUrls).toEqual(urls.slice(0, 2));
    expect(first.NextToken).toEqual(expect.any(String));
    const second = await f.sqs.send(new ListQueuesCommand({ MaxResults: 2, NextToken: first.NextToken }));
    expect(second.QueueUrls).toEqual(urls.slice(2));
    expect(second.NextToken).toBeUndefined();
  });

  it('rejects MaxResults outside 1 to 1000', async () => {
    for (const MaxResults of [0, 1001]) {
      await expect(f.sqs.send(new ListQueuesCommand({ MaxResults }))).rejects.toMatchObject(
        sqsError('InvalidParameterValue'),
      );
    }
  });
});

describe('GetQueueAttributes', () => {
  it('returns only the names asked for, and nothing when none are asked for', async () => {
    const url = await create('attrs');
    expect(await attributes(url, ['VisibilityTimeout', 'QueueArn'])).toEqual({
      VisibilityTimeout: '30',
      QueueArn: 'arn:aws:sqs:eu-west-1:000000000000:attrs',
    });
    expect(await attributes(url, [])).toEqual({});
  });

  it('counts visible, in-flight and delayed messages', async () => {
    const QueueUrl = await create('counts');
    for (const body of ['a', 'b', 'c'])
      await f.sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: body }));
    await f.sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: 'later', DelaySeconds: 60 }));
    await f.sqs.send(new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 2 }));
    expect(
      await attributes(QueueUrl, [
        'ApproximateNumberOfMessages',
        'ApproximateNumberOfMessagesNotVisible',
        'ApproximateNumberOfMessagesDelayed',
      ]),
    ).toEqual({
      ApproximateNumberOfMessages: '1',
      ApproximateNumberOfMessagesNotVisible: '2',
      ApproximateNumberOfMessagesDelayed: '1',
    });
    expect(f.server.messageCounts('counts')).toEqual({ visible: 1, inflight: 2, delayed: 1 });
    // Counts follow the clock and visibility changes: one message made visible again at once, the other
    // back when its 30 s timeout ends, the delayed one after its 60 s.
    const { Messages = [] } = await f.sqs.send(
      new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 1, VisibilityTimeout: 5 }),
    );
    expect(f.server.messageCounts('counts')).toEqual({ visible: 0, inflight: 3, delayed: 1 });
    await f.sqs.send(
      new ChangeMessageVisibilityCommand({
        QueueUrl,
        ReceiptHandle: Messages[0]?.ReceiptHandle,
        VisibilityTimeout: 0,
      }),
    );
    expect(f.server.messageCounts('counts')).toEqual({ visible: 1, inflight: 2, delayed: 1 });
    await clock.advance(30_000);
    expect(f.server.messageCounts('counts')).toEqual({ visible: 3, inflight: 0, delayed: 1 });
    await clock.advance(30_000);
    expect(f.server.messageCounts('counts')).toEqual({ visible: 4, inflight: 0, delayed: 0 });
  });

  it('fails with InvalidAttributeName for an unknown name or a FIFO name on a standard queue', async () => {
    const QueueUrl = await create('attrs');
    for (const name of ['Colour', 'FifoQueue']) {
      await expect(
        f.sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: [name as never] })),
      ).rejects.toMatchObject(sqsError('InvalidAttributeName'));
    }
  });
});

describe('SetQueueAttributes', () => {
  it('changes attributes, moves LastModifiedTimestamp and removes a RedrivePolicy given as empty', async () => {
    await create('dlq');
    const QueueUrl = await create('mutable');
    await clock.advance(5_000);
    await f.sqs.send(
      new SetQueueAttributesCommand({
        QueueUrl,
        Attributes: {
          VisibilityTimeout: '5',
          RedrivePolicy: JSON.stringify({
            deadLetterTargetArn: 'arn:aws:sqs:eu-west-1:000000000000:dlq',
            maxReceiveCount: 2,
          }),
        },
      }),
    );
    const after = await attributes(QueueUrl);
    expect(after).toMatchObject({
      VisibilityTimeout: '5',
      RedrivePolicy: expect.stringContaining('"maxReceiveCount":2'),
    });
    expect(Number(after.LastModifiedTimestamp)).toBe(Math.floor(clock.now() / 1000));
    expect(Number(after.LastModifiedTimestamp)).toBeGreaterThan(Number(after.CreatedTimestamp));
    await f.sqs.send(new SetQueueAttributesCommand({ QueueUrl, Attributes: { RedrivePolicy: '' } }));
    expect(await attributes(QueueUrl)).not.toHaveProperty('RedrivePolicy');
  });

  it('refuses FifoQueue, read-only names, bad values and a missing Attributes map', async () => {
    const QueueUrl = await create('mutable');
    await expect(
      f.sqs.send(new SetQueueAttributesCommand({ QueueUrl, Attributes: { FifoQueue: 'true' } })),
    ).rejects.toMatchObject(sqsError('InvalidAttributeName'));
    await expect(
      f.sqs.send(new SetQueueAttributesCommand({ QueueUrl, Attributes: { CreatedTimestamp: '1' } as never })),
    ).rejects.toMatchObject(sqsError('InvalidAttributeName'));
    await expect(
      f.sqs.send(new SetQueueAttributesCommand({ QueueUrl, Attributes: { DelaySeconds: '1000' } })),
    ).rejects.toMatchObject(sqsError('InvalidAttributeValue'));
    await expect(
      f.sqs.send(new SetQueueAttributesCommand({ QueueUrl, Attributes: undefined })),
    ).rejects.toMatchObject(sqsError('MissingParameter'));
  });

  it('lets a FIFO queue enable high throughput but not perMessageGroupId with queue scope', async () => {
    const QueueUrl = await create('ht.fifo', { FifoQueue: 'true' });
    await f.sqs.send(
      new SetQueueAttributesCommand({
        QueueUrl,
        Attributes: { DeduplicationScope: 'messageGroup', FifoThroughputLimit: 'perMessageGroupId' },
      }),
    );
    expect(await attributes(QueueUrl, ['DeduplicationScope', 'FifoThroughputLimit'])).toEqual({
      DeduplicationScope: 'messageGroup',
      FifoThroughputLimit: 'perMessageGroupId',
    });
    await expect(
      f.sqs.send(
        new SetQueueAttributesCommand({
          QueueUrl,
          Attributes: { DeduplicationScope: 'queue', FifoThroughputLimit: 'perMessageGroupId' },
        }),
      ),
    ).rejects.toMatchObject(sqsError('InvalidAttributeValue'));
  });
});

describe('DeleteQueue', () => {
  it('deletes the queue and its messages; later calls fail with QueueDoesNotExist', async () => {
    const QueueUrl = await create('doomed');
    await f.sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: 'x' }));
    await f.sqs.send(new DeleteQueueCommand({ QueueUrl }));
    expect(f.server.queueNames()).toEqual([]);
    await expect(f.sqs.send(new DeleteQueueCommand({ QueueUrl }))).rejects.toMatchObject(
      sqsError('QueueDoesNotExist', 'AWS.SimpleQueueService.NonExistentQueue'),
    );
  });
});

describe('PurgeQueue', () => {
  it('deletes visible and in-flight messages, then refuses another purge within 60 seconds', async () => {
    const QueueUrl = await create('purged');
    await f.sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: 'a' }));
    await f.sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: 'b' }));
    await f.sqs.send(new ReceiveMessageCommand({ QueueUrl }));
    await f.sqs.send(new PurgeQueueCommand({ QueueUrl }));
    expect(f.server.messageCounts('purged')).toEqual({ visible: 0, inflight: 0, delayed: 0 });
    await expect(f.sqs.send(new PurgeQueueCommand({ QueueUrl }))).rejects.toMatchObject(
      sqsError('PurgeQueueInProgress', 'AWS.SimpleQueueService.PurgeQueueInProgress', 403),
    );
    await clock.advance(60_000);
    await expect(f.sqs.send(new PurgeQueueCommand({ QueueUrl }))).resolves.toBeDefined();
  });
});
