import { ConfigurationError, ValidationError } from '../errors';
import * as format from './aggregated-record';
import type { AggregatedRecord, UserRecord } from './aggregated-record';
import * as protobuf from './protobuf';
import * as validation from './validation';

// Module-local copies of imported bindings used per user record: loaders that compile imports to
// getter calls (tsx, swc under Jest) would otherwise add a call per access to the hot loops.
const {
  DEFAULT_AGGREGATION_MAX_COUNT,
  DEFAULT_AGGREGATION_MAX_SIZE_BYTES,
  DEFAULT_MAX_RECORD_SIZE_BYTES,
  FIXED_OVERHEAD_BYTES,
  KEY_DATA,
  KEY_EXPLICIT_HASH_KEY_INDEX,
  KEY_EXPLICIT_HASH_KEY_TABLE,
  KEY_PARTITION_KEY_INDEX,
  KEY_PARTITION_KEY_TABLE,
  KEY_RECORDS,
  MAGIC_BYTES,
  MAX_PARTITION_KEY_CHARS,
  MAX_RECORD_SIZE_LIMIT_BYTES,
  MIN_AGGREGATION_MAX_SIZE_BYTES,
  md5,
  utf8Length,
} = format;
const { varintSize, writeVarint } = protobuf;
const describe = validation.describe;
// Assertion functions need an explicit type to keep narrowing.
const validateExplicitHashKey: typeof validation.validateExplicitHashKey = validation.validateExplicitHashKey;
const validatePartitionKey: typeof validation.validatePartitionKey = validation.validatePartitionKey;

/** Limits of one aggregated record; the names map to the KPL settings noted on each. */
export interface AggregationOptions {
  /**
   * Most user records in one aggregated record (KPL AggregationMaxCount).
   * @default 4294967295
   */
  readonly maxCount?: number;
  /**
   * Most bytes of an aggregated record's data (KPL AggregationMaxSize): magic, protobuf with its key
   * tables, and MD5, counted as KPL counts it. A user record that alone exceeds it is sent plain, as
   * KPL does. Between 64 and `maxRecordSizeBytes`; the name is KPL's, the unit is bytes.
   * @default 51200
   */
  readonly maxSize?: number;
  /**
   * The stream's record limit, counted as Kinesis counts it: data plus the UTF-8 partition key.
   * Between 1 MiB and 10 MiB (raise it only for a stream raised with UpdateMaxRecordSize).
   * @default 1048576 (1 MiB)
   */
  readonly maxRecordSizeBytes?: number;
}

/** Options of a `RecordAggregator`. */
export interface RecordAggregatorOptions extends AggregationOptions {
  /**
   * Explicit hash key (decimal) of every aggregated record this aggregator emits, so that it lands on
   * the shard its user records were predicted for (see `ShardMap.explicitHashKeyFor`).
   * @default - the first user record's explicit hash key, or none (Kinesis then hashes the first
   * user record's partition key, which is the aggregated record's partition key)
   */
  readonly explicitHashKey?: string;
}

// The smallest entry a further record could add: record key, length, index key, index, data key, length.
const MIN_RECORD_ENTRY_BYTES = 6;
const NOTHING_FINISHED: readonly never[] = Object.freeze([]);

/**
 * Fills aggregated records one user record at a time, for a producer that aggregates per shard.
 * `add` returns the records it finished (usually none); `flush` finishes the one being filled.
 * Records come out in the order they were added. Encoding happens once, when a record is finished,
 * so each user record's data is copied exactly once.
 */
export class RecordAggregator<T extends UserRecord = UserRecord> {
  private readonly maxCount: number;
  private readonly maxSize: number;
  private readonly maxRecordSizeBytes: number;
  private readonly explicitHashKey: string | undefined;

