import {
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
  type DeaggregatedRecord,
  type KinesisRecord,
} from './aggregated-record';
import { ProtobufReader, WIRE_LENGTH_DELIMITED, WIRE_VARINT } from './protobuf';

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
 * Returned `data` are views into `record.data`, not copies.
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
  const records = decodeBody(
    asBuffer(data),
    bodyEnd,
    record.sequenceNumber,
    record.approximateArrivalTimestamp,
  );
  if (records === undefined) {
    return passThrough(record, 'malformed-protobuf', 'is not a valid AggregatedRecord protobuf', options);
  }
  return records;
}

function decodeBody(
  bytes: Buffer,
  bodyEnd: number,
  sequenceNumber: string | undefined,
  approximateArrivalTimestamp: Date | undefined,
): MutableRecord[] | undefined {
  const reader = new ProtobufReader(bytes, MAGIC_BYTES, bodyEnd);
  const keyTable: string[] = [];
  const hashKeyTable: string[] = [];
  const records: MutableRecord[] = [];
  // Protobuf lets fields come in any order; a record that names a table entry not yet read is
  // resolved at the end (KPL and aws-kinesis-agg always write the tables first).
  let unresolved: number[] | undefined;
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
      const subSequenceNumber = records.length;
      let partitionKey: string | undefined = keyTable[keyIndex];
      let explicitHashKey: string | undefined;
      if (hashKeyIndex >= 0) explicitHashKey = hashKeyTable[hashKeyIndex];
      if (partitionKey === undefined || (hashKeyIndex >= 0 && explicitHashKey === undefined)) {
        (unresolved ??= []).push(subSequenceNumber);
        partitionKey = '';
      }
      records.push({
        partitionKey,
        explicitHashKey,
        data: bytes.subarray(dataStart, dataEnd),
        sequenceNumber,
        subSequenceNumber,
        approximateArrivalTimestamp,
      });
      recordKeyIndexes.push(keyIndex);
      recordHashKeyIndexes.push(hashKeyIndex);
    } else if (key === KEY_PARTITION_KEY_TABLE || key === KEY_EXPLICIT_HASH_KEY_TABLE) {
      const end = reader.delimitedEnd();
      if (reader.failed) return undefined;
      const text = bytes.toString('utf8', reader.pos, end);
      if (key === KEY_PARTITION_KEY_TABLE) keyTable.push(text);
      else hashKeyTable.push(text);
      reader.pos = end;
    } else if (!skipUnknown(reader, key, 3) || reader.failed) {
      return undefined;
    }
  }
  if (reader.failed) return undefined;

  if (unresolved !== undefined) {
    for (const index of unresolved) {
      const record = records[index]!;
      const partitionKey = keyTable[recordKeyIndexes[index]!];
      const hashKeyIndex = recordHashKeyIndexes[index]!;
      const explicitHashKey = hashKeyIndex >= 0 ? hashKeyTable[hashKeyIndex] : undefined;
      if (partitionKey === undefined || (hashKeyIndex >= 0 && explicitHashKey === undefined))
        return undefined;
      record.partitionKey = partitionKey;
      record.explicitHashKey = explicitHashKey;
    }
  }
  return records;
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
  if (wireType !== WIRE_VARINT && wireType !== WIRE_LENGTH_DELIMITED && wireType !== 1 && wireType !== 5) {
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

/** A Buffer over the same memory, for its fast UTF-8 decoding and subarrays that stay Buffers. */
function asBuffer(data: Uint8Array): Buffer {
  return Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.length);
}
