import * as path from 'node:path';
import { CreateStreamCommand, KinesisClient } from '@aws-sdk/client-kinesis';
import { CreateQueueCommand, SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import { REJECTION_ATTRIBUTE } from '../../functions/core/producer/dead-letter';
import { deaggregate } from '../../functions/core/record-format';
import { expectDeadLettersWithReasons } from '../support/dead-letters';
import { readLikeKcl } from '../support/kcl-reader';
import { localAwsEnv, useLocalAws } from '../support/local-aws';
import { EventSourceMappingEmulator, loadProducerHandler, readStream } from '../support/producer-e2e';

const aws = useLocalAws({ kinesis: true, sqs: true });

describe('the producer Lambda handler, configured from its environment', () => {
  it('writes valid messages, dead-letters the rest, and reports no failures', async () => {
    const kinesis = aws().clients.client('kinesis', KinesisClient);
    const sqs = aws().clients.client('sqs', SQSClient);
    await kinesis.send(new CreateStreamCommand({ StreamName: 'handler-events', ShardCount: 2 }));
    const { QueueUrl: dlqUrl = '' } = await sqs.send(new CreateQueueCommand({ QueueName: 'handler-dlq' }));
    const { QueueUrl: queueUrl = '' } = await sqs.send(
      new CreateQueueCommand({ QueueName: 'handler-queue' }),
    );

    const handler = loadProducerHandler({
      ...localAwsEnv(aws(), ['kinesis', 'sqs']),
      SKC_PRODUCER_DEFAULTSTREAM: 'handler-events',
      SKC_AGGREGATION_MAX_COUNT: '50',
      SKC_PRODUCER_DEADLETTERQUEUEURL: dlqUrl,
      SKC_PRODUCER_NAME: 'handler-test',
    });

    const bodies = Array.from({ length: 120 }, (_, n) =>
      JSON.stringify({ data: { n }, partitionKey: `k${n % 9}` }),
    );
    bodies.push('{"data": oops}');
    for (let i = 0; i < bodies.length; i += 10) {
      await sqs.send(
        new SendMessageBatchCommand({
          QueueUrl: queueUrl,
          Entries: bodies.slice(i, i + 10).map((MessageBody, j) => ({ Id: `m${j}`, MessageBody })),
        }),
      );
    }
    const esm = new EventSourceMappingEmulator({
      sqs,
      queueUrl,
      batchSize: 200,
      handler: (event) => handler(event, { getRemainingTimeInMillis: () => 30000 }),
    });
    await esm.drain();
    expect(esm.responses).toEqual([{ batchItemFailures: [] }]);

    const read = readLikeKcl(await readStream(kinesis, 'handler-events'));
    expect(
      read.records.map((r) => (JSON.parse(r.data.toString()) as { n: number }).n).sort((a, b) => a - b),
    ).toEqual(Array.from({ length: 120 }, (_, n) => n));
    // AggregationMaxCount 50 from the environment: no Kinesis record carries more than 50 user records.
    const perKinesisRecord = (await readStream(kinesis, 'handler-events')).flatMap((shard) =>
      shard.records.map((r) => deaggregate(r).length),
    );
    expect(Math.max(...perKinesisRecord)).toBeLessThanOrEqual(50);
    expect(perKinesisRecord.reduce((a, b) => a + b, 0)).toBe(120);
    const Messages = await expectDeadLettersWithReasons(sqs, dlqUrl);
    expect(Messages.map((m) => [m.Body, m.MessageAttributes?.[REJECTION_ATTRIBUTE]?.StringValue])).toEqual([
      ['{"data": oops}', expect.stringMatching(/not valid JSON/)],
    ]);
  });

  it('runs a custom partitioner and target-stream selector given to the exported createProducerHandler', async () => {
    const kinesis = aws().clients.client('kinesis', KinesisClient);
    const sqs = aws().clients.client('sqs', SQSClient);
    await kinesis.send(new CreateStreamCommand({ StreamName: 'routed-orders', ShardCount: 1 }));
    await kinesis.send(new CreateStreamCommand({ StreamName: 'priority-orders', ShardCount: 1 }));
    const { QueueUrl: queueUrl = '' } = await sqs.send(new CreateQueueCommand({ QueueName: 'routed-queue' }));
    const handler = loadProducerHandler(
      {
        ...localAwsEnv(aws(), ['kinesis', 'sqs']),
        SKC_PRODUCER_DEFAULTSTREAM: 'routed-orders',
        SKC_PRODUCER_ALLOWEDSTREAMS: 'routed-orders,priority-orders',
        SKC_PRODUCER_NAME: 'routing-test',
      },
      path.join(__dirname, '..', 'lib', 'fixtures', 'producer-routing'),
      'routeOrders',
    );
    const orders = [
      { data: { customer: 'ann', n: 1 } },
      { data: { customer: 'bob', n: 2, priority: true } },
      // What the message says wins over the functions.
      { data: { customer: 'cid', n: 3, priority: true }, stream: 'routed-orders', partitionKey: 'given' },
    ];
    await sqs.send(
      new SendMessageBatchCommand({
        QueueUrl: queueUrl,
        Entries: orders.map((o, i) => ({ Id: `m${i}`, MessageBody: JSON.stringify(o) })),
      }),
    );
    const esm = new EventSourceMappingEmulator({
      sqs,
      queueUrl,
      handler: (event) => handler(event, { getRemainingTimeInMillis: () => 30000 }),
    });
    await esm.drain();
    expect(esm.responses).toEqual([{ batchItemFailures: [] }]);
    const keysIn = async (stream: string) =>
      readLikeKcl(await readStream(kinesis, stream))
        .records.map((r) => [r.partitionKey, (JSON.parse(r.data.toString()) as { n: number }).n])
        .sort();
    expect(await keysIn('routed-orders')).toEqual([
      ['given', 3],
      ['routing-fixture:customer-ann', 1],
    ]);
    expect(await keysIn('priority-orders')).toEqual([['routing-fixture:customer-bob', 2]]);
  });

  it('refuses to start on a bad setting, naming it', () => {
    expect(() =>
      loadProducerHandler({
        SKC_AWS_REGION: 'us-east-1',
        SKC_RATE_LIMIT: 'fast',
        SKC_PRODUCER_DEFAULTSTREAM: 's',
      }),
    ).toThrow(/RateLimit|SKC_RATE_LIMIT/);
  });
});
