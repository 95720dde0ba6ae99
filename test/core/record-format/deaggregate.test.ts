import {
  aggregate,
  deaggregate,
  type DeaggregationWarning,
  type KinesisRecord,
} from '../../../functions/core/record-format';
import { delimited, utf8, varint, withMagicAndChecksum } from './support';

const ARRIVAL = new Date(Date.UTC(2026, 0, 1));

/** AggregatedRecord field keys, spelled out here independently of the codec. */
const PK_TABLE = 0x0a;
const EHK_TABLE = 0x12;
const RECORDS = 0x1a;

function userRecordBody(pkIndex: number, data: readonly number[], ehkIndex?: number): number[] {
  return [
    0x08,
    ...varint(pkIndex),
    ...(ehkIndex === undefined ? [] : [0x10, ...varint(ehkIndex)]),
    ...delimited(0x1a, data),
  ];
}

function read(data: Uint8Array, sequenceNumber = '49590338271490256608559692538361571095921575989136588898') {
  const warnings: DeaggregationWarning[] = [];
  const records = deaggregate(
    { partitionKey: 'outer', data, sequenceNumber, approximateArrivalTimestamp: ARRIVAL },
    { onWarning: (warning) => warnings.push(warning) },
  );
  return { records, warnings };
}

describe('deaggregate', () => {
  it('returns a plain record as itself, without a sub-sequence number', () => {
    const input: KinesisRecord = {
      partitionKey: 'pk',
      explicitHashKey: '12',
      data: Buffer.from('plain payload'),
      sequenceNumber: '7',
      approximateArrivalTimestamp: ARRIVAL,
    };
    const [only, ...rest] = deaggregate(input);
    expect(rest).toEqual([]);
    expect(only).toEqual({ ...input });
    expect(only!.data).toBe(input.data);
    expect('subSequenceNumber' in only!).toBe(false);
  });

  it('returns the sub-records of an aggregated record with their keys, positions and the outer metadata', () => {
    const [aggregated] = aggregate([
      { partitionKey: 'alpha', data: Buffer.from('one') },
      {
        partitionKey: 'beta',
        data: Buffer.from('two'),
        explicitHashKey: '340282366920938463463374607431768211455',
      },
      { partitionKey: 'alpha', data: new Uint8Array(0) },
    ]);
    const { records, warnings } = read(aggregated!.data, '42');
    expect(warnings).toEqual([]);
    expect(records.map((r) => ({ ...r, data: Buffer.from(r.data).toString() }))).toEqual([
      {
        partitionKey: 'alpha',
        explicitHashKey: undefined,
        data: 'one',
        sequenceNumber: '42',
        subSequenceNumber: 0,
        approximateArrivalTimestamp: ARRIVAL,
      },
      {
        partitionKey: 'beta',
        explicitHashKey: '340282366920938463463374607431768211455',
        data: 'two',
        sequenceNumber: '42',
        subSequenceNumber: 1,
        approximateArrivalTimestamp: ARRIVAL,
      },
      {
        partitionKey: 'alpha',
        explicitHashKey: undefined,
        data: '',
        sequenceNumber: '42',
        subSequenceNumber: 2,
        approximateArrivalTimestamp: ARRIVAL,
      },
    ]);
  });

  it('returns data as views into the input, without copying', () => {
    const [aggregated] = aggregate([
      { partitionKey: 'a', data: Buffer.from('xyz') },
      { partitionKey: 'b', data: Buffer.from('uvw') },
    ]);
    const input = Buffer.from(aggregated!.data);
    const [first] = read(input).records;
    expect(first!.data.buffer).toBe(input.buffer);
    input[first!.data.byteOffset - input.byteOffset] = 'X'.charCodeAt(0);
    expect(Buffer.from(first!.data).toString()).toBe('Xyz');
  });

  it('reads a plain Uint8Array that starts partway into its memory', () => {
    const [aggregated] = aggregate([
      { partitionKey: 'ключ', data: Buffer.from('один') },
      { partitionKey: '键', data: Buffer.from('二') },
    ]);
    const memory = new Uint8Array(aggregated!.data.length + 13);
    memory.set(aggregated!.data, 7);
    const view = new Uint8Array(memory.buffer, 7, aggregated!.data.length);
    const { records, warnings } = read(view);
    expect(warnings).toEqual([]);
    expect(records.map((r) => [r.partitionKey, Buffer.from(r.data).toString()])).toEqual([
      ['ключ', 'один'],
      ['键', '二'],
    ]);
  });

  it('decodes keys and data whose lengths need multi-byte varints', () => {
    const key = 'é'.repeat(200);
    const records = Array.from({ length: 300 }, (_, i) => ({
      partitionKey: `${key}${i}`,
      data: Buffer.alloc(200 + i, i),
    }));
    const [aggregated, ...rest] = aggregate(records, { maxSize: 1024 * 1024 });
    expect(rest).toEqual([]);
    const result = read(aggregated!.data).records;
    expect(result.map((r) => r.partitionKey)).toEqual(records.map((r) => r.partitionKey));
    expect(result.map((r) => r.data.length)).toEqual(records.map((r) => r.data.length));
  });

  it('returns no user records for a well-formed aggregated record that holds none', () => {
    expect(read(withMagicAndChecksum(delimited(PK_TABLE, utf8('unused'))))).toEqual({
      records: [],
      warnings: [],
    });
  });

  it('accepts fields in any order and skips fields it does not know', () => {
    const body = [
      ...delimited(RECORDS, [
        ...userRecordBody(1, utf8('late tables'), 0),
        ...delimited(0x22, delimited(0x0a, utf8('tag'))),
      ]),
      0x48,
      ...varint(300), // field 9, varint: unknown
      ...delimited(PK_TABLE, utf8('first')),
      ...delimited(EHK_TABLE, utf8('5')),
      ...delimited(PK_TABLE, utf8('second')),
      0x55,
      1,
      2,
      3,
      4, // field 10, fixed32: unknown
    ];
    const { records, warnings } = read(withMagicAndChecksum(body));
    expect(warnings).toEqual([]);
    expect(records.map((r) => [r.partitionKey, r.explicitHashKey, Buffer.from(r.data).toString()])).toEqual([
      ['second', '5', 'late tables'],
    ]);
  });

  describe('a record with the magic bytes that is not a valid aggregated record', () => {
    it('fails its checksum: returned whole as one plain record, with a warning', () => {
      const [aggregated] = aggregate([
        { partitionKey: 'a', data: Buffer.from('1') },
        { partitionKey: 'b', data: Buffer.from('2') },
      ]);
      const corrupt = Buffer.from(aggregated!.data);
      corrupt[corrupt.length - 20]! ^= 0xff;
      const { records, warnings } = read(corrupt, '99');
      expect(records).toHaveLength(1);
      expect(records[0]!.data).toBe(corrupt);
      expect(records[0]).toMatchObject({ partitionKey: 'outer', sequenceNumber: '99' });
      expect(records[0]!.subSequenceNumber).toBeUndefined();
      expect(warnings).toEqual([
        {
          reason: 'checksum-mismatch',
          partitionKey: 'outer',
          sequenceNumber: '99',
          message: expect.stringMatching(
            /^Kinesis record 99 with partition key "outer" starts with the KPL magic bytes but fails its MD5 checksum/,
          ),
        },
      ]);
    });

    it('is shorter than the magic bytes and checksum', () => {
      const { records, warnings } = read(Buffer.from([0xf3, 0x89, 0x9a, 0xc2, 1, 2, 3]));
      expect(records.map((r) => r.data.length)).toEqual([7]);
      expect(warnings.map((w) => w.reason)).toEqual(['too-short']);
    });

    it('does not throw or report without a warning callback', () => {
      const data = Buffer.from([0xf3, 0x89, 0x9a, 0xc2, ...new Array<number>(16).fill(0)]);
      expect(deaggregate({ partitionKey: 'p', data })).toEqual([
        {
          partitionKey: 'p',
          data,
          explicitHashKey: undefined,
          sequenceNumber: undefined,
          approximateArrivalTimestamp: undefined,
        },
      ]);
    });

    it.each([
      ['a truncated varint', [PK_TABLE, 0x80]],
      ['a length past the end', [PK_TABLE, 10, 0x61]],
      [
        'a record naming a missing partition key',
        [...delimited(PK_TABLE, utf8('a')), ...delimited(RECORDS, userRecordBody(1, [1]))],
      ],
      [
        'a record naming a missing explicit hash key',
        [...delimited(PK_TABLE, utf8('a')), ...delimited(RECORDS, userRecordBody(0, [1], 0))],
      ],
      ['a record without data', [...delimited(PK_TABLE, utf8('a')), ...delimited(RECORDS, [0x08, 0])]],
      [
        'a record without a partition key index',
        [...delimited(PK_TABLE, utf8('a')), ...delimited(RECORDS, delimited(0x1a, [1]))],
      ],
      ['a known field with the wrong wire type', [0x08, 1]],
      ['a group wire type', [0x0b, 0x0c]],
      ['field number zero', [0x00, 0x01]],
      [
        'a record field running past the record',
        [...delimited(PK_TABLE, utf8('a')), RECORDS, 4, 0x08, 0, 0x1a, 5, 1, 2, 3, 4, 5],
      ],
      ['a varint over 2^53', [0x48, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]],
    ])('has %s: returned as one plain record with a malformed-protobuf warning', (_name, body) => {
      const data = withMagicAndChecksum(body);
      const { records, warnings } = read(data);
      expect(records).toHaveLength(1);
      expect(records[0]!.data).toBe(data);
      expect(warnings.map((w) => w.reason)).toEqual(['malformed-protobuf']);
    });
  });
});
