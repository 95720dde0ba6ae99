// The local AWS harness: any subset of servers in-process on free ports, with a client factory pointed at them.
import {
  ConditionalCheckFailedException,
  CreateTableCommand,
  DynamoDBClient,
  PutItemCommand,
} from '@aws-sdk/client-dynamodb';
import { KinesisClient, ListStreamsCommand, PutRecordCommand } from '@aws-sdk/client-kinesis';
import { CreateQueueCommand, ListQueuesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { GetParameterCommand, PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { AwsClientFactory } from '../../functions/core/aws/clients';
import { ConfigurationError } from '../../functions/core/errors';
import { FakeClock } from '../../functions/core/time/clock';
import { startLocalAws, UNREACHABLE_ENDPOINT, type LocalAws } from '../../local/harness';
import { createStreamAndWait } from '../../local/kinesis';

/**
 * Listening servers in this process. A closed server's handle is released in the event loop's close
 * phase, which follows the check phase: two setImmediate hops pass one close phase.
 */
async function listeningServers(): Promise<number> {
  await new Promise((resolve) => setImmediate(resolve));
  await new Promise((resolve) => setImmediate(resolve));
  return process.getActiveResourcesInfo().filter((resource) => resource === 'TCPServerWrap').length;
}

async function refusesConnections(endpoint: string): Promise<boolean> {
  try {
    await fetch(endpoint, { method: 'POST' });
    return false;
  } catch (error) {
    return (error as { cause?: { code?: string } }).cause?.code === 'ECONNREFUSED';
  }
}

describe('startLocalAws', () => {
  it('starts every server, and the unmodified SDK clients from its factory work against each', async () => {
    const clock = new FakeClock(Date.UTC(2026, 5, 1));
    const local = await startLocalAws({
      kinesis: true,
      dynamodb: true,
      ssm: true,
      sqs: true,
      clock,
      region: 'eu-west-1',
    });
    try {
      expect(Object.keys(local.endpoints).sort()).toEqual(['dynamodb', 'kinesis', 'sqs', 'ssm']);
      expect(local.awsSettings).toMatchObject({ region: 'eu-west-1', credentials: { provider: 'BASIC' } });

      const kinesis = local.clients.client('kinesis', KinesisClient);
      await createStreamAndWait(kinesis, 'h', 1);
      await expect(
        kinesis.send(new PutRecordCommand({ StreamName: 'h', Data: Buffer.from('x'), PartitionKey: 'k' })),
      ).resolves.toMatchObject({ ShardId: 'shardId-000000000000' });
      expect(local.kinesis.callCount('PutRecord')).toBe(1);

      const dynamodb = local.clients.client('dynamodb', DynamoDBClient);
      await dynamodb.send(
        new CreateTableCommand({
          TableName: 'table',
          AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
          KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
          BillingMode: 'PAY_PER_REQUEST',
        }),
      );
      const putOnce = () =>
        dynamodb.send(
          new PutItemCommand({
            TableName: 'table',
            Item: { pk: { S: 'a' } },
            ConditionExpression: 'attribute_not_exists(pk)',
          }),
        );
      await putOnce();
      await expect(putOnce()).rejects.toBeInstanceOf(ConditionalCheckFailedException);

      const ssm = local.clients.client('ssm', SSMClient);
      await ssm.send(new PutParameterCommand({ Name: '/h/p', Value: 'v', Type: 'String' }));
      const { Parameter } = await ssm.send(new GetParameterCommand({ Name: '/h/p' }));
      expect(Parameter?.LastModifiedDate).toEqual(new Date(clock.now()));
      expect(Parameter?.ARN).toBe('arn:aws:ssm:eu-west-1:000000000000:parameter/h/p');

      const sqs = local.clients.client('sqs', SQSClient);
      const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: 'h' }));
      const { QueueUrls } = await sqs.send(new ListQueuesCommand({}));
      expect(QueueUrls).toEqual([QueueUrl]);
      expect(local.sqs.queueNames()).toEqual(['h']);
    } finally {
      await local.stop();
    }
  });

  it('starts only the servers asked for; clients for the others fail fast instead of reaching AWS', async () => {
    const local = await startLocalAws({ ssm: true, maxAttempts: { kinesis: 1 } });
    try {
      expect(Object.keys(local.endpoints)).toEqual(['ssm']);
      expect(() => local.kinesis).toThrow(ConfigurationError);
      expect(() => local.dynamodb).toThrow(/pass dynamodb: true/);
      expect(local.awsSettings.endpoint).toBe(UNREACHABLE_ENDPOINT);
      const kinesis = local.clients.client('kinesis', KinesisClient);
      await expect(kinesis.send(new ListStreamsCommand({}))).rejects.toThrow(/ECONNREFUSED 127\.0\.0\.1:1\b/);
    } finally {
      await local.stop();
    }
  });

  it('runs two harnesses at once in one process on separate ports with separate state', async () => {
    const [a, b] = await Promise.all([
      startLocalAws({ kinesis: true, ssm: true }),
      startLocalAws({ kinesis: true, ssm: true }),
    ]);
    try {
      expect(a.endpoints.kinesis).not.toBe(b.endpoints.kinesis);
      expect(a.endpoints.ssm).not.toBe(b.endpoints.ssm);
      await createStreamAndWait(a.clients.client('kinesis', KinesisClient), 'only-in-a', 1);
      await a.clients
        .client('ssm', SSMClient)
        .send(new PutParameterCommand({ Name: '/only/a', Value: 'v', Type: 'String' }));

      const streamsInB = await b.clients.client('kinesis', KinesisClient).send(new ListStreamsCommand({}));
      expect(streamsInB.StreamNames).toEqual([]);
      expect(b.ssm.parameterNames()).toEqual([]);
      expect(a.ssm.parameterNames()).toEqual(['/only/a']);
    } finally {
      await Promise.all([a.stop(), b.stop()]);
    }
  });

  it('stops every server and frees its port; stopping twice is harmless', async () => {
    const local: LocalAws = await startLocalAws({ kinesis: true, dynamodb: true, ssm: true });
    const endpoints = [...Object.values(local.endpoints), local.kinesis.targetEndpoint];
    // Open a keep-alive connection to each, which must not hold stop() up.
    await local.clients
      .client('ssm', SSMClient)
      .send(new GetParameterCommand({ Name: '/x' }))
      .catch(() => undefined);
    await local.stop();
    await local.stop();
    for (const endpoint of endpoints) expect(await refusesConnections(endpoint)).toBe(true);
  });

  it('clears every server’s faults with resetFaults', async () => {
    const local = await startLocalAws({ kinesis: true, ssm: true, maxAttempts: { ssm: 1 } });
    try {
      local.ssm.faults.set({ throttleNext: 5 });
      local.kinesis.throttleGetRecords(5);
      local.kinesis.faults.set({ throttleNext: 5 });
      local.resetFaults();
      await expect(
        local.clients
          .client('ssm', SSMClient)
          .send(new PutParameterCommand({ Name: '/r', Value: 'v', Type: 'String' })),
      ).resolves.toMatchObject({ Version: 1 });
      await expect(
        local.clients.client('kinesis', KinesisClient).send(new ListStreamsCommand({})),
      ).resolves.toBeDefined();
    } finally {
      await local.stop();
    }
  });

  it('gives settings another AwsClientFactory can use, e.g. in code under test', async () => {
    const local = await startLocalAws({ ssm: true });
    const factory = new AwsClientFactory(local.awsSettings);
    try {
      await factory
        .client('ssm', SSMClient)
        .send(new PutParameterCommand({ Name: '/s', Value: 'v', Type: 'String' }));
      expect(local.ssm.parameterNames()).toEqual(['/s']);
    } finally {
      factory.destroy();
      await local.stop();
    }
  });

  it('rejects a bad option with a ConfigurationError naming it', async () => {
    const attempt = startLocalAws({ kinesis: { listShardsPageSize: 0 } });
    await expect(attempt).rejects.toThrow(ConfigurationError);
    await expect(attempt).rejects.toThrow(/listShardsPageSize/);
  });

  it('closes the servers it already started when another fails to start', async () => {
    const before = await listeningServers();
    // The proxy's options are checked after kinesalite, dynalite, SSM and SQS are listening.
    await expect(
      startLocalAws({ kinesis: { listShardsPageSize: -1 }, dynamodb: true, ssm: true, sqs: true }),
    ).rejects.toThrow(/listShardsPageSize/);
    expect(await listeningServers()).toBe(before);
  });
});