  private records: T[] = [];
  // Per pending record: its partition key's and explicit hash key's (-1: none) table indexes.
  private readonly recordKeyIndexes: number[] = [];
  private readonly recordHashKeyIndexes: number[] = [];
  private readonly keyIndex = new Map<string, number>();
  private readonly keyTable: string[] = [];
  private readonly keyBytes: number[] = [];
  private readonly hashKeyIndex = new Map<string, number>();
  private readonly hashKeyTable: string[] = [];
  /** Bytes of the protobuf body as it stands. */
  private bodyBytes = 0;
  /** Most protobuf body bytes this record may reach, fixed by the first record's partition key. */
  private bodyCapacity = 0;

  constructor(options: RecordAggregatorOptions = {}) {
    const limits = resolveAggregationOptions(options);
    this.maxCount = limits.maxCount;
    this.maxSize = limits.maxSize;
    this.maxRecordSizeBytes = limits.maxRecordSizeBytes;
    if (options.explicitHashKey !== undefined) {
      try {
        validateExplicitHashKey(options.explicitHashKey);
      } catch (error) {
        throw new ConfigurationError((error as Error).message, 'explicitHashKey');
      }
    }
    this.explicitHashKey = options.explicitHashKey;
  }

  /** User records waiting in the record being filled. */
  get count(): number {
    return this.records.length;
  }

  /** Bytes of data the record being filled would have if flushed now (0 when empty). */
  get sizeBytes(): number {
    const count = this.records.length;
    if (count === 0) return 0;
    if (count === 1) return this.records[0]!.data.length;
    return FIXED_OVERHEAD_BYTES + this.bodyBytes;
  }

  /**
   * Adds a user record and returns the records this finished: none while it fits, the previous
   * record when it does not, and the record itself too when nothing more could join it.
   * Throws a ValidationError, leaving the aggregator unchanged, for a malformed record or one larger
   * than the record limit on its own.
   */
  add(record: T): readonly AggregatedRecord<T>[] {
    const partitionKey = record.partitionKey;
    const explicitHashKey = record.explicitHashKey;
    const data = record.data;
    // The full check (code points, messages) only runs when the cheap one fails.
    if (
      typeof partitionKey !== 'string' ||
      partitionKey.length === 0 ||
      partitionKey.length > MAX_PARTITION_KEY_CHARS
    ) {
      validatePartitionKey(partitionKey);
    }
    if (!(data instanceof Uint8Array)) {
      throw new ValidationError(`data must be a Uint8Array, but got ${describe(data)}.`, 'data');
    }
    if (explicitHashKey !== undefined) validateExplicitHashKey(explicitHashKey);

    let keyIndex = this.keyIndex.get(partitionKey);
    let keyBytes = keyIndex === undefined ? utf8Length(partitionKey) : this.keyBytes[keyIndex]!;
    const dataBytes = data.length;
    if (dataBytes + keyBytes > this.maxRecordSizeBytes) {
      throw new ValidationError(
        `The user record is ${dataBytes + keyBytes} bytes (data ${dataBytes} + partition key ${keyBytes}), ` +
          `above the record limit of ${this.maxRecordSizeBytes} bytes; it cannot be sent to Kinesis ` +
          '(route it to a dead-letter queue, or raise maxRecordSizeBytes for a stream raised with UpdateMaxRecordSize).',
        'data',
      );
    }
    let hashKeyIndex = explicitHashKey === undefined ? -1 : this.hashKeyIndex.get(explicitHashKey);

    let finished: AggregatedRecord<T>[] | undefined;
    let growth = this.growth(keyIndex, keyBytes, hashKeyIndex, explicitHashKey, dataBytes);
    if (this.records.length > 0 && this.bodyBytes + growth > this.bodyCapacity) {
      finished = [this.finish()];
      // Start afresh: the record's keys become the first table entries.
      keyIndex = undefined;
      keyBytes = utf8Length(partitionKey);
      if (hashKeyIndex !== -1) hashKeyIndex = undefined;
      growth = this.growth(keyIndex, keyBytes, hashKeyIndex, explicitHashKey, dataBytes);
    }

    if (keyIndex === undefined) {
      keyIndex = this.keyTable.length;
      this.keyIndex.set(partitionKey, keyIndex);
      this.keyTable.push(partitionKey);
      this.keyBytes.push(keyBytes);
    }
    if (hashKeyIndex === undefined) {
      hashKeyIndex = this.hashKeyTable.length;
      this.hashKeyIndex.set(explicitHashKey!, hashKeyIndex);
      this.hashKeyTable.push(explicitHashKey!);
    }
    const records = this.records;
    if (records.length === 0) {
      this.bodyCapacity = Math.min(this.maxSize, this.maxRecordSizeBytes - keyBytes) - FIXED_OVERHEAD_BYTES;
    }
    records.push(record);
    this.recordKeyIndexes.push(keyIndex);
    this.recordHashKeyIndexes.push(hashKeyIndex);
    this.bodyBytes += growth;

    // Finish early when nothing more could join, so a full record is not held back until the next add.
    if (records.length >= this.maxCount || this.bodyBytes + MIN_RECORD_ENTRY_BYTES > this.bodyCapacity) {
      if (finished === undefined) finished = [this.finish()];
      else finished.push(this.finish());
    }
    return finished ?? NOTHING_FINISHED;
  }

