import fc from 'fast-check';
import { ConfigurationError, ValidationError } from '../../../functions/core/errors';
import {
  RecordAggregator,
  aggregate,
  deaggregate,
  type AggregatedRecord,
  type UserRecord,
} from '../../../functions/core/record-format';
import { batchArb, utf8Length } from './support';

const MiB = 1024 * 1024;
const UNBOUNDED = { maxSize: 10 * MiB, maxRecordSizeBytes: 10 * MiB };

function record(partitionKey: string, size: number, fill = 1, explicitHashKey?: string): UserRecord {
  const data = new Uint8Array(size).fill(fill);
  return explicitHashKey === undefined ? { partitionKey, data } : { partitionKey, data, explicitHashKey };
}

/** Bytes of the record aggregating `records` would be, with no limit in the way. */
function aggregatedSize(records: readonly UserRecord[]): number {
  const [only, ...rest] = aggregate(records, UNBOUNDED);
  expect(rest).toHaveLength(0);
  return only!.data.length;
}

function addAll<T extends UserRecord>(
  aggregator: RecordAggregator<T>,
  records: readonly T[],
): AggregatedRecord<T>[] {
  const output = records.flatMap((r) => [...aggregator.add(r)]);
  const last = aggregator.flush();
  return last === undefined ? output : [...output, last];
}

