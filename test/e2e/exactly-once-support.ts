import { DynamoDBClient, ScanCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { KinesisClient } from '@aws-sdk/client-kinesis';
import type { AwsSettings } from '../../functions/core/aws/clients';
import { AwsClientFactory } from '../../functions/core/aws/clients';
import { DynamoDbCheckpointStore } from '../../functions/core/checkpoints/dynamodb-checkpoint-store';
import { DynamoDbTransactionalCheckpoints } from '../../functions/core/checkpoints/dynamodb-transactions';
import { stringDeserializer } from '../../functions/core/consumer/deserializers';
import {
  ConsumerEngine,
  DEFAULT_ENGINE_SETTINGS,
  type RunSummary,
} from '../../functions/core/consumer/engine';
import { kinesisReadApi } from '../../functions/core/consumer/kinesis-api';
import type { BatchHandler, TimestampAssigner } from '../../functions/core/consumer/types';
import { exactlyOnceHandler, type ExactlyOnceProcessor } from '../../functions/core/exactly-once';
import type { OnFailureDestination } from '../../functions/core/consumer/on-failure';
import { StateTable } from '../../functions/core/exactly-once/state-table';
import { LeaseHeldError } from '../../functions/core/errors';
import { seededRandom, systemClock } from '../../functions/core/time/clock';
import { silentLogger } from '../core/consumer/helpers';
import { createKeyedTable } from '../../local/dynamodb/tables';

export const CHECKPOINT_TABLE = 'eo-checkpoints';
export const STATE_TABLE = 'eo-state';
/** The at-least-once control keeps its counters here, one UpdateItem ADD per record. */
export const COUNTER_TABLE = 'alo-counters';

export async function createTables(dynamodb: DynamoDBClient): Promise<void> {
  for (const TableName of [CHECKPOINT_TABLE, STATE_TABLE, COUNTER_TABLE]) {
    await createKeyedTable(dynamodb, TableName);
  }
}

export type Mode = 'exactly-once' | 'at-least-once';

export interface CounterConsumerOptions {
  readonly settings: AwsSettings;
  readonly consumerName: string;
  readonly stream: string;
  readonly mode: Mode;
  /** After this many DynamoDB calls every call fails: the process is gone as far as DynamoDB can tell. */
  readonly crashAfterCalls?: number;
  /** Called with each record's key as its effect is made (not yet committed). */
  readonly onApplied?: (key: string) => void;
  readonly checkpointIntervalMillis?: number;
  /** Replaces the counting processor (exactly-once mode). */
  readonly processor?: ExactlyOnceProcessor<string>;
  readonly onFailure?: OnFailureDestination;
  readonly timestampAssigner?: TimestampAssigner<string>;
}

/**
 * A consumer that counts records per partition key: in exactly-once mode in keyed state committed with
 * the checkpoint, in at-least-once mode with an UpdateItem ADD per record and checkpoints as usual.
 */
export function counterConsumer(options: CounterConsumerOptions): ConsumerEngine<string> {
  const aws = new AwsClientFactory(options.settings);
  const real = aws.client('dynamodb', DynamoDBClient);
  let calls = 0;
  const dynamodb: Pick<DynamoDBClient, 'send'> = {
    send: ((command: never) => {
      if (options.crashAfterCalls !== undefined && ++calls > options.crashAfterCalls)
        return Promise.reject(Object.assign(new Error('this process has crashed'), { name: 'Crashed' }));
      return real.send(command);
    }) as DynamoDBClient['send'],
  };
  const store = new DynamoDbCheckpointStore({
    dynamodb,
    tableName: CHECKPOINT_TABLE,
    consumerName: options.consumerName,
    clock: systemClock,
    random: seededRandom(3),
    backoff: { maxRetries: 1, baseMillis: 10, maxMillis: 20, expConst: 2 },
  });
  const handler: BatchHandler<string> =
    options.mode === 'exactly-once'
      ? exactlyOnceHandler<string>(
          options.processor ??
            (async (record, { state }) => {
              state.put(record.partitionKey, ((await state.get<number>(record.partitionKey)) ?? 0) + 1);
              options.onApplied?.(record.partitionKey);
            }),
          stateTable(dynamodb, options.consumerName),
        )
      : async (records) => {
          for (const record of records) {
            await dynamodb.send(
              new UpdateItemCommand({
                TableName: COUNTER_TABLE,
                Key: { pk: { S: `${options.consumerName}#${record.partitionKey}` }, sk: { S: 'state' } },
                UpdateExpression: 'ADD n :one',
                ExpressionAttributeValues: { ':one': { N: '1' } },
              }),
            );
            options.onApplied?.(record.partitionKey);
          }
        };
  return new ConsumerEngine<string>(
    {
      kinesis: kinesisReadApi(aws.client('kinesis', KinesisClient)),
      checkpoints: store,
      lease: (subtaskIndex, owner) => store.lease(subtaskIndex, owner),
      clock: systemClock,
      random: seededRandom(5),
      logger: silentLogger(),
      ...(options.onFailure ? { onFailure: options.onFailure } : {}),
      ...(options.mode === 'exactly-once'
        ? { transactions: new DynamoDbTransactionalCheckpoints(store) }
        : {}),
    },
    {
      ...DEFAULT_ENGINE_SETTINGS,
      streams: [options.stream],
      initialPosition: { type: 'TRIM_HORIZON' },
      reader: { ...DEFAULT_ENGINE_SETTINGS.reader, intervalMillis: 50, maxRecordsPerCall: 40 },
      discoveryIntervalMillis: 300,
      checkpointIntervalMillis: options.checkpointIntervalMillis ?? 1000,
      delivery: {
        ...DEFAULT_ENGINE_SETTINGS.delivery,
        batchSize: 20,
        backoff: { maxRetries: 1, baseMillis: 10, maxMillis: 20, expConst: 2 },
      },
      leaseGraceMillis: 300,
      deserializer: stringDeserializer,
      ...(options.timestampAssigner ? { timestampAssigner: options.timestampAssigner } : {}),
      handler,
    },
  );
}

/** Runs one invocation, waiting (on the real clock) while an earlier, crashed one's lease is unexpired. */
export async function runOnce(
  engine: ConsumerEngine<string>,
  subtaskIndex: number,
  parallelism: number,
  millis: number,
): Promise<RunSummary> {
  for (;;) {
    try {
      const now = Date.now();
      return await engine.run({
        subtaskIndex,
        parallelism,
        deadline: now + millis,
        leaseExpiresAt: now + millis + 400,
      });
    } catch (error) {
      if (!(error instanceof LeaseHeldError)) throw error;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

/** The counters per partition key, as committed. */
export async function counters(
  dynamodb: DynamoDBClient,
  mode: Mode,
  consumerName: string,
): Promise<Map<string, number>> {
  const table = mode === 'exactly-once' ? STATE_TABLE : COUNTER_TABLE;
  const { Items = [] } = await dynamodb.send(new ScanCommand({ TableName: table, ConsistentRead: true }));
  const out = new Map<string, number>();
  const prefix = `${consumerName}#`;
  for (const item of Items) {
    const pk = item.pk?.S ?? '';
    if (!pk.startsWith(prefix) || item.sk?.S !== 'state') continue;
    const n = mode === 'exactly-once' ? Number(item.json?.S) : Number(item.n?.N);
    out.set(pk.slice(prefix.length), n);
  }
  return out;
}

/** How many records each partition key got, for records `key-${i % keys}`. */
export function expectedCounts(total: number, keys: number): Map<string, number> {
  const out = new Map<string, number>();
  for (let i = 0; i < total; i++) out.set(`key-${i % keys}`, (out.get(`key-${i % keys}`) ?? 0) + 1);
  return out;
}

export function stateTable(dynamodb: Pick<DynamoDBClient, 'send'>, consumerName: string): StateTable {
  return new StateTable({ dynamodb, tableName: STATE_TABLE, namespace: consumerName });
}
