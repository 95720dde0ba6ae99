import { TransactWriteItemsCommand, type TransactWriteItem } from '@aws-sdk/client-dynamodb';
import { fullJitterDelay } from '../aws/retry';
import { EffectsCancelledError, LeaseLostError } from '../errors';
import type {
  CheckpointValue,
  ShardCheckpoint,
  ShardMove,
  SubtaskLease,
  TransactionalCheckpoints,
} from './checkpoint-store';
import {
  DEFAULT_DYNAMODB_BACKOFF,
  encodeCheckpointItemValue,
  type DynamoDbCheckpointStore,
} from './dynamodb-checkpoint-store';

/**
 * Exactly-once commits on the DynamoDB checkpoint table: the subtask's checkpoint item and the batch's
 * effects in one TransactWriteItems. The checkpoint's action comes first and carries the same fence
 * condition as a plain save, so an invocation whose lease was taken over (a crash, a timeout, an operator's
 * take-over, a handover) can never commit, whatever else the transaction holds.
 */
export class DynamoDbTransactionalCheckpoints implements TransactionalCheckpoints {
  constructor(private readonly store: DynamoDbCheckpointStore) {}

  async saveWith(
    subtaskIndex: number,
    value: CheckpointValue,
    lease: SubtaskLease,
    actions: readonly TransactWriteItem[],
    shard?: ShardMove,
  ): Promise<{ writes: number }> {
    const token = lease.fencingToken;
    if (token === undefined) {
      throw new LeaseLostError(
        `Subtask ${subtaskIndex} holds no fenced lease; exactly-once commits need the DynamoDB checkpoint store's lease.`,
      );
    }
    const text = encodeCheckpointItemValue(subtaskIndex, value);
    const { dynamodb, clock, random } = this.store.settings;
    const backoff = this.store.settings.backoff ?? DEFAULT_DYNAMODB_BACKOFF;
    const { tableName, consumerName } = this.store.settings;
    const fixed: TransactWriteItem[] = [
      { Update: this.store.checkpointUpdate(subtaskIndex, text, value, token) },
    ];
    if (shard) {
      fixed.push({
        Update: {
          TableName: tableName,
          // Per generation, so an operator's reset to an earlier position starts a fresh item.
          Key: { pk: { S: consumerName }, sk: { S: `position#${value.generation}#${shard.key}` } },
          UpdateExpression: 'SET pos = :to',
          ConditionExpression: 'attribute_not_exists(pos) OR pos <= :from',
          ExpressionAttributeValues: {
            ':to': { S: comparable(shard.to) },
            ':from': { S: comparable(shard.from) },
          },
        },
      });
    }
    const items: TransactWriteItem[] = [...fixed, ...actions];
    for (let attempt = 0; ; attempt++) {
      try {
        await this.store.retrying('TransactWriteItems', () =>
          dynamodb.send(new TransactWriteItemsCommand({ TransactItems: items })),
        );
        return { writes: 1 };
      } catch (error) {
        if ((error as { name?: string }).name !== 'TransactionCanceledException') throw error;
        const codes = (
          (error as { CancellationReasons?: { Code?: string }[] }).CancellationReasons ?? []
        ).map((r) => r.Code ?? 'None');
        if (shard && codes[1] === 'ConditionalCheckFailed') {
          throw new LeaseLostError(
            `Shard ${shard.key} was moved on by another invocation (a change of parallelism overlapping this one); ` +
              'this invocation stops without committing. Let invocations of the old parallelism end first.',
          );
        }
        if (codes[0] === 'ConditionalCheckFailed') {
          throw new LeaseLostError(
            `Subtask ${subtaskIndex}'s checkpoint was fenced by a newer invocation (this one holds token ${token}); ` +
              'its transaction is refused and nothing of it is applied. Keep the function timeout below the schedule period.',
          );
        }
        // Another transaction on one of the same items was in flight: DynamoDB asks for a retry.
        if (codes.includes('TransactionConflict') && attempt < backoff.maxRetries) {
          await clock.sleep(fullJitterDelay(attempt, backoff, random));
          continue;
        }
        throw new EffectsCancelledError(
          `The transaction of subtask ${subtaskIndex} was cancelled (${codes.join(', ')}); nothing of it is applied.`,
          codes.slice(fixed.length),
          { cause: error },
        );
      }
    }
  }
}

/**
 * A shard position as text that sorts in shard order: the sequence number zero-padded to 64 digits, then
 * the sub-record (a whole record after all of its sub-records). Nothing yet sorts first.
 */
function comparable(position: ShardCheckpoint | undefined): string {
  if (!position || position.kind === 'pinned') return '0';
  if (position.kind === 'shard-end') return '9'.repeat(64);
  const sub =
    position.subSequenceNumber === undefined
      ? '9999999999'
      : String(position.subSequenceNumber).padStart(10, '0');
  return `${position.sequenceNumber.padStart(64, '0')}:${sub}`;
}
