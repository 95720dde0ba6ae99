/**
 * Test helpers for the record format: aws-kinesis-agg as an oracle (promisified), a hand-rolled
 * protobuf writer independent of the code under test, and fast-check arbitraries.
 */
import { createHash } from 'node:crypto';
import * as kinesisAgg from 'aws-kinesis-agg';
import fc from 'fast-check';
import type { UserRecord } from '../../../functions/core/record-format';

export interface OracleEncodedRecord {
  readonly partitionKey: string;
  readonly data: Buffer;
}

export interface OracleUserRecord {
  readonly partitionKey: string;
  readonly explicitPartitionKey?: string;
  readonly sequenceNumber?: string;
  readonly subSequenceNumber?: number;
  /** Base64. */
  readonly data: string;
}

/** aws-kinesis-agg's aggregate (callback API) as a promise of its encoded records, in order. */
export function oracleAggregate(records: readonly UserRecord[]): Promise<OracleEncodedRecord[]> {
  return new Promise((resolve, reject) => {
    const output: OracleEncodedRecord[] = [];
    kinesisAgg.aggregate(
      // It mutates nothing for Buffer data, but give it copies so no test depends on that.
      records.map((record) => ({ ...record, data: Buffer.from(record.data) })),
      (encoded: OracleEncodedRecord, done: () => void) => {
        output.push(encoded);
        done();
      },
      () => resolve(output),
      (error: Error) => reject(error),
    );
  });
}

/** aws-kinesis-agg's deaggregateSync with checksums on; throws what it reports. */
export function oracleDeaggregate(record: {
  partitionKey: string;
  data: Uint8Array;
  sequenceNumber?: string;
}): OracleUserRecord[] {
  let result: OracleUserRecord[] | undefined;
  kinesisAgg.deaggregateSync(
    {
      partitionKey: record.partitionKey,
      data: Buffer.from(record.data).toString('base64'),
      sequenceNumber: record.sequenceNumber,
    } as never,
    true,
    (error: Error | null, userRecords?: OracleUserRecord[]) => {
      if (error) throw error;
      result = userRecords;
    },
  );
  if (result === undefined) throw new Error('aws-kinesis-agg returned nothing');
  return result;
}

/** Protobuf varint bytes, written here independently of the codec under test. */
export function varint(value: number): number[] {
  const bytes: number[] = [];
  while (value >= 0x80) {
    bytes.push((value % 0x80) | 0x80);
    value = Math.floor(value / 0x80);
  }
  bytes.push(value);
  return bytes;
}

/** A length-delimited field: key byte, length, payload. */
export function delimited(key: number, payload: readonly number[] | Uint8Array): number[] {
  return [key, ...varint(payload.length), ...payload];
}

export function utf8(text: string): number[] {
  return [...Buffer.from(text, 'utf8')];
}

/** Magic + body + MD5(body): an aggregated record whose checksum holds whatever the body is. */
export function withMagicAndChecksum(body: readonly number[]): Buffer {
  const bodyBytes = Buffer.from(body);
  return Buffer.concat([
    Buffer.from([0xf3, 0x89, 0x9a, 0xc2]),
    bodyBytes,
    createHash('md5').update(bodyBytes).digest(),
  ]);
}

export const MAX_HASH_KEY = (1n << 128n) - 1n;

/** Decimal explicit hash keys across the whole range, the ends included. */
export const explicitHashKeyArb: fc.Arbitrary<string> = fc.oneof(
  fc.bigInt({ min: 0n, max: MAX_HASH_KEY }).map((value) => value.toString()),
  fc.constantFrom('0', MAX_HASH_KEY.toString()),
);

/** Partition keys: ASCII, any Unicode code point, and 256-character ones. */
export const partitionKeyArb: fc.Arbitrary<string> = fc.oneof(
  fc.string({ minLength: 1, maxLength: 40 }),
  fc.string({ unit: 'binary', minLength: 1, maxLength: 40 }),
  fc.string({ unit: 'binary', minLength: 256, maxLength: 256 }),
  fc.string({ unit: 'grapheme-ascii', minLength: 256, maxLength: 256 }),
);

/** User data of the given sizes, empty included. */
export function dataArb(maxLength: number): fc.Arbitrary<Uint8Array> {
  return fc.oneof(
    { weight: 1, arbitrary: fc.constant(new Uint8Array(0)) },
    { weight: 6, arbitrary: fc.uint8Array({ maxLength }) },
  );
}

/**
 * Whether a key would be an array index as an object property. aws-kinesis-agg builds its key tables
 * with `Object.keys`, which lists such keys first and in numeric order, so its encoder mislabels
 * sub-records whose keys look like small integers ('0', '42', explicit hash keys below 2^32 - 1).
 * Batches fed to its encoder avoid them; its decoder has no such defect.
 */
export function isArrayIndexLike(key: string): boolean {
  return /^(0|[1-9][0-9]{0,9})$/.test(key) && Number(key) < 2 ** 32 - 1;
}

/**
 * Whether aws-kinesis-agg's encoder keeps `key` in its table as given: not array-index-like (above),
 * not `__proto__`, which on its plain-object tables sets the prototype instead of adding a key, and not
 * `hasOwnProperty`, which as a key shadows the method the encoder then calls on the table (it throws).
 * fast-check's strings include both names on purpose, so these are inputs the oracle cannot take, not
 * rare seeds.
 */
export function oracleKeySafe(key: string): boolean {
  return !isArrayIndexLike(key) && key !== '__proto__' && key !== 'hasOwnProperty';
}

function oracleSafe(record: UserRecord): boolean {
  return (
    oracleKeySafe(record.partitionKey) &&
    (record.explicitHashKey === undefined || oracleKeySafe(record.explicitHashKey))
  );
}

/** User records, with explicit hash keys on some of them (`forOracleEncoder`: see isArrayIndexLike). */
export function userRecordArb(maxDataLength: number, forOracleEncoder = false): fc.Arbitrary<UserRecord> {
  const arb = fc
    .record({
      partitionKey: partitionKeyArb,
      data: dataArb(maxDataLength),
      explicitHashKey: fc.option(explicitHashKeyArb, { nil: undefined, freq: 3 }),
    })
    .map(({ partitionKey, data, explicitHashKey }) =>
      explicitHashKey === undefined ? { partitionKey, data } : { partitionKey, data, explicitHashKey },
    );
  return forOracleEncoder ? arb.filter(oracleSafe) : arb;
}

/** Batches that repeat partition keys and explicit hash keys, so the tables deduplicate. */
export function batchArb(
  maxDataLength: number,
  maxRecords: number,
  forOracleEncoder = false,
): fc.Arbitrary<UserRecord[]> {
  return fc
    .array(userRecordArb(maxDataLength, forOracleEncoder), { minLength: 1, maxLength: maxRecords })
    .chain((records) =>
      fc
        .array(fc.nat({ max: records.length - 1 }), { maxLength: records.length })
        .map((repeats) => [
          ...records,
          ...repeats.map((index) => ({ ...records[index]!, data: new Uint8Array([index & 0xff]) })),
        ]),
    );
}

export function utf8Length(text: string): number {
  return Buffer.byteLength(text, 'utf8');
}
