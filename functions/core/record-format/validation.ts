import { ValidationError } from '../errors';
import { MAX_HASH_KEY_DECIMAL, MAX_PARTITION_KEY_CHARS } from './aggregated-record';

const DECIMAL_HASH_KEY = /^(0|[1-9][0-9]{0,38})$/;

/** Counts Unicode code points, the unit Kinesis's 256-character partition key limit is in. */
function codePointCount(text: string): number {
  let count = 0;
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    // A high surrogate followed by a low one is one character.
    if (unit >= 0xd800 && unit <= 0xdbff && i + 1 < text.length) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) i++;
    }
    count++;
  }
  return count;
}

/** Throws a ValidationError unless `partitionKey` is a string of 1 to 256 Unicode characters. */
export function validatePartitionKey(
  partitionKey: unknown,
  field = 'partitionKey',
): asserts partitionKey is string {
  if (typeof partitionKey !== 'string') {
    throw new ValidationError(
      `${field} must be a string of 1 to ${MAX_PARTITION_KEY_CHARS} characters, but got ${describe(partitionKey)}.`,
      field,
    );
  }
  const length = partitionKey.length;
  // Up to 256 UTF-16 units is always within the limit; only longer keys need counting.
  if (
    length === 0 ||
    (length > MAX_PARTITION_KEY_CHARS && codePointCount(partitionKey) > MAX_PARTITION_KEY_CHARS)
  ) {
    throw new ValidationError(
      `${field} must be 1 to ${MAX_PARTITION_KEY_CHARS} characters long, but has ` +
        `${length === 0 ? 0 : codePointCount(partitionKey)}.`,
      field,
    );
  }
}

/** Whether `value` is a decimal hash key in Kinesis's range 0 to 2^128 - 1 (no sign, no leading zeros). */
export function isDecimalHashKey(value: unknown): value is string {
  if (typeof value !== 'string' || !DECIMAL_HASH_KEY.test(value)) return false;
  return value.length < MAX_HASH_KEY_DECIMAL.length || value <= MAX_HASH_KEY_DECIMAL;
}

/** Throws a ValidationError unless `explicitHashKey` is a decimal hash key in range. */
export function validateExplicitHashKey(
  explicitHashKey: unknown,
  field = 'explicitHashKey',
): asserts explicitHashKey is string {
  if (!isDecimalHashKey(explicitHashKey)) {
    throw new ValidationError(
      `${field} must be a decimal integer from 0 to 2^128 - 1 (${MAX_HASH_KEY_DECIMAL}) without leading ` +
        `zeros, but got ${describe(explicitHashKey)}.`,
      field,
    );
  }
}

/** A short, bounded rendering of a bad value for an error message. */
export function describe(value: unknown): string {
  if (typeof value === 'string') {
    return value.length > 60 ? `a ${value.length}-character string` : JSON.stringify(value);
  }
  if (value === null || value === undefined) return String(value);
  if (value instanceof Uint8Array) return `${value.length} bytes`;
  if (typeof value === 'object') return `an object (${value.constructor?.name ?? 'Object'})`;
  return `${typeof value} ${String(value)}`;
}
