import { DynamoDBClient, GetItemCommand, ScanCommand } from '@aws-sdk/client-dynamodb';
import { KinesisClient, PutRecordsCommand } from '@aws-sdk/client-kinesis';
import { DynamoDbCheckpointStore } from '../../functions/core/checkpoints/dynamodb-checkpoint-store';
import { DynamoDbTransactionalCheckpoints } from '../../functions/core/checkpoints/dynamodb-transactions';
import type { FailedRecord } from '../../functions/core/consumer/on-failure';
import { tumblingWindows } from '../../functions/core/exactly-once';
import { LeaseLostError, TransactionLimitError } from '../../functions/core/errors';
import { seededRandom, systemClock } from '../../functions/core/time/clock';
import { Logger } from '@aws-lambda-powertools/logger';
import { consumerConfigFromEnv } from '../../functions/core/config';
import { createConsumerHandler, createExactlyOnceHandler } from '../../functions/consumer/handler-factory';
import { ConfigurationError } from '../../functions/core/errors';
import { localAwsEnv, useLocalAws } from '../support/local-aws';
import { createStream, putRecords } from './consumer-support';
import {
  CHECKPOINT_TABLE,
  COUNTER_TABLE,
  counterConsumer,
  counters,
  createTables,
  runOnce,
  stateTable,
  STATE_TABLE,
} from './exactly-once-support';

/** These run several invocations on the real clock; a loaded machine needs more than the default. */
const SLOW_TEST_MILLIS = 180_000;

const aws = useLocalAws({ kinesis: true, dynamodb: { transactions: true } });
const kinesis = () => aws().clients.client('kinesis', KinesisClient);
const dynamodb = () => aws().clients.client('dynamodb', DynamoDBClient);

beforeAll(async () => {
  await createTables(dynamodb());
});