describe('RecordAggregator', () => {
  it('returns nothing while records fit and finishes a record as soon as it is full', () => {
    const aggregator = new RecordAggregator({ maxCount: 3 });
    expect(aggregator.add(record('a', 10))).toEqual([]);
    expect(aggregator.add(record('b', 10))).toEqual([]);
    const [full, ...more] = aggregator.add(record('c', 10));
    expect(more).toEqual([]);
    expect(full!.aggregated).toBe(true);
    expect(full!.userRecords.map((r) => r.partitionKey)).toEqual(['a', 'b', 'c']);
    expect(aggregator.count).toBe(0);
    expect(aggregator.flush()).toBeUndefined();
  });

  it('sends a lone user record plain, with its own keys and bytes', () => {
    const aggregator = new RecordAggregator({ explicitHashKey: '99' });
    const only = record('solo', 40, 5, '1234');
    aggregator.add(only);
    const flushed = aggregator.flush()!;
    expect(flushed).toMatchObject({
      partitionKey: 'solo',
      explicitHashKey: '1234',
      aggregated: false,
      userRecordCount: 1,
    });
    expect(flushed.data).toBe(only.data);
    expect(flushed.userRecords).toEqual([only]);
  });

  it('gives aggregated records the configured explicit hash key and the first partition key', () => {
    const aggregator = new RecordAggregator({ explicitHashKey: '170141183460469231731687303715884105728' });
    aggregator.add(record('first', 10, 1, '5'));
    aggregator.add(record('second', 10));
    expect(aggregator.flush()).toMatchObject({
      partitionKey: 'first',
      explicitHashKey: '170141183460469231731687303715884105728',
      aggregated: true,
      userRecordCount: 2,
    });
  });

  it('defaults the outer explicit hash key to the first user record’s, or none', () => {
    expect(aggregate([record('a', 1, 1, '77'), record('b', 1)])[0]).toMatchObject({ explicitHashKey: '77' });
    expect(aggregate([record('a', 1), record('b', 1, 1, '77')])[0]!.explicitHashKey).toBeUndefined();
  });

  it('reports the count and the byte size the record being filled would have', () => {
    const aggregator = new RecordAggregator();
    expect([aggregator.count, aggregator.sizeBytes]).toEqual([0, 0]);
    aggregator.add(record('a', 100));
    expect([aggregator.count, aggregator.sizeBytes]).toEqual([1, 100]);
    aggregator.add(record('b', 200, 2, '42'));
    aggregator.add(record('a', 300, 3));
    const expected = aggregatedSize([record('a', 100), record('b', 200, 2, '42'), record('a', 300, 3)]);
    expect([aggregator.count, aggregator.sizeBytes]).toEqual([3, expected]);
    expect(aggregator.flush()!.data.length).toBe(expected);
  });

  it('writes each distinct partition key and explicit hash key once', () => {
    const [aggregated] = aggregate([
      record('repeated-key', 3, 1, '123456789012345678901234567890'),
      record('repeated-key', 3, 2, '123456789012345678901234567890'),
      record('other-key', 3, 3),
      record('repeated-key', 3, 4),
    ]);
    const text = Buffer.from(aggregated!.data).toString('latin1');
    expect(text.split('repeated-key')).toHaveLength(2);
    expect(text.split('123456789012345678901234567890')).toHaveLength(2);
    expect(deaggregate(aggregated!).map((r) => [r.partitionKey, r.explicitHashKey, r.data[0]])).toEqual([
      ['repeated-key', '123456789012345678901234567890', 1],
      ['repeated-key', '123456789012345678901234567890', 2],
      ['other-key', undefined, 3],
      ['repeated-key', undefined, 4],
    ]);
  });

  it('keeps every record within maxSize and fills it until the next user record would not fit', () => {
    fc.assert(
      fc.property(batchArb(3000, 30), fc.integer({ min: 64, max: 20_000 }), (records, maxSize) => {
        const output = addAll(new RecordAggregator({ maxSize }), records);
        expect(output.flatMap((r) => r.userRecords)).toEqual(records);
        output.forEach((finished, i) => {
          if (finished.aggregated) expect(finished.data.length).toBeLessThanOrEqual(maxSize);
          const next = output[i + 1]?.userRecords[0];
          // Maximal: with the next user record it would have been over the limit.
          if (next !== undefined)
            expect(aggregatedSize([...finished.userRecords, next])).toBeGreaterThan(maxSize);
        });
      }),
      { numRuns: 80 },
    );
  });

  it('puts at most maxCount user records in a record, and exactly that many while more follow', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 12 }), fc.integer({ min: 1, max: 60 }), (maxCount, total) => {
        const records = Array.from({ length: total }, (_, i) => record(`k${i % 7}`, i % 5));
        const counts = addAll(new RecordAggregator({ maxCount }), records).map((r) => r.userRecordCount);
        expect(counts.slice(0, -1).every((count) => count === maxCount)).toBe(true);
        expect(counts.at(-1)).toBe(total % maxCount === 0 ? maxCount : total % maxCount);
      }),
      { numRuns: 40 },
    );
  });

  it('counts the record limit on data plus the outer partition key', () => {
    // Two user records whose aggregated record is 50 bytes under 1 MiB: it fits on data alone, but
    // a 200-byte outer partition key takes it over, so they must go separately.
    const key = 'k'.repeat(200);
    const first = record(key, 500_000);
    let second = record(key, 500_000, 2);
    second = record(key, 500_000 + (MiB - 50 - aggregatedSize([first, second])), 2);
    expect(aggregatedSize([first, second])).toBe(MiB - 50);

    const separate = aggregate([first, second], { maxSize: MiB });
    expect(separate.map((r) => r.aggregated)).toEqual([false, false]);
    for (const r of separate) expect(r.data.length + utf8Length(r.partitionKey)).toBeLessThanOrEqual(MiB);

    // With a 1-byte key the same data fits in one record (199 table bytes and 199 key bytes fewer).
    const short = [first, second].map((r) => ({ ...r, partitionKey: 'k' }));
    const [together, ...rest] = aggregate(short, { maxSize: MiB });
    expect(rest).toHaveLength(0);
    expect(together!.data.length + 1).toBeLessThanOrEqual(MiB);
  });

  it('never emits a record above the record limit, whatever the keys', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            partitionKey: fc.string({ unit: 'binary', minLength: 1, maxLength: 256 }),
            size: fc.integer({ min: 0, max: 300_000 }),
          }),
          { minLength: 1, maxLength: 8 },
        ),
        (specs) => {
          const records = specs.map(({ partitionKey, size }) => record(partitionKey, size));
          const output = aggregate(records, { maxSize: MiB });
          for (const r of output) expect(r.data.length + utf8Length(r.partitionKey)).toBeLessThanOrEqual(MiB);
          expect(output.flatMap((r) => r.userRecords)).toEqual(records);
        },
      ),
      { numRuns: 15 },
    );
  });

  it('sends a user record larger than maxSize by itself, plain, as soon as it arrives', () => {
    const aggregator = new RecordAggregator({ maxSize: 1000 });
    aggregator.add(record('small', 10));
    aggregator.add(record('small', 10));
    const big = record('big', 5000);
    const finished = aggregator.add(big);
    expect(finished.map((r) => [r.aggregated, r.userRecordCount])).toEqual([
      [true, 2],
      [false, 1],
    ]);
    expect(finished[1]!.data).toBe(big.data);
    expect(aggregator.count).toBe(0);
  });

  it('rejects a user record over the record limit with its size and the limit, and stays usable', () => {
    const aggregator = new RecordAggregator();
    aggregator.add(record('a', 10));
    const tooBig = record('ab', MiB - 1);
    expect(() => aggregator.add(tooBig)).toThrow(ValidationError);
    expect(() => aggregator.add(tooBig)).toThrow(
      /1048577 bytes \(data 1048575 \+ partition key 2\).*1048576 bytes/,
    );
    expect(aggregator.count).toBe(1);

    const atLimit = record('a', MiB - 1);
    const finished = aggregator.add(atLimit);
    expect(finished.map((r) => r.userRecordCount)).toEqual([1, 1]);
    expect(finished[1]).toMatchObject({ aggregated: false, partitionKey: 'a' });
  });

  it('counts a multi-byte partition key in UTF-8 bytes against the limit', () => {
    const aggregator = new RecordAggregator();
    // '€' is 3 bytes in UTF-8: 1 MiB - 2 bytes of data plus it is 1 byte over.
    expect(() => aggregator.add(record('€', MiB - 2))).toThrow(/1048577 bytes/);
    expect(aggregator.add(record('€', MiB - 3))).toHaveLength(1);
  });

  it('accepts records up to a raised limit of 10 MiB and no further', () => {
    const aggregator = new RecordAggregator({ maxRecordSizeBytes: 10 * MiB, maxSize: 10 * MiB });
    expect(aggregator.add(record('a', 6 * MiB))).toEqual([]);
    expect(aggregator.add(record('b', 3 * MiB))).toEqual([]);
    expect(() => aggregator.add(record('c', 10 * MiB))).toThrow(/10485761 bytes.*10485760 bytes/);
    const [both] = [aggregator.flush()!];
    expect(both.userRecordCount).toBe(2);
    expect(both.data.length + 1).toBeLessThanOrEqual(10 * MiB);
    expect(() => new RecordAggregator({ maxRecordSizeBytes: 10 * MiB + 1 })).toThrow(ConfigurationError);
  });

  it.each([
    [
      'an empty partition key',
      { partitionKey: '', data: new Uint8Array(1) },
      /partitionKey must be 1 to 256 characters long, but has 0/,
    ],
    ['a 257-character partition key', { partitionKey: 'x'.repeat(257), data: new Uint8Array(1) }, /has 257/],
    ['257 astral characters', { partitionKey: '😀'.repeat(257), data: new Uint8Array(1) }, /has 257/],
    [
      'a non-string partition key',
      { partitionKey: 7, data: new Uint8Array(1) },
      /partitionKey must be a string.*number 7/,
    ],
    ['string data', { partitionKey: 'a', data: 'text' }, /data must be a Uint8Array, but got "text"/],
    ['missing data', { partitionKey: 'a' }, /data must be a Uint8Array, but got undefined/],
    [
      'a negative explicit hash key',
      { partitionKey: 'a', data: new Uint8Array(1), explicitHashKey: '-1' },
      /explicitHashKey must be a decimal/,
    ],
    [
      'a zero-padded explicit hash key',
      { partitionKey: 'a', data: new Uint8Array(1), explicitHashKey: '01' },
      /"01"/,
    ],
    [
      'an explicit hash key of 2^128',
      { partitionKey: 'a', data: new Uint8Array(1), explicitHashKey: (1n << 128n).toString() },
      /2\^128 - 1/,
    ],
    [
      'a hex explicit hash key',
      { partitionKey: 'a', data: new Uint8Array(1), explicitHashKey: 'ff' },
      /"ff"/,
    ],
  ])('rejects %s with a ValidationError naming the field', (_name, bad, message) => {
    const aggregator = new RecordAggregator();
    expect(() => aggregator.add(bad as unknown as UserRecord)).toThrow(ValidationError);
    expect(() => aggregator.add(bad as unknown as UserRecord)).toThrow(message);
    expect(aggregator.count).toBe(0);
  });

  it('accepts 256-character partition keys, astral characters counted as one', () => {
    const aggregator = new RecordAggregator();
    aggregator.add(record('😀'.repeat(256), 1));
    aggregator.add(record('x'.repeat(256), 1, 1, (2n ** 128n - 1n).toString()));
    expect(aggregator.count).toBe(2);
  });

  it.each([
    [{ maxCount: 0 }, 'maxCount', /maxCount must be an integer from 1 to 4294967295, but got number 0/],
    [{ maxCount: 1.5 }, 'maxCount', /maxCount/],
    [{ maxSize: 63 }, 'maxSize', /maxSize must be an integer from 64 to 1048576/],
    [
      { maxSize: MiB + 1 },
      'maxSize',
      /maxSize must be an integer from 64 to 1048576, but got number 1048577/,
    ],
    [{ maxRecordSizeBytes: MiB - 1 }, 'maxRecordSizeBytes', /from 1048576 to 10485760/],
    [{ explicitHashKey: 'abc' }, 'explicitHashKey', /explicitHashKey must be a decimal/],
  ])('rejects options %j with a ConfigurationError on %s', (options, key, message) => {
    let caught: unknown;
    try {
      new RecordAggregator(options);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ConfigurationError);
    expect((caught as ConfigurationError).key).toBe(key);
    expect((caught as Error).message).toMatch(message);
  });
});
