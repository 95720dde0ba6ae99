/**
 * Interoperability with aws-kinesis-agg 4.2.8, used as an oracle only: what we write it reads, and
 * what it writes we read, over generated batches.
 */
import fc from 'fast-check';
import { aggregate, deaggregate, type UserRecord } from '../../../functions/core/record-format';
import {
  batchArb,
  oracleKeySafe,
  oracleAggregate,
  oracleDeaggregate,
  userRecordArb,
  utf8Length,
} from './support';

const MiB = 1024 * 1024;

function expectSameUserRecords(actual: readonly UserRecord[], expected: readonly UserRecord[]): void {
  expect(actual.map((r) => r.partitionKey)).toEqual(expected.map((r) => r.partitionKey));
  expect(actual.map((r) => r.explicitHashKey)).toEqual(expected.map((r) => r.explicitHashKey));
  expect(actual.map((r) => Buffer.from(r.data).toString('hex'))).toEqual(
    expected.map((r) => Buffer.from(r.data).toString('hex')),
  );
}

describe('ours to aws-kinesis-agg', () => {
  it('reads back every user record we aggregate, in order, with checksums verified', () => {
    fc.assert(
      fc.property(batchArb(300, 40), fc.integer({ min: 64, max: 8192 }), (records, maxSize) => {
        const aggregated = aggregate(records, { maxSize });
        const perRecord = aggregated.map((record, i) =>
          oracleDeaggregate({
            partitionKey: record.partitionKey,
            data: record.data,
            sequenceNumber: String(i),
          }),
        );
        const read = perRecord.flat();
        expect(read.map((user) => user.partitionKey)).toEqual(records.map((r) => r.partitionKey));
        expect(read.map((user) => Buffer.from(user.data, 'base64').toString('hex'))).toEqual(
          records.map((r) => Buffer.from(r.data).toString('hex')),
        );
        aggregated.forEach((record, i) => {
          const users = perRecord[i]!;
          expect(users).toHaveLength(record.userRecordCount);
          // Sub-sequence numbers count from 0 within an aggregated record; a plain record has none.
          expect(users.map((user) => user.subSequenceNumber)).toEqual(
            record.aggregated ? users.map((_, j) => j) : [undefined],
          );
          // aws-kinesis-agg labels a sub-record without an explicit hash key with the table's first
          // entry (a known defect), so only sub-records that carry one can be compared.
          users.forEach((user, j) => {
            const expected = record.userRecords[j]!.explicitHashKey;
            if (record.aggregated && expected !== undefined) expect(user.explicitPartitionKey).toBe(expected);
          });
        });
      }),
      { numRuns: 60 },
    );
  });

  it('reads records at the 1 MiB limit and near it', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            partitionKey: fc.string({ unit: 'binary', minLength: 1, maxLength: 256 }),
            slack: fc.integer({ min: 0, max: 64 }),
          }),
          { minLength: 1, maxLength: 3 },
        ),
        (specs) => {
          // Whole-limit records go out plain; half-limit ones pair up into aggregated records at the limit.
          const records = specs.flatMap(({ partitionKey, slack }) => {
            const half = MiB / 2 - 2 * utf8Length(partitionKey) - 40 * slack;
            return [
              { partitionKey, data: Buffer.alloc(MiB - utf8Length(partitionKey) - slack, 7) },
              { partitionKey, data: Buffer.alloc(half, 8) },
              { partitionKey, data: Buffer.alloc(half - 300, 9) },
            ];
          });
          const aggregated = aggregate(records, { maxSize: MiB });
          for (const r of aggregated)
            expect(r.data.length + utf8Length(r.partitionKey)).toBeLessThanOrEqual(MiB);
          expect(aggregated.some((r) => r.aggregated)).toBe(true);
          const read = aggregated.flatMap((record) => oracleDeaggregate(record));
          expect(read.map((r) => r.partitionKey)).toEqual(records.map((r) => r.partitionKey));
          expect(read.map((r) => Buffer.from(r.data, 'base64').length)).toEqual(
            records.map((r) => r.data.length),
          );
        },
      ),
      { numRuns: 6 },
    );
  });
});

describe('aws-kinesis-agg to ours', () => {
  it('reads every user record it aggregates, in order, explicit hash keys included', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(userRecordArb(2000, true), { minLength: 1, maxLength: 60 }),
        async (records) => {
          const encoded = await oracleAggregate(records);
          const read = encoded.flatMap((record, i) =>
            deaggregate({ partitionKey: record.partitionKey, data: record.data, sequenceNumber: String(i) }),
          );
          expectSameUserRecords(read, records);
          expect(read.map((r) => r.subSequenceNumber)).toEqual(records.map((_, i) => i));
          expect(read.every((r) => r.sequenceNumber === '0')).toBe(true);
        },
      ),
      { numRuns: 60 },
    );
  });

  it('reads its 1 MiB records of large user records', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.integer({ min: 100_000, max: 500_000 }), { minLength: 2, maxLength: 6 }),
        fc.string({ unit: 'binary', minLength: 1, maxLength: 256 }).filter(oracleKeySafe),
        async (sizes, partitionKey) => {
          const records = sizes.map((size, i) => ({ partitionKey, data: Buffer.alloc(size, i) }));
          const encoded = await oracleAggregate(records);
          const read = encoded.flatMap((record) => deaggregate(record));
          expectSameUserRecords(read, records);
        },
      ),
      { numRuns: 5 },
    );
  });
});

describe('byte compatibility', () => {
  it('writes the same bytes as aws-kinesis-agg for a batch that fits one record', async () => {
    await fc.assert(
      fc.asyncProperty(batchArb(200, 30, true), async (records) => {
        const ours = aggregate(records, { maxSize: MiB });
        const theirs = await oracleAggregate(records);
        fc.pre(ours.length === 1 && ours[0]!.aggregated);
        expect(theirs).toHaveLength(1);
        expect(Buffer.from(ours[0]!.data).equals(theirs[0]!.data)).toBe(true);
      }),
      { numRuns: 40 },
    );
  });
});
