import type { ChildShard, GetRecordsOutput, _Record } from '@aws-sdk/client-kinesis';
import { childShardsFrom, dataFromBase64 } from './record-data';

/**
 * A GetRecords response parser for Kinesis's JSON protocol (awsJson 1.1) that produces what the SDK's
 * own parser produces, at a fraction of the CPU. Measured (`npm run bench -- read-path`), the SDK's
 * parser costs several times the consumer's whole engine: it turns the body into one string, parses it
 * with JSON.parse, walks the result against the schema and checks every record's base64 with a regular
 * expression before decoding it into its own buffer. This parser walks the bytes once, finds string
 * ends with native `indexOf`, decodes records' data with `dataFromBase64` (small records into slabs
 * shared across responses), and parses numbers by hand.
 *
 * It handles the responses Kinesis and kinesalite write (compact JSON, no escapes in any string); a
 * body with an escape anywhere is parsed with JSON.parse instead, and one it cannot read returns
 * undefined so that the caller falls back to the SDK's parser, which also reports malformed bodies.
 */
export function parseGetRecordsJson(body: Uint8Array): GetRecordsOutput | undefined {
  const buffer = Buffer.isBuffer(body) ? body : Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  // Escapes are rare in these bodies (a partition key with a quote or a control character); the byte
  // scanner below then never has to look for them.
  if (buffer.indexOf(BACKSLASH) !== -1) return fromJsonObject(buffer);
  const scanner = new Scanner(buffer);
  try {
    return scanner.response();
  } catch (error) {
    if (error === MALFORMED) return undefined;
    throw error;
  }
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COLON = 0x3a;
const COMMA = 0x2c;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;
const MINUS = 0x2d;
const PLUS = 0x2b;
const DOT = 0x2e;
const DIGIT_0 = 0x30;
const DIGIT_9 = 0x39;
const LOWER_E = 0x65;
const UPPER_E = 0x45;
const LOWER_N = 0x6e;

/** Thrown inside the scanner for anything it does not expect; never escapes this module. */
const MALFORMED = new Error('malformed GetRecords body');

/** Record member names as bytes, compared in place to avoid a string per member. */
const KEY_SEQUENCE_NUMBER = Buffer.from('SequenceNumber');
const KEY_ARRIVAL = Buffer.from('ApproximateArrivalTimestamp');
const KEY_DATA = Buffer.from('Data');
const KEY_PARTITION_KEY = Buffer.from('PartitionKey');
const KEY_ENCRYPTION_TYPE = Buffer.from('EncryptionType');

/** Powers of ten a double holds exactly: a mantissa of up to 15 digits scaled by one is correctly rounded. */
const EXACT_POWERS_OF_TEN = Array.from({ length: 23 }, (_, i) => 10 ** i);
const MAX_EXACT_DIGITS = 15;

class Scanner {
  private pos = 0;

  constructor(private readonly bytes: Buffer) {}

  response(): GetRecordsOutput {
    // The SDK marks members required that it never checks; absent ones stay absent here as there.
    const output = {} as GetRecordsOutput;
    this.expect(OPEN_OBJECT);
    if (this.peek() === CLOSE_OBJECT) {
      this.pos++;
    } else {
      for (;;) {
        const key = this.key();
        switch (key) {
          case 'Records':
            output.Records = this.records();
            break;
          case 'NextShardIterator': {
            const iterator = this.nullableString();
            if (iterator !== undefined) output.NextShardIterator = iterator;
            break;
          }
          case 'MillisBehindLatest':
            if (this.isNull()) break;
            output.MillisBehindLatest = this.number();
            break;
          case 'ChildShards': {
            const start = this.skipWhitespace();
            this.skipValue();
            const childShards = JSON.parse(this.bytes.toString('utf8', start, this.pos)) as unknown;
            if (childShards !== null) output.ChildShards = childShardsOrThrow(childShards);
            break;
          }
          default:
            // Members this version does not know are dropped, as the SDK's parser drops them.
            this.skipValue();
        }
        if (this.separator(CLOSE_OBJECT)) break;
      }
    }
    if (this.skipWhitespace() !== this.bytes.length) throw MALFORMED;
    return output;
  }

  private records(): _Record[] {
    const records: _Record[] = [];
    if (this.isNull()) return records;
    this.expect(OPEN_ARRAY);
    if (this.peek() === CLOSE_ARRAY) {
      this.pos++;
      return records;
    }
    for (;;) {
      records.push(this.record());
      if (this.separator(CLOSE_ARRAY)) return records;
    }
  }

  private record(): _Record {
    const bytes = this.bytes;
    let sequenceNumber: string | undefined;
    let arrival: Date | undefined;
    let data: Uint8Array | undefined;
    let partitionKey: string | undefined;
    let encryptionType: string | undefined;
    this.expect(OPEN_OBJECT);
    if (this.peek() === CLOSE_OBJECT) {
      this.pos++;
      return {} as _Record;
    }
    for (;;) {
      this.expect(QUOTE);
      const keyStart = this.pos;
      const keyEnd = this.stringEnd();
      this.expect(COLON);
      this.skipWhitespace();
      if (bytes[this.pos] === LOWER_N) {
        // A null member is absent, as in the SDK's output.
        this.literal();
      } else if (equals(bytes, keyStart, keyEnd, KEY_DATA)) {
        this.expect(QUOTE);
        const start = this.pos;
        const end = this.stringEnd();
        data = dataFromBase64(bytes, start, end - 1);
      } else if (equals(bytes, keyStart, keyEnd, KEY_SEQUENCE_NUMBER)) {
        sequenceNumber = this.string('latin1');
      } else if (equals(bytes, keyStart, keyEnd, KEY_PARTITION_KEY)) {
        partitionKey = this.string('utf8');
      } else if (equals(bytes, keyStart, keyEnd, KEY_ARRIVAL)) {
        // The SDK's epoch-seconds rule: milliseconds rounded to the nearest.
        arrival = new Date(Math.round(this.number() * 1000));
      } else if (equals(bytes, keyStart, keyEnd, KEY_ENCRYPTION_TYPE)) {
        encryptionType = this.string('latin1');
      } else {
        this.skipValue();
      }
      if (this.separator(CLOSE_OBJECT)) break;
    }
    if (
      sequenceNumber !== undefined &&
      arrival !== undefined &&
      data !== undefined &&
      partitionKey !== undefined &&
      encryptionType === undefined
    ) {
      // The usual record: one object shape for all of them.
      return {
        SequenceNumber: sequenceNumber,
        ApproximateArrivalTimestamp: arrival,
        Data: data,
        PartitionKey: partitionKey,
      };
    }
    const record = {} as _Record;
    if (sequenceNumber !== undefined) record.SequenceNumber = sequenceNumber;
    if (arrival !== undefined) record.ApproximateArrivalTimestamp = arrival;
    if (data !== undefined) record.Data = data;
    if (partitionKey !== undefined) record.PartitionKey = partitionKey;
    if (encryptionType !== undefined) record.EncryptionType = encryptionType as _Record['EncryptionType'];
    return record;
  }

  /** A member name, at a quote; leaves the position after its colon. Only for the few top-level members. */
  private key(): string {
    this.expect(QUOTE);
    const start = this.pos;
    const end = this.stringEnd();
    this.expect(COLON);
    return this.bytes.toString('latin1', start, end - 1);
  }

  /** A string value: the position moves past it. */
  private string(encoding: 'latin1' | 'utf8'): string {
    this.expect(QUOTE);
    const start = this.pos;
    const end = this.stringEnd();
    return this.bytes.toString(encoding, start, end - 1);
  }

  private nullableString(): string | undefined {
    if (this.isNull()) return undefined;
    return this.string('utf8');
  }

  /** Past the closing quote of a string whose opening quote was consumed; returns the new position. */
  private stringEnd(): number {
    const end = this.bytes.indexOf(QUOTE, this.pos);
    if (end < 0) throw MALFORMED;
    this.pos = end + 1;
    return this.pos;
  }

  /**
   * A JSON number. Up to 15 significant digits and a decimal exponent within 22 it is computed from
   * integers (correctly rounded, so equal to what JSON.parse gives); anything else goes to Number().
   */
  private number(): number {
    const bytes = this.bytes;
    this.skipWhitespace();
    const start = this.pos;
    let pos = start;
    let negative = false;
    if (bytes[pos] === MINUS) {
      negative = true;
      pos++;
    }
    let mantissa = 0;
    let digits = 0;
    let scale = 0;
    let c = bytes[pos] ?? 0;
    if (c < DIGIT_0 || c > DIGIT_9) throw MALFORMED;
    while (c >= DIGIT_0 && c <= DIGIT_9) {
      mantissa = mantissa * 10 + (c - DIGIT_0);
      if (mantissa !== 0) digits++;
      c = bytes[++pos] ?? 0;
    }
    if (c === DOT) {
      c = bytes[++pos] ?? 0;
      if (c < DIGIT_0 || c > DIGIT_9) throw MALFORMED;
      while (c >= DIGIT_0 && c <= DIGIT_9) {
        mantissa = mantissa * 10 + (c - DIGIT_0);
        if (mantissa !== 0) digits++;
        scale--;
        c = bytes[++pos] ?? 0;
      }
    }
    if (c === LOWER_E || c === UPPER_E) {
      c = bytes[++pos] ?? 0;
      let exponentNegative = false;
      if (c === MINUS || c === PLUS) {
        exponentNegative = c === MINUS;
        c = bytes[++pos] ?? 0;
      }
      if (c < DIGIT_0 || c > DIGIT_9) throw MALFORMED;
      let exponent = 0;
      while (c >= DIGIT_0 && c <= DIGIT_9) {
        exponent = exponent * 10 + (c - DIGIT_0);
        c = bytes[++pos] ?? 0;
      }
      scale += exponentNegative ? -exponent : exponent;
    }
    this.pos = pos;
    let value: number;
    if (digits <= MAX_EXACT_DIGITS && scale >= -22 && scale <= 22) {
      value = scale >= 0 ? mantissa * EXACT_POWERS_OF_TEN[scale]! : mantissa / EXACT_POWERS_OF_TEN[-scale]!;
    } else {
      value = Number(bytes.toString('latin1', negative ? start + 1 : start, pos));
    }
    return negative ? -value : value;
  }

  /** Whether the next value is null (consumed if so). */
  private isNull(): boolean {
    this.skipWhitespace();
    if (this.bytes[this.pos] !== LOWER_N) return false;
    this.literal();
    return true;
  }

  /** Skips true, false or null. */
  private literal(): void {
    const bytes = this.bytes;
    const start = this.pos;
    let pos = start;
    while (pos < bytes.length && bytes[pos]! >= 0x61 && bytes[pos]! <= 0x7a) pos++;
    const word = bytes.toString('latin1', start, pos);
    if (word !== 'null' && word !== 'true' && word !== 'false') throw MALFORMED;
    this.pos = pos;
  }

  /** Skips any value. */
  private skipValue(): void {
    const bytes = this.bytes;
    const c = bytes[this.skipWhitespace()];
    if (c === QUOTE) {
      this.pos++;
      this.stringEnd();
    } else if (c === OPEN_OBJECT || c === OPEN_ARRAY) {
      // Strings hold no escapes here, so brackets outside strings balance.
      let depth = 0;
      let pos = this.pos;
      for (;;) {
        const b = bytes[pos];
        if (b === undefined) throw MALFORMED;
        if (b === QUOTE) {
          const end = bytes.indexOf(QUOTE, pos + 1);
          if (end < 0) throw MALFORMED;
          pos = end;
        } else if (b === OPEN_OBJECT || b === OPEN_ARRAY) {
          depth++;
        } else if (b === CLOSE_OBJECT || b === CLOSE_ARRAY) {
          if (--depth === 0) break;
        }
        pos++;
      }
      this.pos = pos + 1;
    } else if (c === MINUS || (c !== undefined && c >= DIGIT_0 && c <= DIGIT_9)) {
      this.number();
    } else {
      this.literal();
    }
  }

  /** After a member or element: true at the closing bracket (consumed), false at a comma (consumed). */
  private separator(close: number): boolean {
    const c = this.bytes[this.skipWhitespace()];
    this.pos++;
    if (c === COMMA) {
      this.skipWhitespace();
      return false;
    }
    if (c === close) return true;
    throw MALFORMED;
  }

  private expect(byte: number): void {
    if (this.bytes[this.skipWhitespace()] !== byte) throw MALFORMED;
    this.pos++;
  }

  private peek(): number | undefined {
    return this.bytes[this.skipWhitespace()];
  }

  private skipWhitespace(): number {
    const bytes = this.bytes;
    let pos = this.pos;
    for (;;) {
      const c = bytes[pos];
      if (c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09) break;
      pos++;
    }
    this.pos = pos;
    return pos;
  }
}

function childShardsOrThrow(value: unknown): ChildShard[] {
  const shards = childShardsFrom(value);
  if (shards === undefined) throw MALFORMED;
  return shards;
}

/** Whether bytes[start, end - 1) (a member name; `end` is past its closing quote) equals `key`. */
function equals(bytes: Buffer, start: number, end: number, key: Buffer): boolean {
  const length = key.length;
  if (end - 1 - start !== length) return false;
  for (let i = 0; i < length; i++) if (bytes[start + i] !== key[i]) return false;
  return true;
}

/** The slower path for a body with escapes: JSON.parse, then the same output shape. */
function fromJsonObject(buffer: Buffer): GetRecordsOutput | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(buffer.toString('utf8'));
  } catch {
    return undefined;
  }
  if (parsed === null || typeof parsed !== 'object') return undefined;
  const source = parsed as Record<string, unknown>;
  const output = {} as GetRecordsOutput;
  if (source.Records != null) {
    if (!Array.isArray(source.Records)) return undefined;
    const records: _Record[] = [];
    for (const item of source.Records as unknown[]) {
      if (item === null || typeof item !== 'object') return undefined;
      const r = item as Record<string, unknown>;
      const record = {} as _Record;
      if (r.SequenceNumber != null) {
        if (typeof r.SequenceNumber !== 'string') return undefined;
        record.SequenceNumber = r.SequenceNumber;
      }
      if (r.ApproximateArrivalTimestamp != null) {
        if (typeof r.ApproximateArrivalTimestamp !== 'number') return undefined;
        record.ApproximateArrivalTimestamp = new Date(Math.round(r.ApproximateArrivalTimestamp * 1000));
      }
      if (r.Data != null) {
        if (typeof r.Data !== 'string') return undefined;
        const data = Buffer.from(r.Data, 'base64');
        record.Data = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
      }
      if (r.PartitionKey != null) {
        if (typeof r.PartitionKey !== 'string') return undefined;
        record.PartitionKey = r.PartitionKey;
      }
      if (r.EncryptionType != null) {
        if (typeof r.EncryptionType !== 'string') return undefined;
        record.EncryptionType = r.EncryptionType as _Record['EncryptionType'];
      }
      records.push(record);
    }
    output.Records = records;
  }
  if (source.NextShardIterator != null) {
    if (typeof source.NextShardIterator !== 'string') return undefined;
    output.NextShardIterator = source.NextShardIterator;
  }
  if (source.MillisBehindLatest != null) {
    if (typeof source.MillisBehindLatest !== 'number') return undefined;
    output.MillisBehindLatest = source.MillisBehindLatest;
  }
  if (source.ChildShards != null) {
    if (!Array.isArray(source.ChildShards)) return undefined;
    output.ChildShards = childShardsFrom(source.ChildShards)!;
  }
  return output;
}
