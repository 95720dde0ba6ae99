import {
  GetRecordsCommand,
  GetShardIteratorCommand,
  ListShardsCommand,
  type KinesisClient,
} from '@aws-sdk/client-kinesis';
import {
  DeleteMessageBatchCommand,
  ReceiveMessageCommand,
  type Message,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import type { ShardContent } from './kcl-reader';

/**
 * What Lambda's SQS event source mapping does, for tests: receive up to `batchSize` messages (10 per
 * ReceiveMessage), invoke the handler with the event Lambda would build, then delete the messages the
 * handler did not report as batch item failures (none when it throws).
 */
export class EventSourceMappingEmulator {
  invocations = 0;
  readonly responses: (SQSBatchResponse | Error)[] = [];

  constructor(
    private readonly options: {
      readonly sqs: SQSClient;
      readonly queueUrl: string;
      readonly handler: (event: SQSEvent) => Promise<SQSBatchResponse>;
      /** @default 10 */
      readonly batchSize?: number;
    },
  ) {}

  /** Runs one invocation with whatever is visible; false when the queue had nothing to deliver. */
  async pollOnce(): Promise<boolean> {
    const { sqs, queueUrl } = this.options;
    const batchSize = this.options.batchSize ?? 10;
    const messages: Message[] = [];
    while (messages.length < batchSize) {
      const received = await sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: queueUrl,
          MaxNumberOfMessages: Math.min(10, batchSize - messages.length),
          MessageSystemAttributeNames: ['All'],
          MessageAttributeNames: ['All'],
          WaitTimeSeconds: 0,
        }),
      );
      if (!received.Messages?.length) break;
      messages.push(...received.Messages);
    }
    if (messages.length === 0) return false;
    this.invocations++;
    const event: SQSEvent = { Records: messages.map((m) => toSqsRecord(m, queueUrl)) };
    let failed: Set<string>;
    try {
      const response = await this.options.handler(event);
      this.responses.push(response);
      failed = new Set(response.batchItemFailures.map((f) => f.itemIdentifier));
    } catch (error) {
      this.responses.push(error as Error);
      return true;
    }
    const done = messages.filter((m) => !failed.has(m.MessageId ?? ''));
    for (let i = 0; i < done.length; i += 10) {
      await sqs.send(
        new DeleteMessageBatchCommand({
          QueueUrl: queueUrl,
          Entries: done
            .slice(i, i + 10)
            .map((m, j) => ({ Id: `d${j}`, ReceiptHandle: m.ReceiptHandle ?? '' })),
        }),
      );
    }
    return true;
  }

  /** Invokes until a receive finds nothing visible. */
  async drain(maxInvocations = 10000): Promise<void> {
    for (let i = 0; i < maxInvocations; i++) if (!(await this.pollOnce())) return;
    throw new Error(`The queue still had messages after ${maxInvocations} invocations.`);
  }
}

function toSqsRecord(message: Message, queueUrl: string): SQSRecord {
  const a = message.Attributes ?? {};
  return {
    messageId: message.MessageId ?? '',
    receiptHandle: message.ReceiptHandle ?? '',
    body: message.Body ?? '',
    attributes: {
      ApproximateReceiveCount: a.ApproximateReceiveCount ?? '1',
      SentTimestamp: a.SentTimestamp ?? '0',
      SenderId: a.SenderId ?? '',
      ApproximateFirstReceiveTimestamp: a.ApproximateFirstReceiveTimestamp ?? '0',
      ...(a.MessageGroupId ? { MessageGroupId: a.MessageGroupId } : {}),
      ...(a.MessageDeduplicationId ? { MessageDeduplicationId: a.MessageDeduplicationId } : {}),
      ...(a.SequenceNumber ? { SequenceNumber: a.SequenceNumber } : {}),
    },
    messageAttributes: Object.fromEntries(
      Object.entries(message.MessageAttributes ?? {}).map(([name, v]) => [
        name,
        {
          dataType: v.DataType ?? 'String',
          ...(v.StringValue !== undefined ? { stringValue: v.StringValue } : {}),
          ...(v.BinaryValue !== undefined
            ? { binaryValue: Buffer.from(v.BinaryValue).toString('base64') }
            : {}),
        },
      ]),
    ),
    md5OfBody: message.MD5OfBody ?? '',
    eventSource: 'aws:sqs',
    eventSourceARN: `arn:aws:sqs:us-east-1:000000000000:${queueUrl.split('/').pop() ?? ''}`,
    awsRegion: 'us-east-1',
  };
}

/** Every record of every shard of a stream, read from TRIM_HORIZON, with each shard's hash range. */
export async function readStream(kinesis: KinesisClient, stream: string): Promise<ShardContent[]> {
  const { Shards = [] } = await kinesis.send(new ListShardsCommand({ StreamName: stream }));
  const contents: ShardContent[] = [];
  for (const shard of Shards) {
    const records: ShardContent['records'][number][] = [];
    let iterator = (
      await kinesis.send(
        new GetShardIteratorCommand({
          StreamName: stream,
          ShardId: shard.ShardId,
          ShardIteratorType: 'TRIM_HORIZON',
        }),
      )
    ).ShardIterator;
    while (iterator) {
      const page = await kinesis.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: 10000 }));
      for (const r of page.Records ?? []) {
        records.push({ partitionKey: r.PartitionKey ?? '', data: r.Data ?? new Uint8Array() });
      }
      if (!page.Records?.length) break;
      iterator = page.NextShardIterator;
    }
    contents.push({
      shardId: shard.ShardId ?? '',
      start: BigInt(shard.HashKeyRange?.StartingHashKey ?? '0'),
      end: BigInt(shard.HashKeyRange?.EndingHashKey ?? '0'),
      records,
    });
  }
  return contents;
}
