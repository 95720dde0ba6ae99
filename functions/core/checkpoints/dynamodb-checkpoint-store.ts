import type { Logger } from '@aws-lambda-powertools/logger';
import {
  GetItemCommand,
  QueryCommand,
  UpdateItemCommand,
  type AttributeValue,
  type DynamoDBClient,
  type UpdateItemCommandInput,
  type UpdateItemCommandOutput,
} from '@aws-sdk/client-dynamodb';
import { warnOnRetry, withRetries, type BackoffSettings } from '../aws/retry';
import { CONSUMER_SETTINGS } from '../config/consumer-settings';
import { LeaseHeldError, LeaseLostError, ValidationError } from '../errors';
import type { Clock, Random } from '../time/clock';
import {
  handoffOwner,
  type CheckpointStore,
  type CheckpointValue,
  type HandoverClaim,
  type LeaseHolder,
  type OperatorLease,
  type StoredCheckpoint,
  type SubtaskLease,
} from './checkpoint-store';
import { decodeCheckpointValue, encodeCheckpointValue } from './encoding';

/** Backoff for DynamoDB calls that were throttled or failed in transit. */
export const DEFAULT_DYNAMODB_BACKOFF: BackoffSettings = {
  maxRetries: 6,
  baseMillis: 50,
  maxMillis: 2000,
  expConst: 2,
};

/** Largest checkpoint value kept in one item: DynamoDB items hold 400 KB, keys and attributes included. */
export const DYNAMODB_VALUE_LIMIT_BYTES = 380_000;

/**
 * A subtask's checkpoint as the text of its item, refused with the fix when it is more than one item
 * holds (the plain store and the exactly-once commits write the same item).
 */
export function encodeCheckpointItemValue(subtaskIndex: number, value: CheckpointValue): string {
  const text = encodeCheckpointValue(value);
  if (text.length > DYNAMODB_VALUE_LIMIT_BYTES) {
    throw new ValidationError(
      `The checkpoint of subtask ${subtaskIndex} is ${text.length} bytes, more than one DynamoDB item holds ` +
        `(${DYNAMODB_VALUE_LIMIT_BYTES}); raise ${CONSUMER_SETTINGS.parallelism.key} so each subtask owns fewer shards.`,
      'checkpoint',
    );
  }
  return text;
}

export interface DynamoDbCheckpointStoreOptions {
  readonly dynamodb: Pick<DynamoDBClient, 'send'>;
  /** A table with a string partition key `pk` and a string sort key `sk`. */
  readonly tableName: string;
  /** The partition key of this consumer's items; give each consumer its own. */
  readonly consumerName: string;
  readonly clock: Clock;
  readonly random: Random;
  /** @default DEFAULT_DYNAMODB_BACKOFF */
  readonly backoff?: BackoffSettings;
  readonly logger?: Logger;
}

const CHECKPOINT_PREFIX = 'checkpoint#';
const LEASE_PREFIX = 'lease#';

/**
 * Checkpoints and leases in DynamoDB, for consumers that write more often than SSM allows. One item per
 * subtask holds its value in the same encoding as the SSM store (`pk` = consumer name,
 * `sk` = `checkpoint#<i>`), so merging is the same: per shard, the furthest position of the highest
 * generation wins. Beside it, `lease#<i>` holds the subtask's lease: owner, expiry and a fencing token
 * that grows with each taking. Taking the lease stamps the token on the checkpoint item, and every
 * checkpoint write is conditional on the item's token not being newer than the writer's, so an
 * invocation that lost its lease cannot overwrite what a newer one wrote.
 */
export class DynamoDbCheckpointStore implements CheckpointStore {
  constructor(private readonly options: DynamoDbCheckpointStoreOptions) {}

  async loadAll(): Promise<StoredCheckpoint[]> {
    const values: StoredCheckpoint[] = [];
    let start: Record<string, AttributeValue> | undefined;
    do {
      const page = await this.retrying('Query', () =>
        this.options.dynamodb.send(
          new QueryCommand({
            TableName: this.options.tableName,
            KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
            ExpressionAttributeValues: {
              ':pk': { S: this.options.consumerName },
              ':prefix': { S: CHECKPOINT_PREFIX },
            },
            ConsistentRead: true,
            ...(start ? { ExclusiveStartKey: start } : {}),
          }),
        ),
      );
      for (const item of page.Items ?? []) {
        const sk = item.sk?.S ?? '';
        const text = item.value?.S;
        const match = /^checkpoint#(\d+)$/.exec(sk);
        // An item with only a fence was stamped by a lease before its first checkpoint.
        if (!match || text === undefined) continue;
        const value = decodeCheckpointValue(
          text,
          `${this.options.tableName} ${this.options.consumerName} ${sk}`,
        );
        values.push({ ...value, subtaskIndex: Number(match[1]) });
      }
      start = page.LastEvaluatedKey;
    } while (start);
    return values;
  }

