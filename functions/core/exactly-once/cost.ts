import type { AttributeValue, TransactWriteItem } from '@aws-sdk/client-dynamodb';

/** DynamoDB bills a write per 1 KB of item, rounded up; inside a transaction each write counts twice. */
export const WRITE_UNIT_BYTES = 1024;
export const TRANSACTIONAL_WRITE_FACTOR = 2;

/** An item's size as DynamoDB counts it: attribute names plus values (numbers near enough). */
export function itemBytes(item: Record<string, AttributeValue>): number {
  let bytes = 0;
  for (const [name, value] of Object.entries(item)) bytes += Buffer.byteLength(name) + valueBytes(value);
  return bytes;
}

function valueBytes(value: AttributeValue): number {
  if (value.S !== undefined) return Buffer.byteLength(value.S);
  if (value.N !== undefined) return Math.ceil(value.N.replace(/^-|\.|e.*$/gi, '').length / 2) + 1;
  if (value.B !== undefined) return value.B.length;
  if (value.BOOL !== undefined || value.NULL !== undefined) return 1;
  if (value.M !== undefined) return 3 + itemBytes(value.M);
  if (value.L !== undefined) return 3 + value.L.reduce((n, v) => n + 1 + valueBytes(v), 0);
  if (value.SS !== undefined) return value.SS.reduce((n, s) => n + Buffer.byteLength(s), 0);
  if (value.NS !== undefined) return value.NS.reduce((n, s) => n + Math.ceil(s.length / 2) + 1, 0);
  if (value.BS !== undefined) return value.BS.reduce((n, b) => n + b.length, 0);
  return 0;
}

/**
 * Write units of one TransactWriteItems: 2 x ceil(item KB) per Put, Update and Delete (the item as written;
 * for an Update, `updatedBytes` when given, else the key and the values it sets), 2 x 1 per ConditionCheck
 * of an item up to 1 KB. The checkpoint's own Update is one of the actions.
 */
export function transactionWriteUnits(
  actions: readonly TransactWriteItem[],
  updatedBytes?: (action: TransactWriteItem) => number | undefined,
): number {
  let units = 0;
  for (const action of actions) {
    let bytes: number;
    if (action.Put) bytes = itemBytes(action.Put.Item ?? {});
    else if (action.Update)
      bytes =
        updatedBytes?.(action) ??
        itemBytes({ ...(action.Update.Key ?? {}), ...(action.Update.ExpressionAttributeValues ?? {}) });
    else if (action.Delete) bytes = itemBytes(action.Delete.Key ?? {});
    else bytes = itemBytes(action.ConditionCheck?.Key ?? {});
    units += TRANSACTIONAL_WRITE_FACTOR * Math.max(1, Math.ceil(bytes / WRITE_UNIT_BYTES));
  }
  return units;
}