  /** Finishes the record being filled, if any. */
  flush(): AggregatedRecord<T> | undefined {
    return this.records.length === 0 ? undefined : this.finish();
  }

  /**
   * Protobuf bytes a record adds: its Record entry, plus table entries for keys not yet in the
   * tables (an `undefined` index).
   */
  private growth(
    keyIndex: number | undefined,
    keyBytes: number,
    hashKeyIndex: number | undefined,
    explicitHashKey: string | undefined,
    dataBytes: number,
  ): number {
    let growth = 0;
    if (keyIndex === undefined) {
      keyIndex = this.keyTable.length;
      growth += 1 + varintSize(keyBytes) + keyBytes;
    }
    let recordBytes = 2 + varintSize(keyIndex) + varintSize(dataBytes) + dataBytes;
    if (hashKeyIndex !== -1) {
      if (hashKeyIndex === undefined) {
        hashKeyIndex = this.hashKeyTable.length;
        const hashKeyBytes = explicitHashKey!.length;
        growth += 1 + varintSize(hashKeyBytes) + hashKeyBytes;
      }
      recordBytes += 1 + varintSize(hashKeyIndex);
    }
    return growth + 1 + varintSize(recordBytes) + recordBytes;
  }

  private finish(): AggregatedRecord<T> {
    const records = this.records;
    let result: AggregatedRecord<T>;
    if (records.length === 1) {
      const only = records[0]!;
      result = {
        partitionKey: only.partitionKey,
        explicitHashKey: only.explicitHashKey,
        data: only.data,
        aggregated: false,
        userRecordCount: 1,
        userRecords: records,
      };
    } else {
      const first = records[0]!;
      result = {
        partitionKey: first.partitionKey,
        explicitHashKey: this.explicitHashKey ?? first.explicitHashKey,
        data: this.encode(),
        aggregated: true,
        userRecordCount: records.length,
        userRecords: records,
      };
    }
    this.records = [];
    this.recordKeyIndexes.length = 0;
    this.recordHashKeyIndexes.length = 0;
    this.keyIndex.clear();
    this.keyTable.length = 0;
    this.keyBytes.length = 0;
    if (this.hashKeyTable.length > 0) {
      this.hashKeyIndex.clear();
      this.hashKeyTable.length = 0;
    }
    this.bodyBytes = 0;
    return result;
  }

