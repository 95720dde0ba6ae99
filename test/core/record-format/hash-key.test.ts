import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { ValidationError } from '../../../functions/core/errors';
import {
  decimalToHashKeyHex,
  hashKeyHexFor,
  hashKeyHexToDecimal,
  partitionKeyToHashKeyHex,
} from '../../../functions/core/record-format';
import { MAX_HASH_KEY, explicitHashKeyArb } from './support';

describe('hash keys', () => {
  it('derives a partition key’s hash key from the MD5 of its UTF-8 bytes, big-endian', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', minLength: 1, maxLength: 256 }), (key) => {
        const digest = createHash('md5').update(Buffer.from(key, 'utf8')).digest();
        const expected = (digest.readBigUInt64BE(0) << 64n) | digest.readBigUInt64BE(8);
        const hex = partitionKeyToHashKeyHex(key);
        expect(hex).toMatch(/^[0-9a-f]{32}$/);
        expect(BigInt(`0x${hex}`)).toBe(expected);
        expect(hashKeyHexFor(key)).toBe(hex);
      }),
      { numRuns: 200 },
    );
  });

  it('converts decimal hash keys to 32 hex digits and back', () => {
    fc.assert(
      fc.property(explicitHashKeyArb, (decimal) => {
        const hex = decimalToHashKeyHex(decimal);
        expect(hex).toHaveLength(32);
        expect(BigInt(`0x${hex}`).toString()).toBe(decimal);
        expect(hashKeyHexToDecimal(hex)).toBe(decimal);
        expect(hashKeyHexFor('ignored', decimal)).toBe(hex);
      }),
      { numRuns: 200 },
    );
    expect(decimalToHashKeyHex('0')).toBe('0'.repeat(32));
    expect(decimalToHashKeyHex(MAX_HASH_KEY.toString())).toBe('f'.repeat(32));
  });

  it('orders hex hash keys as strings exactly as their numbers order', () => {
    fc.assert(
      fc.property(explicitHashKeyArb, explicitHashKeyArb, (a, b) => {
        const byNumber = BigInt(a) < BigInt(b) ? -1 : BigInt(a) > BigInt(b) ? 1 : 0;
        const [hexA, hexB] = [decimalToHashKeyHex(a), decimalToHashKeyHex(b)];
        expect(hexA < hexB ? -1 : hexA > hexB ? 1 : 0).toBe(byNumber);
      }),
      { numRuns: 200 },
    );
  });

  it.each(['', '-5', '007', '1.5', (MAX_HASH_KEY + 1n).toString(), '1e3'])(
    'rejects the explicit hash key %j',
    (bad) => {
      expect(() => decimalToHashKeyHex(bad)).toThrow(ValidationError);
    },
  );

  it.each(['abc', 'F'.repeat(32), '0'.repeat(31), '0'.repeat(33)])('rejects the hex hash key %j', (bad) => {
    expect(() => hashKeyHexToDecimal(bad)).toThrow(/32 lower-case hex digits/);
  });
});
