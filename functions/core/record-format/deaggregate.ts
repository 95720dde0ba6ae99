import { isAscii } from 'node:buffer';
import * as format from './aggregated-record';
import type { DeaggregatedRecord, KinesisRecord } from './aggregated-record';
import { ProtobufReader, WIRE_FIXED32, WIRE_FIXED64, WIRE_LENGTH_DELIMITED, WIRE_VARINT } from './protobuf';

// Module-local copies of imported bindings used per user record: loaders that compile imports to
// getter calls (tsx, swc under Jest) would otherwise add a call per access to the hot loop.
const {
  FIXED_OVERHEAD_BYTES,
  KEY_DATA,
  KEY_EXPLICIT_HASH_KEY_INDEX,
  KEY_EXPLICIT_HASH_KEY_TABLE,
  KEY_PARTITION_KEY_INDEX,
  KEY_PARTITION_KEY_TABLE,
  KEY_RECORDS,
  MAGIC_BYTES,
  MD5_BYTES,
  hasKplMagic,
  md5,
} = format;

/** Why a record with the KPL magic bytes was passed through as a plain record. */
export type DeaggregationWarningReason = 'too-short' | 'checksum-mismatch' | 'malformed-protobuf';

/** Reported once per Kinesis record that looked aggregated but was not. */
export interface DeaggregationWarning {
  readonly reason: DeaggregationWarningReason;
  readonly message: string;
  readonly partitionKey: string;
  readonly sequenceNumber?: string;
}

/** Options of `deaggregate`. */
export interface DeaggregateOptions {
  /**
   * Called for a record that starts with the magic bytes but fails its checksum or parse; the record
   * is still returned, whole, as one plain record. Wire it to a logger, e.g. `(w) => logger.warn(w.message, { ...w })`.
   * @default - the warning is dropped
   */
  readonly onWarning?: (warning: DeaggregationWarning) => void;
}

/** A user record under construction; fields are filled before it is returned. */
interface MutableRecord {
  partitionKey: string;
  explicitHashKey: string | undefined;
  data: Uint8Array;
  sequenceNumber: string | undefined;
  subSequenceNumber: number;
  approximateArrivalTimestamp: Date | undefined;
}

/**
 * Returns the user records carried by a Kinesis record: the sub-records of a KPL aggregated record,
 * each with its sub-sequence number, or the record itself (no sub-sequence number) when it is plain.
 * Never throws and never drops: a record that starts with the magic bytes but fails its MD5 or
 * protobuf parse is returned as one plain record and reported through `onWarning`.
 * Each returned `data` is a Uint8Array view into `record.data` (no copy; it aliases the input).
 */
export function deaggregate(record: KinesisRecord, options?: DeaggregateOptions): DeaggregatedRecord[] {
  const data = record.data;
  if (!hasKplMagic(data)) return [plainRecord(record)];
  if (data.length < FIXED_OVERHEAD_BYTES) {
    return passThrough(
      record,
      'too-short',
      `is ${data.length} bytes, shorter than the 20-byte overhead`,
      options,
    );
  }
  const bodyEnd = data.length - MD5_BYTES;
  const digest = md5(data.subarray(MAGIC_BYTES, bodyEnd));
  for (let i = 0; i < MD5_BYTES; i++) {
    if (digest[i] !== data[bodyEnd + i]) {
      return passThrough(record, 'checksum-mismatch', 'fails its MD5 checksum', options);
    }
  }
  const records = decodeBody(data, bodyEnd, record.sequenceNumber, record.approximateArrivalTimestamp);
  if (records === undefined) {
    return passThrough(record, 'malformed-protobuf', 'is not a valid AggregatedRecord protobuf', options);
  }
  return records;
}