  async save(
    subtaskIndex: number,
    value: CheckpointValue,
    lease?: SubtaskLease,
  ): Promise<{ writes: number }> {
    const text = encodeCheckpointItemValue(subtaskIndex, value);
    const token = lease?.fencingToken;
    if (!(await this.updateIf(this.checkpointUpdate(subtaskIndex, text, value, token)))) {
      throw new LeaseLostError(
        `Subtask ${subtaskIndex}'s checkpoint was fenced by a newer invocation (this one holds token ${token}); ` +
          'this invocation stops without writing. Keep the function timeout below the schedule period.',
      );
    }
    return { writes: 1 };
  }

  /**
   * The write of a subtask's checkpoint item: conditional on the item's fence not being newer than
   * `token`, the same as a plain save or inside a transaction. @internal
   */
  checkpointUpdate(subtaskIndex: number, text: string, value: CheckpointValue, token: number | undefined) {
    return {
      TableName: this.options.tableName,
      Key: this.key(CHECKPOINT_PREFIX, subtaskIndex),
      UpdateExpression:
        token === undefined ? 'SET #v = :v, writtenAt = :w' : 'SET #v = :v, writtenAt = :w, fence = :t',
      ...(token === undefined ? {} : { ConditionExpression: 'attribute_not_exists(fence) OR fence <= :t' }),
      ExpressionAttributeNames: { '#v': 'value' },
      ExpressionAttributeValues: {
        ':v': { S: text },
        ':w': { N: String(Math.round(value.writtenAt)) },
        ...(token === undefined ? {} : { ':t': { N: String(token) } }),
      },
    };
  }

  /** The lease of one subtask for one invocation. */
  lease(subtaskIndex: number, owner: string): DynamoDbSubtaskLease {
    return new DynamoDbSubtaskLease(this, subtaskIndex, owner);
  }

  /** @internal */
  key(prefix: string, subtaskIndex: number): Record<string, AttributeValue> {
    return { pk: { S: this.options.consumerName }, sk: { S: `${prefix}${subtaskIndex}` } };
  }

  /** @internal */
  get settings(): DynamoDbCheckpointStoreOptions {
    return this.options;
  }

  /** @internal An UpdateItem on the table, retried; undefined when its condition does not hold. */
  async updateIf(
    input: Omit<UpdateItemCommandInput, 'TableName'>,
  ): Promise<UpdateItemCommandOutput | undefined> {
    const { dynamodb, tableName } = this.options;
    try {
      return await this.retrying('UpdateItem', () =>
        dynamodb.send(new UpdateItemCommand({ ...input, TableName: tableName })),
      );
    } catch (error) {
      if (isConditionFailed(error)) return undefined;
      throw error;
    }
  }

  /** @internal */
  retrying<T>(operation: string, fn: () => Promise<T>): Promise<T> {
    return withRetries(operation, fn, {
      settings: this.options.backoff ?? DEFAULT_DYNAMODB_BACKOFF,
      clock: this.options.clock,
      random: this.options.random,
      onRetry: warnOnRetry(this.options.logger, `${operation} on the checkpoint table failed; backing off`),
    });
  }
}

/**
 * A subtask's lease as a DynamoDB compare-and-set: taken when free, expired or already ours, with a
 * fencing token one higher than the last taker's, which is then stamped on the subtask's checkpoint item.
 * An operator tool may also take it from a live holder (`takeOver`): the token still grows, so the
 * holder's next checkpoint write is refused by the store.
 */
export class DynamoDbSubtaskLease implements OperatorLease {
  private token: number | undefined;

  constructor(
    private readonly store: DynamoDbCheckpointStore,
    private readonly subtaskIndex: number,
    private readonly owner: string,
  ) {}

  get fencingToken(): number | undefined {
    return this.token;
  }

  acquire(expiresAt: number): Promise<void> {
    return this.claim(expiresAt, false);
  }

  takeOver(expiresAt: number): Promise<void> {
    return this.claim(expiresAt, true);
  }

  async holder(): Promise<LeaseHolder | undefined> {
    const current = await this.read();
    return current && { owner: current.owner, expiresAt: current.expiresAt };
  }

  private async claim(expiresAt: number, takeOver: boolean): Promise<void> {
    const now = this.store.settings.clock.now();
    const token = await this.take(
      expiresAt,
      takeOver ? undefined : 'attribute_not_exists(sk) OR expiresAt <= :now OR #owner = :owner',
      takeOver ? {} : { ':now': { N: String(now) } },
    );
    if (token === undefined) {
      const holder = await this.read();
      throw new LeaseHeldError(
        `Subtask ${this.subtaskIndex}'s lease is held by invocation ${holder?.owner ?? '(unknown)'} until ` +
          `${new Date(holder?.expiresAt ?? 0).toISOString()}; this invocation does not read.`,
      );
    }
    await this.fence(token);
  }

