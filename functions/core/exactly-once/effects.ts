import type { TransactWriteItem } from '@aws-sdk/client-dynamodb';
import { TransactionLimitError, ValidationError } from '../errors';
import { EFFECT_MAX_ACTIONS, EFFECT_MAX_BYTES, ITEM_MAX_BYTES } from './limits';
import { stateValueBytes, type StateTable, type StateValue } from './state-table';

/** Keyed state for the processor: reads see the batch's own writes, nothing is visible until committed. */
export interface KeyedState {
  /** The JSON value of `key`, or undefined. */
  get<V = unknown>(key: string): Promise<V | undefined>;
  /** The bytes of `key`, or undefined. */
  getBytes(key: string): Promise<Uint8Array | undefined>;
  /** Sets `key` to a JSON value. */
  put(key: string, value: unknown): void;
  putBytes(key: string, value: Uint8Array): void;
  delete(key: string): void;
}

/** Writes to the user's own DynamoDB tables, applied with the checkpoint (DynamoDB's own item shapes). */
export interface TableWrites {
  put(input: NonNullable<TransactWriteItem['Put']>): void;
  update(input: NonNullable<TransactWriteItem['Update']>): void;
  delete(input: NonNullable<TransactWriteItem['Delete']>): void;
}

/** The effects of one record (or of a batch's end), on top of what the transaction holds before it. */
export class Scope implements KeyedState {
  readonly writes = new Map<string, StateValue | undefined>();
  readonly tableWrites: TransactWriteItem[] = [];

  constructor(
    private readonly below: ReadonlyMap<string, StateValue | undefined>,
    private readonly table: StateTable,
  ) {}

  async get<V = unknown>(key: string): Promise<V | undefined> {
    const value = await this.value(key);
    if (value === undefined) return undefined;
    if (!('json' in value))
      throw new ValidationError(`State key ${key} holds bytes; read it with getBytes.`, 'state key');
    return JSON.parse(value.json) as V;
  }

  async getBytes(key: string): Promise<Uint8Array | undefined> {
    const value = await this.value(key);
    if (value === undefined) return undefined;
    if (!('bytes' in value))
      throw new ValidationError(`State key ${key} holds JSON; read it with get.`, 'state key');
    return value.bytes;
  }

  put(key: string, value: unknown): void {
    this.table.itemKey(key);
    const json = JSON.stringify(value);
    if (json === undefined) {
      throw new ValidationError(
        `State key ${key} was given ${String(value)}, which has no JSON form; use delete to remove a key.`,
        'state value',
      );
    }
    this.writes.set(key, { json });
  }

  putBytes(key: string, value: Uint8Array): void {
    this.table.itemKey(key);
    if (!(value instanceof Uint8Array))
      throw new ValidationError(
        `State key ${key} was given a ${typeof value}; putBytes takes a Uint8Array.`,
        'state value',
      );
    this.writes.set(key, { bytes: value.slice() });
  }

  delete(key: string): void {
    this.table.itemKey(key);
    this.writes.set(key, undefined);
  }

  update(input: NonNullable<TransactWriteItem['Update']>): void {
    this.tableWrites.push({ Update: input });
  }

  delete_(input: NonNullable<TransactWriteItem['Delete']>): void {
    this.tableWrites.push({ Delete: input });
  }

  private async value(key: string): Promise<StateValue | undefined> {
    if (this.writes.has(key)) return this.writes.get(key);
    if (this.below.has(key)) return this.below.get(key);
    return (await this.table.read(key)).value;
  }
}

/** The table-writing face of a scope (KeyedState and TableWrites both have a `delete`). */
export function tableWritesOf(scope: Scope): TableWrites {
  return {
    put: (input) => void scope.tableWrites.push({ Put: input }),
    update: (input) => scope.update(input),
    delete: (input) => scope.delete_(input),
  };
}

/** What one transaction will hold: the merged state writes and the table writes of its records. */
export class PendingTransaction {
  readonly merged = new Map<string, StateValue | undefined>();
  readonly entries: { readonly scope: Scope; readonly end: number }[] = [];
  private tableActions = 0;
  private bytes = 0;
  private readonly items = new Set<string>();
  /** What each action of the last `actions()` was: a state key, or a table write. */
  kinds: ({ readonly state: string } | { readonly table: number })[] = [];

  get isEmpty(): boolean {
    return this.entries.length === 0;
  }

