import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CONSUMER_SETTINGS } from '../config/consumer-settings';
import { ConfigurationError, EffectsCancelledError, TransactionLimitError } from '../errors';
import type { TransactionalBatchContext } from '../consumer/delivery';
import type { BatchContext, BatchHandler, ConsumerRecord } from '../consumer/types';
import {
  checkAlone,
  PendingTransaction,
  Scope,
  tableWritesOf,
  type KeyedState,
  type TableWrites,
} from './effects';
import { StateTable, type StateTableOptions } from './state-table';

/** What the processor may change, for one record or at a batch's end: nothing is visible until committed. */
export interface EffectsContext {
  readonly state: KeyedState;
  readonly tables: TableWrites;
  /** The batch the record came in (stream, shard, subtask, watermark). */
  readonly batch: BatchContext;
  /** The shard's hash range (decimal strings, inclusive). */
  readonly hashRange?: { readonly start: string; readonly end: string };
}

/**
 * User code in exactly-once mode: `process` runs once per record, in shard order, and its state changes and
 * table writes are committed with the shard's checkpoint, so each record's effects are applied exactly once.
 * `afterBatch` runs once per batch after its records, its effects committed with the batch's last record.
 * Throwing fails the record (retried, then isolated and sent to the on-failure destination).
 */
export interface ExactlyOnceProcessor<T> {
  process(record: ConsumerRecord<T>, context: EffectsContext): Promise<void> | void;
  afterBatch?(context: EffectsContext): Promise<void> | void;
}

export interface ExactlyOnceOptions extends Omit<StateTableOptions, 'dynamodb'> {
  readonly dynamodb: Pick<DynamoDBClient, 'send'>;
}

/**
 * Turns an exactly-once processor into the engine's batch handler. Records' effects gather into one
 * transaction until the next record's would not fit (99 actions beside the checkpoint, 4 MB less room for
 * the checkpoint, an item written once), which commits first. The engine must be built with
 * `transactions` (the DynamoDB checkpoint store).
 */
export function exactlyOnceHandler<T>(
  processor: ExactlyOnceProcessor<T> | ExactlyOnceProcessor<T>['process'],
  options: ExactlyOnceOptions | StateTable,
): BatchHandler<T> {
  const table = options instanceof StateTable ? options : new StateTable(options);
  const user: ExactlyOnceProcessor<T> = typeof processor === 'function' ? { process: processor } : processor;
  return async (records, batch) => {
    const { commit, hashRange } = batch as Partial<TransactionalBatchContext>;
    if (!commit) {
      throw new ConfigurationError(
        'The exactly-once handler runs on an engine without transactions; exactly-once mode needs the DynamoDB ' +
          `checkpoint store (${CONSUMER_SETTINGS.checkpointStore.key}=dynamodb).`,
        CONSUMER_SETTINGS.exactlyOnce.key,
      );
    }
    let pending = new PendingTransaction();
    const flush = async () => {
      if (pending.isEmpty) return;
      await commitPending(table, commit, pending);
      pending = new PendingTransaction();
    };
    const contextOf = (scope: Scope): EffectsContext => ({
      state: scope,
      tables: tableWritesOf(scope),
      batch,
      ...(hashRange ? { hashRange } : {}),
    });
    for (let i = 0; i < records.length; i++) {
      const record = records[i] as ConsumerRecord<T>;
      const scope = new Scope(pending.merged, table);
      try {
        await user.process(record, contextOf(scope));
        checkAlone(scope, `Record ${record.stream}/${record.shardId}/${record.sequenceNumber}`);
      } catch (error) {
        // What came before the failing record commits; the record is retried from there.
        await flush();
        throw error;
      }
      if (!pending.fits(scope)) await flush();
      pending.add(scope, i + 1);
    }
    if (user.afterBatch) {
      const scope = new Scope(pending.merged, table);
      await user.afterBatch(contextOf(scope));
      checkAlone(scope, 'The batch-end step (afterBatch)');
      if (!pending.fits(scope)) await flush();
      pending.add(scope, records.length);
    }
    // Records after the last with effects still move the checkpoint: delivery commits them on return.
    await flush();
  };
}

async function commitPending(
  table: StateTable,
  commit: TransactionalBatchContext['commit'],
  pending: PendingTransaction,
): Promise<void> {
  const last = pending.entries[pending.entries.length - 1] as { end: number };
  try {
    await commit(last.end, await pending.actions(table));
    pending.applied(table);
    return;
  } catch (error) {
    if (error instanceof EffectsCancelledError) {
      let stale = false;
      error.reasons.forEach((code, i) => {
        const kind = pending.kinds[i];
        if (code === 'ConditionalCheckFailed' && kind && 'state' in kind) {
          table.forget(kind.state);
          stale = true;
        }
      });
      // Someone else changed a key we read: the batch is retried on fresh state.
      if (stale) throw error;
    }
    const validation = (error as { name?: string }).name === 'ValidationException';
    if (pending.entries.length === 1 || !(error instanceof EffectsCancelledError || validation)) {
      if (validation) {
        throw new TransactionLimitError(
          `DynamoDB refused the record's transaction: ${(error as Error).message}. Nothing of it is committed.`,
          { cause: error },
        );
      }
      throw error;
    }
  }
  // A table write's condition failed, or DynamoDB refused the whole transaction (e.g. two puts of one item):
  // one record per transaction commits those before the record at fault, which then fails alone.
  for (const { scope, end } of pending.entries) {
    const single = new PendingTransaction();
    single.add(scope, end);
    await commitPending(table, commit, single);
  }
}