  /** Writes this owner into the lease with the next token if `condition` holds; undefined when it does not. */
  private async take(
    expiresAt: number,
    condition: string | undefined,
    values: Record<string, AttributeValue>,
  ): Promise<number | undefined> {
    const result = await this.store.updateIf({
      Key: this.store.key(LEASE_PREFIX, this.subtaskIndex),
      UpdateExpression:
        'SET #owner = :owner, expiresAt = :expires, #token = if_not_exists(#token, :zero) + :one',
      ...(condition ? { ConditionExpression: condition } : {}),
      ExpressionAttributeNames: { '#owner': 'owner', '#token': 'token' },
      ExpressionAttributeValues: {
        ':owner': { S: this.owner },
        ':expires': { N: String(Math.round(expiresAt)) },
        ':zero': { N: '0' },
        ':one': { N: '1' },
        ...values,
      },
      ReturnValues: 'ALL_NEW',
    });
    return result && Number(result.Attributes?.token?.N);
  }

  /**
   * Claims a lease handed over with `handoffToken` by one conditional update (the stored owner must be
   * that handoff, unexpired), so of two successors started with the same token only one wins.
   */
  async acceptHandover(handoffToken: string, expiresAt: number): Promise<HandoverClaim> {
    const now = this.store.settings.clock.now();
    const token = await this.take(expiresAt, '#owner = :handoff AND expiresAt > :now', {
      ':handoff': { S: handoffOwner(handoffToken) },
      ':now': { N: String(now) },
    });
    if (token === undefined) {
      const holder = await this.read();
      return { taken: false, holder: holder && { owner: holder.owner, expiresAt: holder.expiresAt } };
    }
    await this.fence(token);
    return { taken: true };
  }

  /** Moves the expiry of the lease while this owner still holds it with its token. */
  async renew(expiresAt: number): Promise<boolean> {
    if (this.token === undefined) return false;
    return this.updateHeld('SET expiresAt = :expires', {
      ':expires': { N: String(Math.round(expiresAt)) },
    });
  }

  /** Names the successor's handoff as the holder; the token moves on when the successor claims it. */
  async handOver(handoffToken: string, expiresAt: number): Promise<void> {
    const held =
      this.token !== undefined &&
      (await this.updateHeld('SET #owner = :handoff, expiresAt = :expires', {
        ':handoff': { S: handoffOwner(handoffToken) },
        ':expires': { N: String(Math.round(expiresAt)) },
      }));
    this.token = undefined;
    if (!held) {
      throw new LeaseLostError(
        `Subtask ${this.subtaskIndex}'s lease was taken by another invocation before it could be handed over.`,
      );
    }
  }

  /** An update of the lease item conditional on this owner and token; false when they no longer hold it. */
  private async updateHeld(update: string, values: Record<string, AttributeValue>): Promise<boolean> {
    const result = await this.store.updateIf({
      Key: this.store.key(LEASE_PREFIX, this.subtaskIndex),
      UpdateExpression: update,
      ConditionExpression: '#owner = :owner AND #token = :t',
      ExpressionAttributeNames: { '#owner': 'owner', '#token': 'token' },
      ExpressionAttributeValues: { ':owner': { S: this.owner }, ':t': { N: String(this.token) }, ...values },
    });
    return result !== undefined;
  }

  /** Stamps the token on the checkpoint item, so writes of every older taker are refused from now on. */
  private async fence(token: number): Promise<void> {
    const fenced = await this.store.updateIf({
      Key: this.store.key(CHECKPOINT_PREFIX, this.subtaskIndex),
      UpdateExpression: 'SET fence = :t',
      ConditionExpression: 'attribute_not_exists(fence) OR fence < :t',
      ExpressionAttributeValues: { ':t': { N: String(token) } },
    });
    if (!fenced) {
      throw new LeaseHeldError(
        `Subtask ${this.subtaskIndex}'s checkpoint is already fenced by a newer taker of its lease; this ` +
          'invocation does not read.',
      );
    }
    this.token = token;
  }

  async isHeld(): Promise<boolean> {
    if (this.token === undefined) return false;
    const current = await this.read();
    return current?.owner === this.owner && current.token === this.token;
  }

  async release(): Promise<void> {
    if (this.token === undefined) return;
    // Taken over meanwhile (the update's condition fails): nothing of ours to give up.
    await this.updateHeld('SET expiresAt = :zero', { ':zero': { N: '0' } });
    this.token = undefined;
  }

  private async read(): Promise<{ owner: string; expiresAt: number; token: number } | undefined> {
    const { dynamodb, tableName } = this.store.settings;
    const { Item } = await this.store.retrying('GetItem', () =>
      dynamodb.send(
        new GetItemCommand({
          TableName: tableName,
          Key: this.store.key(LEASE_PREFIX, this.subtaskIndex),
          ConsistentRead: true,
        }),
      ),
    );
    if (!Item?.owner?.S) return undefined;
    return {
      owner: Item.owner.S,
      expiresAt: Number(Item.expiresAt?.N ?? 0),
      token: Number(Item.token?.N ?? 0),
    };
  }
}

export function isConditionFailed(error: unknown): boolean {
  return (error as { name?: string } | null)?.name === 'ConditionalCheckFailedException';
}