  /** Whether `scope` fits beside what is here, in actions, bytes and items written once. */
  fits(scope: Scope): boolean {
    let keys = this.merged.size;
    for (const key of scope.writes.keys()) if (!this.merged.has(key)) keys++;
    if (keys + this.tableActions + scope.tableWrites.length > EFFECT_MAX_ACTIONS) return false;
    if (this.bytes + bytesOf(scope) > EFFECT_MAX_BYTES) return false;
    for (const write of scope.tableWrites) {
      const id = itemId(write);
      if (id !== undefined && this.items.has(id)) return false;
    }
    return true;
  }

  /** Adds a scope whose records end (exclusive index in the call's records) at `end`. */
  add(scope: Scope, end: number): void {
    for (const [key, value] of scope.writes) this.merged.set(key, value);
    for (const write of scope.tableWrites) {
      const id = itemId(write);
      if (id !== undefined) this.items.add(id);
    }
    this.tableActions += scope.tableWrites.length;
    this.bytes += bytesOf(scope);
    this.entries.push({ scope, end });
  }

  async actions(table: StateTable): Promise<TransactWriteItem[]> {
    const actions: TransactWriteItem[] = [];
    this.kinds = [];
    for (const [key, value] of this.merged) {
      const action = await table.action(key, value);
      if (!action) continue;
      actions.push(action);
      this.kinds.push({ state: key });
    }
    let n = 0;
    for (const { scope } of this.entries) {
      for (const write of scope.tableWrites) {
        actions.push(write);
        this.kinds.push({ table: n++ });
      }
    }
    return actions;
  }

  /** After a commit, the state table's cache learns the new values. */
  applied(table: StateTable): void {
    for (const [key, value] of this.merged) table.committed(key, value);
  }
}

/**
 * Checks that one record's effects fit in a transaction of their own; throws TransactionLimitError
 * naming the limit otherwise, before anything is committed.
 */
export function checkAlone(scope: Scope, what: string): void {
  const actions = scope.writes.size + scope.tableWrites.length;
  if (actions > EFFECT_MAX_ACTIONS) {
    throw new TransactionLimitError(
      `${what} makes ${actions} writes (${scope.writes.size} state keys, ${scope.tableWrites.length} table writes); ` +
        `one DynamoDB transaction holds ${EFFECT_MAX_ACTIONS} besides the checkpoint. Nothing of it is committed.`,
    );
  }
  const bytes = bytesOf(scope);
  if (bytes > EFFECT_MAX_BYTES) {
    throw new TransactionLimitError(
      `${what} writes about ${bytes} bytes; one DynamoDB transaction holds ${EFFECT_MAX_BYTES} besides the ` +
        'checkpoint. Nothing of it is committed.',
    );
  }
  for (const [key, value] of scope.writes) {
    if (stateValueBytes(value) + key.length + 100 > ITEM_MAX_BYTES) {
      throw new TransactionLimitError(
        `${what} sets state key ${key} to ${stateValueBytes(value)} bytes; a DynamoDB item holds ${ITEM_MAX_BYTES}. ` +
          'Nothing of it is committed.',
      );
    }
  }
  const seen = new Set<string>();
  for (const write of scope.tableWrites) {
    const id = itemId(write);
    if (id === undefined) continue;
    if (seen.has(id)) {
      throw new TransactionLimitError(
        `${what} writes one item twice (${id.replace('\u0000', ' ')}); a DynamoDB transaction writes an item once. ` +
          'Nothing of it is committed.',
      );
    }
    seen.add(id);
  }
}

function bytesOf(scope: Scope): number {
  let bytes = 0;
  for (const [key, value] of scope.writes) bytes += key.length + 64 + stateValueBytes(value);
  for (const write of scope.tableWrites) bytes += JSON.stringify(write, binaryLength).length;
  return bytes;
}

function binaryLength(_key: string, value: unknown): unknown {
  return value instanceof Uint8Array ? 'x'.repeat(value.length) : value;
}

/** Table and key of an update or delete; a put's key is unknown without the table's schema. */
function itemId(write: TransactWriteItem): string | undefined {
  const op = write.Update ?? write.Delete ?? write.ConditionCheck;
  if (!op?.Key) return undefined;
  return `${op.TableName ?? ''}\u0000${canonical(op.Key)}`;
}

function canonical(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (value instanceof Uint8Array) return Buffer.from(value).toString('base64');
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : 1));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`;
}
