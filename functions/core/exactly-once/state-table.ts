import {
  GetItemCommand,
  type AttributeValue,
  type DynamoDBClient,
  type TransactWriteItem,
} from '@aws-sdk/client-dynamodb';
import { ValidationError } from '../errors';
import { STATE_CACHE_ENTRIES } from './limits';

/** A state value as stored: JSON text or bytes. */
export type StateValue = { readonly json: string } | { readonly bytes: Uint8Array };

/** A committed value and its version (0: absent). */
export interface Versioned {
  readonly value: StateValue | undefined;
  readonly version: number;
}

export interface StateTableOptions {
  readonly dynamodb: Pick<DynamoDBClient, 'send'>;
  /** A table with a string partition key `pk` and a string sort key `sk`. */
  readonly tableName: string;
  /** Keeps consumers that share a table apart: the consumer's name. */
  readonly namespace: string;
  /** @default STATE_CACHE_ENTRIES */
  readonly cacheEntries?: number;
}

const STATE_SK = 'state';
const MAX_KEY_LENGTH = 1024;

/**
 * Keyed state in DynamoDB, one item per user key (`pk` = `<namespace>#<key>`, `sk` = `state`), with a
 * version `v` that every write checks and bumps. The version makes a lost update impossible even if two
 * writers ever met on one key: the later transaction is cancelled and its batch retried on fresh state.
 * Committed values are cached (their versions with them), so a stale cache costs a retry, never a wrong
 * result.
 */
export class StateTable {
  private readonly cache = new Map<string, Versioned>();

  constructor(readonly options: StateTableOptions) {}

  get tableName(): string {
    return this.options.tableName;
  }

  async read(key: string): Promise<Versioned> {
    const cached = this.cache.get(key);
    if (cached) return cached;
    const { Item } = await this.options.dynamodb.send(
      new GetItemCommand({ TableName: this.options.tableName, Key: this.itemKey(key), ConsistentRead: true }),
    );
    const read: Versioned = Item
      ? { value: fromItem(Item), version: Number(Item.v?.N ?? 0) }
      : { value: undefined, version: 0 };
    this.remember(key, read);
    return read;
  }

  /** The transaction action that sets `key` to `value` (undefined: deletes it); none when it changes nothing. */
  async action(key: string, value: StateValue | undefined): Promise<TransactWriteItem | undefined> {
    const { version } = await this.read(key);
    if (value === undefined) {
      if (version === 0) return undefined;
      return {
        Delete: {
          TableName: this.options.tableName,
          Key: this.itemKey(key),
          ConditionExpression: 'v = :v',
          ExpressionAttributeValues: { ':v': { N: String(version) } },
        },
      };
    }
    return {
      Put: {
        TableName: this.options.tableName,
        Item: { ...this.itemKey(key), v: { N: String(version + 1) }, ...toAttributes(value) },
        ConditionExpression: version === 0 ? 'attribute_not_exists(pk)' : 'v = :v',
        ...(version === 0 ? {} : { ExpressionAttributeValues: { ':v': { N: String(version) } } }),
      },
    };
  }

  /** After a commit: the new values and versions. */
  committed(key: string, value: StateValue | undefined): void {
    const before = this.cache.get(key);
    if (!before) return;
    this.remember(
      key,
      value === undefined ? { value: undefined, version: 0 } : { value, version: before.version + 1 },
    );
  }

  /** After a cancelled commit whose condition on `key` failed: read it again next time. */
  forget(key: string): void {
    this.cache.delete(key);
  }

  itemKey(key: string): Record<string, AttributeValue> {
    if (typeof key !== 'string' || key.length === 0 || key.length > MAX_KEY_LENGTH) {
      throw new ValidationError(
        `A state key is ${JSON.stringify(key)}; it must be a string of 1 to ${MAX_KEY_LENGTH} characters.`,
        'state key',
      );
    }
    return { pk: { S: `${this.options.namespace}#${key}` }, sk: { S: STATE_SK } };
  }

  /** The user key of a state item's `pk`, or undefined for another namespace. */
  keyOf(pk: string): string | undefined {
    const prefix = `${this.options.namespace}#`;
    return pk.startsWith(prefix) ? pk.slice(prefix.length) : undefined;
  }

  private remember(key: string, value: Versioned): void {
    this.cache.delete(key);
    this.cache.set(key, value);
    const limit = this.options.cacheEntries ?? STATE_CACHE_ENTRIES;
    // A Map iterates in insertion order: the first key is the one used longest ago.
    while (this.cache.size > limit) this.cache.delete(this.cache.keys().next().value as string);
  }
}

function fromItem(item: Record<string, AttributeValue>): StateValue | undefined {
  if (item.json?.S !== undefined) return { json: item.json.S };
  if (item.bin?.B !== undefined) return { bytes: item.bin.B };
  return undefined;
}

function toAttributes(value: StateValue): Record<string, AttributeValue> {
  return 'json' in value ? { json: { S: value.json } } : { bin: { B: value.bytes } };
}

/** Bytes a value takes in its item, near enough for sizing transactions. */
export function stateValueBytes(value: StateValue | undefined): number {
  if (value === undefined) return 0;
  return 'json' in value ? Buffer.byteLength(value.json) : value.bytes.length;
}
