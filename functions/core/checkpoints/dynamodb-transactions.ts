import { TransactWriteItemsCommand, type TransactWriteItem } from '@aws-sdk/client-dynamodb';
import { fullJitterDelay } from '../aws/retry';
import { EffectsCancelledError, LeaseLostError, ValidationError } from '../errors';
import type { CheckpointValue, SubtaskLease, TransactionalCheckpoints } from './checkpoint-store';
import {
  DEFAULT_DYNAMODB_BACKOFF,
  DYNAMODB_VALUE_LIMIT_BYTES,
  type DynamoDbCheckpointStore,
} from './dynamodb-checkpoint-store';
import { encodeCheckpointValue } from './encoding';

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
  ): Promise<{ writes: number }> {
    const token = lease.fencingToken;
    if (token === undefined) {
      throw new LeaseLostError(
        `Subtask ${subtaskIndex} holds no fenced lease; exactly-once commits need the DynamoDB checkpoint store's lease.`,
      );
    }
    const text = encodeCheckpointValue(value);
    if (text.length > DYNAMODB_VALUE_LIMIT_BYTES) {
      throw new ValidationError(
        `The checkpoint of subtask ${subtaskIndex} is ${text.length} bytes, more than one DynamoDB item holds ` +
          `(${DYNAMODB_VALUE_LIMIT_BYTES}); raise consumer.parallelism so each subtask owns fewer shards.`,
        'checkpoint',
      );
    }
    const { dynamodb, clock, random } = this.store.settings;
    const backoff = this.store.settings.backoff ?? DEFAULT_DYNAMODB_BACKOFF;
    const items: TransactWriteItem[] = [
      { Update: this.store.checkpointUpdate(subtaskIndex, text, value, token) },
      ...actions,
    ];
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
          codes.slice(1),
          { cause: error },
        );
      }
    }
  }
}