  private encode(): Buffer {
    const out = Buffer.allocUnsafe(FIXED_OVERHEAD_BYTES + this.bodyBytes);
    out[0] = 0xf3;
    out[1] = 0x89;
    out[2] = 0x9a;
    out[3] = 0xc2;
    let pos = MAGIC_BYTES;

    const keyTable = this.keyTable;
    const keyBytes = this.keyBytes;
    for (let i = 0; i < keyTable.length; i++) {
      pos = writeString(out, pos, KEY_PARTITION_KEY_TABLE, keyTable[i]!, keyBytes[i]!);
    }
    const hashKeyTable = this.hashKeyTable;
    for (let i = 0; i < hashKeyTable.length; i++) {
      const hashKey = hashKeyTable[i]!;
      pos = writeString(out, pos, KEY_EXPLICIT_HASH_KEY_TABLE, hashKey, hashKey.length);
    }

    const records = this.records;
    const keyIndexes = this.recordKeyIndexes;
    const hashKeyIndexes = this.recordHashKeyIndexes;
    for (let i = 0; i < records.length; i++) {
      const data = records[i]!.data;
      const length = data.length;
      const keyIndex = keyIndexes[i]!;
      const hashKeyIndex = hashKeyIndexes[i]!;
      // The Record's own length, recomputed rather than stored: cheaper than another array.
      let recordBytes =
        2 + (keyIndex < 0x80 ? 1 : varintSize(keyIndex)) + (length < 0x80 ? 1 : varintSize(length)) + length;
      if (hashKeyIndex >= 0) recordBytes += 1 + varintSize(hashKeyIndex);

      out[pos++] = KEY_RECORDS;
      if (recordBytes < 0x80) out[pos++] = recordBytes;
      else pos = writeVarint(out, pos, recordBytes);
      out[pos++] = KEY_PARTITION_KEY_INDEX;
      if (keyIndex < 0x80) out[pos++] = keyIndex;
      else pos = writeVarint(out, pos, keyIndex);
      if (hashKeyIndex >= 0) {
        out[pos++] = KEY_EXPLICIT_HASH_KEY_INDEX;
        pos = writeVarint(out, pos, hashKeyIndex);
      }
      out[pos++] = KEY_DATA;
      if (length < 0x80) out[pos++] = length;
      else pos = writeVarint(out, pos, length);
      out.set(data, pos);
      pos += length;
    }

    out.set(md5(out.subarray(MAGIC_BYTES, pos)), pos);
    return out;
  }
}

/** Writes a length-delimited string field whose UTF-8 length is already known. */
function writeString(out: Buffer, pos: number, key: number, text: string, bytes: number): number {
  out[pos++] = key;
  if (bytes < 0x80) out[pos++] = bytes;
  else pos = writeVarint(out, pos, bytes);
  if (bytes === text.length && bytes <= 64) {
    // Equal lengths mean ASCII; a short loop beats the native write for the usual short keys.
    for (let i = 0; i < bytes; i++) out[pos + i] = text.charCodeAt(i);
  } else {
    out.write(text, pos, bytes, 'utf8');
  }
  return pos + bytes;
}

/** Validates aggregation limits once and fills in the KPL defaults. */
export function resolveAggregationOptions(options: AggregationOptions): Required<AggregationOptions> {
  const maxRecordSizeBytes = integerOption(
    'maxRecordSizeBytes',
    options.maxRecordSizeBytes,
    DEFAULT_MAX_RECORD_SIZE_BYTES,
    DEFAULT_MAX_RECORD_SIZE_BYTES,
    MAX_RECORD_SIZE_LIMIT_BYTES,
  );
  const maxSize = integerOption(
    'maxSize',
    options.maxSize,
    DEFAULT_AGGREGATION_MAX_SIZE_BYTES,
    MIN_AGGREGATION_MAX_SIZE_BYTES,
    maxRecordSizeBytes,
  );
  const maxCount = integerOption(
    'maxCount',
    options.maxCount,
    DEFAULT_AGGREGATION_MAX_COUNT,
    1,
    DEFAULT_AGGREGATION_MAX_COUNT,
  );
  return { maxCount, maxSize, maxRecordSizeBytes };
}

function integerOption(
  key: string,
  value: number | undefined,
  fallback: number,
  min: number,
  max: number,
): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new ConfigurationError(
      `${key} must be an integer from ${min} to ${max}, but got ${describe(value)}.`,
      key,
    );
  }
  return value;
}
