// Several producer containers (separate Producer instances, each with its own limiter and its own
// event source mapping poller) writing one shard of the local Kinesis with Kinesis's write limits on,
// fed from one SQS queue: the shard's budget is shared by the deployment.
import { CreateStreamCommand, DescribeStreamSummaryCommand, KinesisClient } from '@aws-sdk/client-kinesis';
import {
  CreateQueueCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { QueueInFlightShare } from '../../functions/core/producer/budget-share';
import { SqsDeadLetterQueue } from '../../functions/core/producer/dead-letter';
import { kinesisApi } from '../../functions/core/producer/kinesis-api';
import { Producer } from '../../functions/core/producer/producer';
import { seededRandom } from '../../functions/core/time/clock';
import { createProducerHandler } from '../../functions/producer/sqs-adapter';
import { expectDeadLettersWithReasons } from '../support/dead-letters';
import { readLikeKcl } from '../support/kcl-reader';
import { useLocalAws } from '../support/local-aws';
import { EventSourceMappingEmulator, readStream } from '../support/producer-e2e';

const silent = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };
const aws = useLocalAws({ kinesis: { writeLimits: true }, sqs: true });

async function createQueue(name: string, attributes: Record<string, string> = {}): Promise<string> {
  const { QueueUrl = '' } = await aws()
    .clients.client('sqs', SQSClient)
    .send(new CreateQueueCommand({ QueueName: name, Attributes: attributes }));
  return QueueUrl;
}

describe('producers sharing a shard', () => {
  it("share one budget per shard from the queue's in-flight count: a few throttles at most, nothing lost or dead-lettered", async () => {
    const kinesis = aws().clients.client('kinesis', KinesisClient);
    const sqs = aws().clients.client('sqs', SQSClient);
    const stream = 'shared-shard';
    await kinesis.send(new CreateStreamCommand({ StreamName: stream, ShardCount: 1 }));
    while (
      (await kinesis.send(new DescribeStreamSummaryCommand({ StreamName: stream }))).StreamDescriptionSummary
        ?.StreamStatus !== 'ACTIVE'
    );
    const dlqUrl = await createQueue('shared-dlq');
    const queueUrl = await createQueue('shared-queue', {
      VisibilityTimeout: '60',
      RedrivePolicy: JSON.stringify({
        deadLetterTargetArn: 'arn:aws:sqs:us-east-1:000000000000:shared-dlq',
        maxReceiveCount: 5,
      }),
    });
    // 2,000 records without aggregation: two seconds of the shard's 1,000 records/s, so every
    // container is held to its share for most of the run.
    const total = 2000;
    for (let i = 0; i < total; i += 10) {
      await sqs.send(
        new SendMessageBatchCommand({
          QueueUrl: queueUrl,
          Entries: Array.from({ length: 10 }, (_, j) => ({
            Id: `m${j}`,
            MessageBody: JSON.stringify({ data: { n: i + j }, partitionKey: `k${(i + j) % 97}` }),
          })),
        }),
      );
    }

    const containers = 4;
    const mappings = Array.from({ length: containers }, (_, c) => {
      const producer = new Producer(
        { defaultStream: stream, aggregationEnabled: false, maxReceiveCount: 5, rateLimitPercent: 100 },
        {
          kinesis: kinesisApi(kinesis),
          deadLetters: new SqsDeadLetterQueue({ sqs, queueUrl: dlqUrl }),
          budgetShare: new QueueInFlightShare({ sqs, queueUrl }),
          random: seededRandom(c + 1),
          logger: silent,
        },
      );
      const handler = createProducerHandler({ producer, logger: silent });
      return new EventSourceMappingEmulator({
        sqs,
        queueUrl,
        batchSize: 100,
        handler: (event) => handler(event, { getRemainingTimeInMillis: () => 60_000 }),
      });
    });
    await Promise.all(mappings.map((m) => m.drain()));

    const usage =
      aws()
        .kinesis.writeLimits?.usage()
        .filter((u) => u.stream === stream) ?? [];
    const accepted = usage.reduce((n, u) => n + u.recordsAccepted, 0);
    const throttled = usage.reduce((n, u) => n + u.entriesThrottled, 0);
    expect(accepted).toBeGreaterThanOrEqual(total);
    // Each container knows its share at its first batch; only a count gone stale between refreshes
    // can over-send, and the shard's one-second burst absorbs most of that.
    expect(throttled / (accepted + throttled)).toBeLessThanOrEqual(0.05);
    const read = readLikeKcl(await readStream(kinesis, stream));
    const ns = new Set(read.records.map((r) => (JSON.parse(r.data.toString()) as { n: number }).n));
    expect(ns.size).toBe(total);
    expect(await expectDeadLettersWithReasons(sqs, dlqUrl)).toHaveLength(0);
    const { Messages = [] } = await sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl }));
    expect(Messages).toHaveLength(0);
  }, 60_000);
});
