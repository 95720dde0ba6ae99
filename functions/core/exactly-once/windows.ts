import { QueryCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ConfigurationError } from '../errors';
import type { ConsumerRecord } from '../consumer/types';
import { partitionKeyToHashKeyHex } from '../record-format/hash-key';
import type { EffectsContext, ExactlyOnceProcessor } from './processor';
import type { StateTable } from './state-table';

/** One closed window of one key. */
export interface WindowResult<A> {
  readonly key: string;
  /** Inclusive start and exclusive end, in event time. */
  readonly start: Date;
  readonly end: Date;
  readonly value: A;
}

export interface TumblingWindowOptions<T, A> {
  /** Window length in event time. */
  readonly sizeMillis: number;
  /** The window key of a record. Records of one key should share a partition key (one shard at a time). */
  readonly key: (record: ConsumerRecord<T>) => string;
  readonly init: () => A;
  readonly add: (accumulator: A, record: ConsumerRecord<T>) => A;
  /** Called once per closed window; its state changes and table writes commit with the window's closing. */
  readonly emit: (result: WindowResult<A>, context: EffectsContext) => void | Promise<void>;
  /** Called for a record whose window has already closed (its result is out): it is left out. @default - dropped */
  readonly late?: (record: ConsumerRecord<T>, context: EffectsContext) => void | Promise<void>;
  /** Windows closed per batch at most; more wait for the next batch. @default 20 */
  readonly maxClosesPerBatch?: number;
}

interface KeyWindows<A> {
  /** Open windows by start (epoch ms). */
  open: Record<string, A>;
  /** Every window ending at or before this has been emitted. */
  closedThrough: number;
  partitionKey: string;
}

const TIME_DIGITS = 16;

/**
 * Tumbling event-time windows per key on exactly-once state. Each key's open windows live in its state
 * (`window#<key>`); each open window also has a timer item in the state table (`<namespace>#timers#<stream>`,
 * sort key end time then key). At the end of each batch, windows whose end the subtask's watermark has
 * reached are closed by the subtask reading the shard that holds their key: the result goes to `emit`, the
 * window leaves the key's state and its timer is deleted (on condition that it still exists), all in the
 * transaction that commits the batch, so each window's result is emitted exactly once. A record for a window
 * already emitted is late and goes to `late`.
 */
export function tumblingWindows<T, A>(
  options: TumblingWindowOptions<T, A>,
  state: StateTable,
  dynamodb: Pick<DynamoDBClient, 'send'>,
): ExactlyOnceProcessor<T> {
  const size = options.sizeMillis;
  if (!Number.isInteger(size) || size < 1) {
    throw new ConfigurationError(
      `sizeMillis is ${String(size)}; it must be an integer of 1 or more.`,
      'sizeMillis',
    );
  }
  const maxCloses = options.maxClosesPerBatch ?? 20;
  const timersPk = (stream: string) => `${state.options.namespace}#timers#${stream}`;
  const timerSk = (end: number, key: string) => `${String(end).padStart(TIME_DIGITS, '0')}#${key}`;

  return {
    async process(record, context) {
      const key = options.key(record);
      const t = record.eventTime.getTime();
      const start = t - (((t % size) + size) % size);
      const end = start + size;
      const windows = (await context.state.get<KeyWindows<A>>(`window#${key}`)) ?? {
        open: {},
        closedThrough: 0,
        partitionKey: record.partitionKey,
      };
      if (end <= windows.closedThrough) {
        await options.late?.(record, context);
        return;
      }
      const slot = String(start);
      if (!(slot in windows.open)) {
        windows.open[slot] = options.init();
        context.tables.put({
          TableName: state.tableName,
          Item: {
            pk: { S: timersPk(record.stream) },
            sk: { S: timerSk(end, key) },
            key: { S: key },
            start: { N: slot },
            partitionKey: { S: record.partitionKey },
          },
        });
      }
      windows.open[slot] = options.add(windows.open[slot] as A, record);
      windows.partitionKey = record.partitionKey;
      context.state.put(`window#${key}`, windows);
    },

    async afterBatch(context) {
      const watermark = context.batch.watermark;
      const range = context.hashRange;
      if (watermark === undefined || !range) return;
      const { Items = [] } = await dynamodb.send(
        new QueryCommand({
          TableName: state.tableName,
          KeyConditionExpression: 'pk = :pk AND sk <= :through',
          ExpressionAttributeValues: {
            ':pk': { S: timersPk(context.batch.stream) },
            ':through': { S: `${String(watermark).padStart(TIME_DIGITS, '0')}#\uffff` },
          },
          ConsistentRead: true,
        }),
      );
      const low = BigInt(range.start);
      const high = BigInt(range.end);
      let closes = 0;
      for (const item of Items) {
        if (closes >= maxCloses) break;
        const partitionKey = item.partitionKey?.S ?? '';
        const hash = BigInt(`0x${partitionKeyToHashKeyHex(partitionKey)}`);
        // Only the shard that holds the key closes its windows: one writer per key.
        if (hash < low || hash > high) continue;
        const key = item.key?.S ?? '';
        const start = Number(item.start?.N);
        const end = start + size;
        closes++;
        const windows = await context.state.get<KeyWindows<A>>(`window#${key}`);
        const value = windows?.open[String(start)];
        if (windows && value !== undefined) {
          await options.emit({ key, start: new Date(start), end: new Date(end), value }, context);
          delete windows.open[String(start)];
          windows.closedThrough = Math.max(windows.closedThrough, end);
          context.state.put(`window#${key}`, windows);
        }
        context.tables.delete({
          TableName: state.tableName,
          Key: { pk: item.pk as { S: string }, sk: item.sk as { S: string } },
          ConditionExpression: 'attribute_exists(pk)',
        });
      }
    },
  };
}