describe('exactly-once at its edges', () => {
  it(
    'refuses the commit of a stale invocation whose lease was taken over: nothing of it is applied',
    async () => {
      const store = new DynamoDbCheckpointStore({
        dynamodb: dynamodb(),
        tableName: CHECKPOINT_TABLE,
        consumerName: 'stale',
        clock: systemClock,
        random: seededRandom(1),
      });
      const transactions = new DynamoDbTransactionalCheckpoints(store);
      const stale = store.lease(0, 'first');
      await stale.acquire(Date.now() + 60_000);
      const fresh = store.lease(0, 'second');
      await fresh.takeOver(Date.now() + 60_000);
      const value = { generation: 0, writtenAt: Date.now(), shards: new Map() };
      const write = (n: string) => ({
        Put: {
          TableName: STATE_TABLE,
          Item: { pk: { S: `stale#${n}` }, sk: { S: 'state' }, json: { S: n } },
        },
      });
      await expect(transactions.saveWith(0, value, stale, [write('from-stale')])).rejects.toThrow(
        LeaseLostError,
      );
      await transactions.saveWith(0, value, fresh, [write('from-fresh')]);
      const get = (n: string) =>
        dynamodb().send(
          new GetItemCommand({
            TableName: STATE_TABLE,
            Key: { pk: { S: `stale#${n}` }, sk: { S: 'state' } },
          }),
        );
      expect((await get('from-stale')).Item).toBeUndefined();
      expect((await get('from-fresh')).Item?.json?.S).toBe('from-fresh');
    },
    SLOW_TEST_MILLIS,
  );

  it(
    'refuses a second owner of one shard (old and new parallelism overlapping): its commit moves nothing',
    async () => {
      const store = new DynamoDbCheckpointStore({
        dynamodb: dynamodb(),
        tableName: CHECKPOINT_TABLE,
        consumerName: 'overlap',
        clock: systemClock,
        random: seededRandom(1),
      });
      const transactions = new DynamoDbTransactionalCheckpoints(store);
      const oldOwner = store.lease(0, 'parallelism-1');
      const newOwner = store.lease(1, 'parallelism-2');
      await oldOwner.acquire(Date.now() + 60_000);
      await newOwner.acquire(Date.now() + 60_000);
      const value = { generation: 0, writtenAt: Date.now(), shards: new Map() };
      const at = (sequenceNumber: string) => ({ kind: 'sequence' as const, sequenceNumber });
      const write = (n: string) => ({
        Put: {
          TableName: STATE_TABLE,
          Item: { pk: { S: `overlap#${n}` }, sk: { S: 'state' }, json: { S: n } },
        },
      });
      const shard = 'orders/shardId-000000000000';
      await transactions.saveWith(0, value, oldOwner, [write('old-1')], {
        key: shard,
        from: undefined,
        to: at('100'),
      });
      // The new owner started from the same checkpoint, before the old owner's commit.
      await expect(
        transactions.saveWith(1, value, newOwner, [write('new-1')], {
          key: shard,
          from: undefined,
          to: at('100'),
        }),
      ).rejects.toThrow(/moved on by another invocation/);
      await transactions.saveWith(0, value, oldOwner, [write('old-2')], {
        key: shard,
        from: at('100'),
        to: at('250'),
      });
      const get = (n: string) =>
        dynamodb().send(
          new GetItemCommand({
            TableName: STATE_TABLE,
            Key: { pk: { S: `overlap#${n}` }, sk: { S: 'state' } },
          }),
        );
      expect((await get('new-1')).Item).toBeUndefined();
      expect((await get('old-2')).Item?.json?.S).toBe('old-2');
    },
    SLOW_TEST_MILLIS,
  );

  it(
    'sends a record whose effects exceed one transaction to the on-failure queue, with nothing of it applied',
    async () => {
      await createStream(kinesis(), 'eo-limits', 1);
      await putRecords(kinesis(), 'eo-limits', 60, { keys: 3 });
      const failed: FailedRecord[] = [];
      const big = 'r-17';
      const engine = counterConsumer({
        settings: aws().awsSettings,
        consumerName: 'limits',
        stream: 'eo-limits',
        mode: 'exactly-once',
        onFailure: { send: async (records) => void failed.push(...records) },
        processor: {
          async process(record, { state }) {
            state.put(record.partitionKey, ((await state.get<number>(record.partitionKey)) ?? 0) + 1);
            // One record touches 150 keys: more than a transaction's 100 actions.
            if (record.data === big) for (let i = 0; i < 150; i++) state.put(`fan-${i}`, i);
          },
        },
      });
      const summary = await runOnce(engine, 0, 1, 2500);
      expect(summary.recordsSentToOnFailure).toBe(1);
      expect(failed.map((f) => new TextDecoder().decode(f.data))).toEqual([big]);
      expect(String(failed[0]?.error)).toContain('TransactionLimitError');
      const counts = await counters(dynamodb(), 'exactly-once', 'limits');
      // r-17 has key-2 (17 % 3): its count misses exactly that record; no fan-out key was written.
      expect(Object.fromEntries(counts)).toEqual({ 'key-0': 20, 'key-1': 20, 'key-2': 19 });
      expect(new TransactionLimitError('x').name).toBe('TransactionLimitError');
    },
    SLOW_TEST_MILLIS,
  );

  it(
    'emits each event-time window once, through a crash, closed by the watermark: orders per customer per minute',
    async () => {
      const stream = 'eo-orders';
      await createStream(kinesis(), stream, 1);
      const base = Date.UTC(2026, 0, 1, 12, 0, 0);
      const orders: { customer: string; at: number }[] = [];
      for (let i = 0; i < 240; i++) orders.push({ customer: `c${i % 3}`, at: base + i * 1000 });
      await kinesis().send(
        new PutRecordsCommand({
          StreamName: stream,
          Records: orders.map((o) => ({
            PartitionKey: o.customer,
            Data: new TextEncoder().encode(JSON.stringify(o)),
          })),
        }),
      );
      const windows = (crashAfterCalls?: number) =>
        counterConsumer({
          settings: aws().awsSettings,
          consumerName: 'orders',
          stream,
          mode: 'exactly-once',
          ...(crashAfterCalls ? { crashAfterCalls } : {}),
          timestampAssigner: (r) => (JSON.parse(r.data) as { at: number }).at,
          processor: tumblingWindows<string, number>(
            {
              sizeMillis: 60_000,
              key: (r) => r.partitionKey,
              init: () => 0,
              add: (n) => n + 1,
              emit: (result, { tables }) =>
                tables.update({
                  TableName: COUNTER_TABLE,
                  Key: { pk: { S: `orders#${result.key}` }, sk: { S: result.start.toISOString() } },
                  UpdateExpression: 'ADD emitted :one, orders :n',
                  ExpressionAttributeValues: { ':one': { N: '1' }, ':n': { N: String(result.value) } },
                }),
            },
            stateTable(dynamodb(), 'orders'),
            dynamodb(),
          ),
        });
      const emitted = async () => {
        const { Items = [] } = await dynamodb().send(
          new ScanCommand({ TableName: COUNTER_TABLE, ConsistentRead: true }),
        );
        return Items.filter((i) => i.pk?.S?.startsWith('orders#')).map((i) => ({
          key: `${i.pk?.S?.slice(7)} ${i.sk?.S}`,
          emitted: Number(i.emitted?.N),
          orders: Number(i.orders?.N),
        }));
      };
      await runOnce(windows(40), 0, 1, 2000);
      // Bounded, but generous: a loaded machine reads less per invocation.
      for (let round = 0; round < 30 && (await emitted()).length < 9; round++) {
        await runOnce(windows(), 0, 1, 1500);
      }
      const results = await emitted();
      // Minutes 0..2 of each customer are closed (the watermark reached 12:03:59); minute 3 stays open.
      const expected = ['c0', 'c1', 'c2'].flatMap((c) =>
        [0, 1, 2].map((m) => ({
          key: `${c} ${new Date(base + m * 60_000).toISOString()}`,
          emitted: 1,
          orders: 20,
        })),
      );
      expect(results.sort((a, b) => (a.key < b.key ? -1 : 1))).toEqual(expected);
    },
    SLOW_TEST_MILLIS,
  );

  it(
    'runs from the Lambda handler: createExactlyOnceHandler counts exactly, createConsumerHandler refuses the mode',
    async () => {
      await createStream(kinesis(), 'eo-handler', 2);
      await putRecords(kinesis(), 'eo-handler', 120, { keys: 4 });
      const local = aws();
      const config = consumerConfigFromEnv({
        SKC_STREAMS: 'eo-handler',
        ...localAwsEnv(local, ['kinesis', 'dynamodb']),
        SKC_FLINK_STREAM_INITPOS: 'TRIM_HORIZON',
        SKC_FLINK_SHARD_GETRECORDS_INTERVALMILLIS: '20',
        SKC_CONSUMER_TIMEBUDGETMILLIS: '1500',
        SKC_CONSUMER_CHECKPOINT_STORE: 'dynamodb',
        SKC_CONSUMER_CHECKPOINT_DYNAMODB_TABLE: CHECKPOINT_TABLE,
        SKC_CONSUMER_NAME: 'handler',
        SKC_CONSUMER_EXACTLYONCE: 'true',
        SKC_CONSUMER_STATE_DYNAMODB_TABLE: STATE_TABLE,
      });
      const options = {
        config,
        logger: new Logger({ logLevel: 'SILENT' }),
        leaseSettleMillis: 300,
        shutdownReserveMillis: 200,
        metrics: false,
      } as const;
      expect(() => createConsumerHandler(() => undefined, options)).toThrow(ConfigurationError);
      const handler = createExactlyOnceHandler<string>(
        () => ({
          async process(record, { state }) {
            state.put(record.partitionKey, ((await state.get<number>(record.partitionKey)) ?? 0) + 1);
          },
        }),
        options,
      );
      for (let i = 0; i < 20; i++) {
        const end = Date.now() + 4000;
        const result = await handler(
          {},
          { awsRequestId: `eo-${i}`, getRemainingTimeInMillis: () => end - Date.now() },
        );
        expect(result.summary?.error).toBeUndefined();
        const total = [...(await counters(dynamodb(), 'exactly-once', 'handler')).values()].reduce(
          (a, b) => a + b,
          0,
        );
        if (total >= 120) break;
      }
      expect(Object.fromEntries(await counters(dynamodb(), 'exactly-once', 'handler'))).toEqual({
        'key-0': 30,
        'key-1': 30,
        'key-2': 30,
        'key-3': 30,
      });
    },
    SLOW_TEST_MILLIS,
  );
});
