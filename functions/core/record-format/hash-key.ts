import { hash } from 'node:crypto';
import { ValidationError } from '../errors';
import { describe, validateExplicitHashKey } from './validation';

/**
 * Kinesis places a record by a 128-bit hash key: the MD5 of the UTF-8 partition key read as a
 * big-endian integer, or the explicit hash key. Here a hash key is a 32-digit lower-case hex string,
 * so that plain string comparison orders hash keys numerically and no BigInt is needed per key.
 */
export const HASH_KEY_HEX_DIGITS = 32;

const HEX_HASH_KEY = /^[0-9a-f]{32}$/;

/** The 128-bit hash key Kinesis derives from a partition key, as 32 lower-case hex digits. */
export function partitionKeyToHashKeyHex(partitionKey: string): string {
  return hash('md5', partitionKey, 'hex');
}

/** A decimal explicit hash key (0 to 2^128 - 1) as 32 lower-case hex digits. */
export function decimalToHashKeyHex(decimal: string): string {
  validateExplicitHashKey(decimal);
  return BigInt(decimal).toString(16).padStart(HASH_KEY_HEX_DIGITS, '0');
}

/** A 32-hex-digit hash key as the decimal string Kinesis APIs use. */
export function hashKeyHexToDecimal(hex: string): string {
  if (!HEX_HASH_KEY.test(hex)) {
    throw new ValidationError(
      `A hash key must be 32 lower-case hex digits, but got ${describe(hex)}.`,
      'hashKey',
    );
  }
  return BigInt(`0x${hex}`).toString(10);
}

/** The hash key Kinesis uses to place a record: the explicit hash key if given, else the partition key's MD5. */
export function hashKeyHexFor(partitionKey: string, explicitHashKey?: string): string {
  return explicitHashKey === undefined
    ? partitionKeyToHashKeyHex(partitionKey)
    : decimalToHashKeyHex(explicitHashKey);
}
