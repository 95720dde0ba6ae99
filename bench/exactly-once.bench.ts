import { Logger } from '@aws-lambda-powertools/logger';
import {
  DynamoDBClient,
  TransactWriteItemsCommand,
  UpdateItemCommand,
  type TransactWriteItem,
} from '@aws-sdk/client-dynamodb';
import { KinesisClient, PutRecordsCommand } from '@aws-sdk/client-kinesis';
import { DynamoDbCheckpointStore } from '../functions/core/checkpoints/dynamodb-checkpoint-store';
import { DynamoDbTransactionalCheckpoints } from '../functions/core/checkpoints/dynamodb-transactions';
import { stringDeserializer } from '../functions/core/consumer/deserializers';
import { ConsumerEngine, DEFAULT_ENGINE_SETTINGS } from '../functions/core/consumer/engine';
import { kinesisReadApi } from '../functions/core/consumer/kinesis-api';
import type { BatchHandler } from '../functions/core/consumer/types';
import { exactlyOnceHandler, StateTable } from '../functions/core/exactly-once';
import { itemBytes, transactionWriteUnits, WRITE_UNIT_BYTES } from '../functions/core/exactly-once/cost';
import { systemClock } from '../functions/core/time/clock';
import { startLocalAws, type LocalAws } from '../local/harness';
import { createStreamAndWait } from '../local/kinesis/streams';
import { median, type BenchSection } from './harness';
import { createKeyedTable } from '../local/dynamodb/tables';

/**
 * Exactly-once beside at-least-once on the same local stack (kinesalite behind the fault proxy, dynalite
 * behind the transaction proxy), same backlog, rounds interleaved. Both keep a counter per partition key in
 * DynamoDB: exactly-once in keyed state committed with the checkpoint; at-least-once the usual way, one
 * UpdateItem ADD per distinct key of each batch, in parallel, and checkpoints every 10 s.
 */

const SHARDS = 2;
const BACKLOG = 6000;
const KEYS = 100;
const ROUNDS = 3;
const TABLES = { checkpoints: 'bench-checkpoints', state: 'bench-state', counters: 'bench-counters' };

interface Measured {
  readonly recordsPerSecond: number;
  readonly writeUnits: number;
  readonly transactions: number;
  /** Actions per transaction, the checkpoint's included. */
  readonly actionsPerTransaction: number;
  readonly recordsPerTransaction: number;
}

/** Counts DynamoDB write units of every write the consumer makes. */
function meteredClient(
  real: DynamoDBClient,
  meter: { units: number; transactions: number; actions: number },
) {
  return {
    send: ((command: unknown) => {
      if (command instanceof TransactWriteItemsCommand) {
        meter.transactions++;
        meter.actions += command.input.TransactItems?.length ?? 0;
        meter.units += transactionWriteUnits(command.input.TransactItems as TransactWriteItem[]);
      } else if (command instanceof UpdateItemCommand) {
        const { Key = {}, ExpressionAttributeValues = {} } = command.input;
        meter.units += Math.max(
          1,
          Math.ceil(itemBytes({ ...Key, ...ExpressionAttributeValues }) / WRITE_UNIT_BYTES),
        );
      }
      return real.send(command as never);
    }) as DynamoDBClient['send'],
  };
}