function decodeBody(
  bytes: Uint8Array,
  bodyEnd: number,
  sequenceNumber: string | undefined,
  approximateArrivalTimestamp: Date | undefined,
): MutableRecord[] | undefined {
  const reader = new ProtobufReader(bytes, MAGIC_BYTES, bodyEnd);
  const memory = bytes.buffer;
  const memoryOffset = bytes.byteOffset;
  // Table entries as [start, end) byte ranges, decoded to strings in one go after the parse.
  const keyRanges: number[] = [];
  const hashKeyRanges: number[] = [];
  const records: MutableRecord[] = [];
  // Table indexes per record, resolved after the parse: protobuf lets fields come in any order.
  const recordKeyIndexes: number[] = [];
  const recordHashKeyIndexes: number[] = [];

  while (reader.pos < bodyEnd) {
    const key = reader.varint();
    if (key === KEY_RECORDS) {
      const end = reader.delimitedEnd();
      if (reader.failed) return undefined;
      let keyIndex = -1;
      let hashKeyIndex = -1;
      let dataStart = -1;
      let dataEnd = -1;
      while (reader.pos < end) {
        const field = reader.varint();
        if (field === KEY_DATA) {
          dataEnd = reader.delimitedEnd();
          dataStart = reader.pos;
          reader.pos = dataEnd;
        } else if (field === KEY_PARTITION_KEY_INDEX) {
          keyIndex = reader.varint();
        } else if (field === KEY_EXPLICIT_HASH_KEY_INDEX) {
          hashKeyIndex = reader.varint();
        } else if (!skipUnknown(reader, field, 4)) {
          return undefined;
        }
        if (reader.failed) return undefined;
      }
      // A field running past the record's end, or a missing required field, is a corrupt record.
      if (reader.pos !== end || keyIndex < 0 || dataStart < 0) return undefined;
      records.push({
        partitionKey: '',
        explicitHashKey: undefined,
        // A plain Uint8Array view: about half the cost of a Buffer subarray.
        data: new Uint8Array(memory, memoryOffset + dataStart, dataEnd - dataStart),
        sequenceNumber,
        subSequenceNumber: records.length,
        approximateArrivalTimestamp,
      });
      recordKeyIndexes.push(keyIndex);
      recordHashKeyIndexes.push(hashKeyIndex);
    } else if (key === KEY_PARTITION_KEY_TABLE || key === KEY_EXPLICIT_HASH_KEY_TABLE) {
      const end = reader.delimitedEnd();
      if (reader.failed) return undefined;
      const ranges = key === KEY_PARTITION_KEY_TABLE ? keyRanges : hashKeyRanges;
      ranges.push(reader.pos, end);
      reader.pos = end;
    } else if (!skipUnknown(reader, key, 3) || reader.failed) {
      return undefined;
    }
  }
  if (reader.failed) return undefined;

  const keys = decodeStrings(bytes, keyRanges, hashKeyRanges);
  const hashKeys = hashKeyRanges.length === 0 ? [] : decodeStrings(bytes, hashKeyRanges, keyRanges);
  for (let i = 0; i < records.length; i++) {
    const partitionKey = keys[recordKeyIndexes[i]!];
    if (partitionKey === undefined) return undefined;
    const record = records[i]!;
    record.partitionKey = partitionKey;
    const hashKeyIndex = recordHashKeyIndexes[i]!;
    if (hashKeyIndex >= 0) {
      const explicitHashKey = hashKeys[hashKeyIndex];
      if (explicitHashKey === undefined) return undefined;
      record.explicitHashKey = explicitHashKey;
    }
  }
  return records;
}

/**
 * Decodes table entries given as [start, end) pairs. When both tables sit together in ASCII (the
 * usual case: writers put them first), the whole span becomes one string and each entry a substring
 * of it, which costs a fraction of one native decode per entry. Otherwise entries decode one by one.
 */
function decodeStrings(
  bytes: Uint8Array,
  ranges: readonly number[],
  otherRanges: readonly number[],
): string[] {
  const count = ranges.length >> 1;
  const strings = new Array<string>(count);
  if (count === 0) return strings;
  let spanStart = ranges[0]!;
  let spanEnd = ranges[ranges.length - 1]!;
  if (otherRanges.length > 0) {
    spanStart = Math.min(spanStart, otherRanges[0]!);
    spanEnd = Math.max(spanEnd, otherRanges[otherRanges.length - 1]!);
  }
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
  if (count > 1 && isAscii(bytes.subarray(spanStart, spanEnd))) {
    const span = buffer.toString('latin1', spanStart, spanEnd);
    for (let i = 0; i < count; i++)
      strings[i] = span.substring(ranges[2 * i]! - spanStart, ranges[2 * i + 1]! - spanStart);
  } else {
    for (let i = 0; i < count; i++) strings[i] = buffer.toString('utf8', ranges[2 * i]!, ranges[2 * i + 1]!);
  }
  return strings;
}

/**
 * Skips a field this decoder does not read. A known field number with the wrong wire type is
 * corrupt; unknown field numbers (Record.tags among them) are skipped, as protobuf requires.
 */
function skipUnknown(reader: ProtobufReader, key: number, knownFields: number): boolean {
  const fieldNumber = Math.floor(key / 8);
  const wireType = key & 7;
  if (fieldNumber === 0) return false;
  if (fieldNumber <= knownFields) {
    // Record.tags (field 4 of Record) is the only known field we skip on purpose.
    if (!(knownFields === 4 && fieldNumber === 4 && wireType === WIRE_LENGTH_DELIMITED)) return false;
  }
  if (
    wireType !== WIRE_VARINT &&
    wireType !== WIRE_LENGTH_DELIMITED &&
    wireType !== WIRE_FIXED64 &&
    wireType !== WIRE_FIXED32
  ) {
    return false;
  }
  reader.skip(wireType);
  return !reader.failed;
}

function plainRecord(record: KinesisRecord): DeaggregatedRecord {
  return {
    partitionKey: record.partitionKey,
    explicitHashKey: record.explicitHashKey,
    data: record.data,
    sequenceNumber: record.sequenceNumber,
    approximateArrivalTimestamp: record.approximateArrivalTimestamp,
  };
}

function passThrough(
  record: KinesisRecord,
  reason: DeaggregationWarningReason,
  problem: string,
  options: DeaggregateOptions | undefined,
): DeaggregatedRecord[] {
  options?.onWarning?.({
    reason,
    message:
      `Kinesis record ${record.sequenceNumber ?? '(no sequence number)'} with partition key ` +
      `${JSON.stringify(record.partitionKey)} starts with the KPL magic bytes but ${problem}; ` +
      'it is delivered as one plain record.',
    partitionKey: record.partitionKey,
    sequenceNumber: record.sequenceNumber,
  });
  return [plainRecord(record)];
}