async function runMode(
  local: LocalAws,
  stream: string,
  mode: 'exactly-once' | 'at-least-once',
  name: string,
): Promise<Measured> {
  const meter = { units: 0, transactions: 0, actions: 0 };
  const dynamodb = meteredClient(local.clients.client('dynamodb', DynamoDBClient), meter);
  const store = new DynamoDbCheckpointStore({
    dynamodb,
    tableName: TABLES.checkpoints,
    consumerName: name,
    clock: systemClock,
    random: Math.random,
  });
  const stop = new AbortController();
  let delivered = 0;
  const done = (n: number) => {
    delivered += n;
    if (delivered >= BACKLOG) stop.abort();
  };
  let handler: BatchHandler<string>;
  if (mode === 'exactly-once') {
    const inner = exactlyOnceHandler<string>(
      async (record, { state }) => {
        state.put(record.partitionKey, ((await state.get<number>(record.partitionKey)) ?? 0) + 1);
      },
      new StateTable({ dynamodb, tableName: TABLES.state, namespace: name }),
    );
    handler = async (records, context) => {
      await inner(records, context);
      done(records.length);
    };
  } else {
    handler = async (records) => {
      const perKey = new Map<string, number>();
      for (const r of records) perKey.set(r.partitionKey, (perKey.get(r.partitionKey) ?? 0) + 1);
      await Promise.all(
        [...perKey].map(([key, n]) =>
          dynamodb.send(
            new UpdateItemCommand({
              TableName: TABLES.counters,
              Key: { pk: { S: `${name}#${key}` }, sk: { S: 'state' } },
              UpdateExpression: 'ADD n :n',
              ExpressionAttributeValues: { ':n': { N: String(n) } },
            }),
          ),
        ),
      );
      done(records.length);
    };
  }
  const engine = new ConsumerEngine<string>(
    {
      kinesis: kinesisReadApi(local.clients.client('kinesis', KinesisClient)),
      checkpoints: store,
      lease: (i, owner) => store.lease(i, owner),
      clock: systemClock,
      random: Math.random,
      logger: new Logger({ logLevel: 'SILENT' }),
      ...(mode === 'exactly-once' ? { transactions: new DynamoDbTransactionalCheckpoints(store) } : {}),
    },
    {
      ...DEFAULT_ENGINE_SETTINGS,
      streams: [stream],
      initialPosition: { type: 'TRIM_HORIZON' },
      deserializer: stringDeserializer,
      handler,
    },
  );
  const start = performance.now();
  await engine.run({ subtaskIndex: 0, parallelism: 1, deadline: Date.now() + 300_000, signal: stop.signal });
  const seconds = (performance.now() - start) / 1000;
  return {
    recordsPerSecond: delivered / seconds,
    writeUnits: (meter.units * 1000) / delivered,
    transactions: meter.transactions,
    actionsPerTransaction: meter.actions / Math.max(1, meter.transactions),
    recordsPerTransaction: delivered / Math.max(1, meter.transactions),
  };
}

export async function run(): Promise<BenchSection> {
  const local = await startLocalAws({ kinesis: true, dynamodb: { transactions: true } });
  try {
    const dynamodb = local.clients.client('dynamodb', DynamoDBClient);
    for (const TableName of Object.values(TABLES)) {
      await createKeyedTable(dynamodb, TableName);
    }
    const kinesis = local.clients.client('kinesis', KinesisClient);
    const stream = 'eo-bench';
    await createStreamAndWait(kinesis, stream, SHARDS);
    for (let start = 0; start < BACKLOG; start += 500) {
      await kinesis.send(
        new PutRecordsCommand({
          StreamName: stream,
          Records: Array.from({ length: 500 }, (_, i) => ({
            PartitionKey: `customer-${(start + i) % KEYS}`,
            Data: new TextEncoder().encode(JSON.stringify({ order: start + i, amount: 10 }).padEnd(100)),
          })),
        }),
      );
    }
    const eo: Measured[] = [];
    const alo: Measured[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      alo.push(await runMode(local, stream, 'at-least-once', `alo-${round}`));
      eo.push(await runMode(local, stream, 'exactly-once', `eo-${round}`));
    }
    const m = (list: Measured[], f: (x: Measured) => number) => median(list.map(f));
    const batch = DEFAULT_ENGINE_SETTINGS.delivery.batchSize;
    const perTx = m(eo, (x) => x.recordsPerTransaction);
    const actions = m(eo, (x) => x.actionsPerTransaction);
    // The docs' formula with this run's batch shape: items under 1 KB cost 2 units per transactional action.
    const formula = (1000 / perTx) * 2 * actions;
    return {
      title: `exactly-once: ${BACKLOG} records, ${SHARDS} shards, ${KEYS} keys, batches of ${batch}, same local stack (median of ${ROUNDS})`,
      rows: [
        {
          label: 'exactly-once throughput',
          value: m(eo, (x) => x.recordsPerSecond),
          unit: 'records/s',
          anchor: { label: 'at-least-once, same run', value: m(alo, (x) => x.recordsPerSecond) },
          target: { minRatio: 0.5 },
        },
        {
          label: 'exactly-once write units per 1,000 records',
          value: m(eo, (x) => x.writeUnits),
          unit: 'WCU',
          anchor: { label: 'the cost formula (docs)', value: formula },
          target: { minRatio: 0.95 },
        },
        {
          label: 'at-least-once write units per 1,000 records',
          value: m(alo, (x) => x.writeUnits),
          unit: 'WCU',
        },
      ],
      notes: [
        'Throughput: records delivered (exactly-once: committed) per second from the run start, backlog drained.',
        'Write units are counted from every write the consumer sent: 2 per KB per transactional action, 1 per KB per UpdateItem.',
        `Formula: per 1,000 records, (1000 / records per transaction) x 2 x (checkpoint + shard position + state keys written per transaction); ` +
          `this run: ${perTx.toFixed(1)} records and ${actions.toFixed(1)} actions per transaction, so ${formula.toFixed(0)}.`,
        'The local transaction proxy serialises transactions; DynamoDB runs transactions on different items in parallel.',
      ],
    };
  } finally {
    await local.stop();
  }
}
