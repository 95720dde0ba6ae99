import type { GetRecordsInput, GetRecordsOutput, _Record } from '@aws-sdk/client-kinesis';
import { cbor } from '@smithy/core/cbor';
import { childShardsFrom, dataFromBase64, dataFromBytes } from './record-data';

/** Kinesis's CBOR protocol (the AWS SDK for Java's default for Kinesis). */
export const CBOR_CONTENT_TYPE = 'application/x-amz-cbor-1.1';

/**
 * A GetRecords request body in Kinesis's CBOR protocol: the input's members, as the JSON protocol
 * would send them, in a CBOR map. Written by the SDK's own CBOR codec (`@smithy/core/cbor`).
 */
export function getRecordsRequestCbor(input: GetRecordsInput): Uint8Array {
  const body: Record<string, string | number> = {};
  if (input.ShardIterator !== undefined) body.ShardIterator = input.ShardIterator;
  if (input.Limit !== undefined) body.Limit = input.Limit;
  if (input.StreamARN !== undefined) body.StreamARN = input.StreamARN;
  return cbor.serialize(body);
}

/** Why a body could not be read, and where. */
export class CborBodyError extends Error {
  override readonly name = 'CborBodyError';
  constructor(reason: string, offset: number) {
    super(`GetRecords answered a CBOR body this client cannot read: ${reason} at byte ${offset}.`);
  }
}

/**
 * A GetRecords response in Kinesis's CBOR protocol (`application/x-amz-cbor-1.1`), parsed into what
 * the SDK's output holds for the same response in JSON.
 *
 * CBOR carries a record's data as raw bytes, so where the JSON protocol costs a base64 decode per record
 * and a third more bytes on the wire, this costs a copy; the body is walked once, and member names are
 * compared in place. Written by hand rather than with a generic decoder (the SDK's `cbor.deserialize`)
 * because measurement showed the generic decoder several times slower on record-heavy bodies (see
 * `npm run bench -- read-path`, "CBOR parsers alone").
 *
 * The format, as the AWS SDK for Java reads it: a map of `Records` (maps of `SequenceNumber`,
 * `ApproximateArrivalTimestamp`, `Data` as a byte string, `PartitionKey`, `EncryptionType`),
 * `NextShardIterator`, `MillisBehindLatest` and `ChildShards`. Timestamps are CBOR tag 1 with epoch
 * milliseconds (the Java SDK's `UNIX_TIMESTAMP_MILLIS` for CBOR payloads). Maps, arrays and strings may
 * have definite or indefinite lengths. What kinesalite's own CBOR writes instead is read too: `Data` as a
 * base64 text string and the arrival time as a float of epoch seconds (an arrival time as milliseconds
 * is always above 1e11, as seconds always below).
 *
 * Throws `CborBodyError` for a body that is not such a response.
 */
export function parseGetRecordsCbor(body: Uint8Array): GetRecordsOutput {
  const buffer = Buffer.isBuffer(body) ? body : Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  const reader = new Reader(buffer);
  const output = reader.response();
  if (reader.pos !== buffer.length) throw new CborBodyError('bytes after the response', reader.pos);
  return output;
}

const MAJOR_UNSIGNED = 0;
const MAJOR_NEGATIVE = 1;
const MAJOR_BYTES = 2;
const MAJOR_TEXT = 3;
const MAJOR_ARRAY = 4;
const MAJOR_MAP = 5;
const MAJOR_TAG = 6;
const MAJOR_SIMPLE = 7;
/** The additional-information value of an indefinite length, and of the break that ends one. */
const INDEFINITE = 31;
const BREAK = 0xff;
const SIMPLE_FALSE = 20;
const SIMPLE_TRUE = 21;
const SIMPLE_NULL = 22;
const SIMPLE_UNDEFINED = 23;
const FLOAT16 = 25;
const FLOAT32 = 26;
const FLOAT64 = 27;
/** CBOR's epoch-based date/time tag. */
const TAG_EPOCH_TIME = 1;
/** Below this an arrival time is in seconds (a date before 5138), above it in milliseconds (after 1973). */
const SECONDS_OR_MILLIS = 1e11;

const enum Member {
  Data,
  SequenceNumber,
  PartitionKey,
  ApproximateArrivalTimestamp,
  EncryptionType,
  Other,
}

/** Record member names as bytes, indexed by Member, compared in place to avoid a string per member. */
const MEMBER_NAMES: readonly Buffer[] = [
  'Data',
  'SequenceNumber',
  'PartitionKey',
  'ApproximateArrivalTimestamp',
  'EncryptionType',
].map((name) => Buffer.from(name));

/** A data item's head: its major type and its argument (a length, a count, a value or a tag). */
interface Head {
  major: number;
  /** -1 for an indefinite length. */
  argument: number;
  /** The additional information (for floats and simple values). */
  info: number;
}

class Reader {
  pos = 0;
  /** The last head read; one object reused, since heads are read one at a time. */
  private readonly head: Head = { major: 0, argument: 0, info: 0 };

  constructor(private readonly bytes: Buffer) {}

  response(): GetRecordsOutput {
    // The SDK marks members required that it never checks; absent ones stay absent here as there.
    const output = {} as GetRecordsOutput;
    const count = this.expect(MAJOR_MAP, 'the response');
    for (let i = 0; count < 0 ? !this.atBreak() : i < count; i++) {
      const key = this.text();
      if (this.atNull()) continue;
      switch (key) {
        case 'Records':
          output.Records = this.records();
          break;
        case 'NextShardIterator':
          output.NextShardIterator = this.text();
          break;
        case 'MillisBehindLatest':
          output.MillisBehindLatest = this.number();
          break;
        case 'ChildShards': {
          const at = this.pos;
          const childShards = childShardsFrom(this.value());
          if (childShards === undefined) throw new CborBodyError('ChildShards is not an array', at);
          output.ChildShards = childShards;
          break;
        }
        default:
          // Members this version does not know are dropped, as the SDK's parser drops them.
          this.skip();
      }
    }
    return output;
  }

  private records(): _Record[] {
    const count = this.expect(MAJOR_ARRAY, 'Records');
    // Pushed rather than written into an array made at its length, which V8 would keep as one with holes.
    const records: _Record[] = [];
    for (let i = 0; count < 0 ? !this.atBreak() : i < count; i++) records.push(this.record());
    return records;
  }

  private record(): _Record {
    let sequenceNumber: string | undefined;
    let arrival: Date | undefined;
    let data: Uint8Array | undefined;
    let partitionKey: string | undefined;
    let encryptionType: string | undefined;
    const count = this.expect(MAJOR_MAP, 'a record');
    for (let i = 0; count < 0 ? !this.atBreak() : i < count; i++) {
      const member = this.member();
      if (this.atNull()) continue; // A null member is absent, as in the SDK's output.
      switch (member) {
        case Member.Data:
          data = this.data();
          break;
        case Member.SequenceNumber:
          sequenceNumber = this.text('latin1');
          break;
        case Member.PartitionKey:
          partitionKey = this.text();
          break;
        case Member.ApproximateArrivalTimestamp:
          arrival = this.timestamp();
          break;
        case Member.EncryptionType:
          encryptionType = this.text();
          break;
        default:
          this.skip();
      }
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

  /**
   * A record member's name, compared in place: told apart by length (and first letter), then checked
   * whole. Names in chunks, which Kinesis never writes, are read as strings.
   */
  private member(): Member {
    const at = this.pos;
    const length = this.expect(MAJOR_TEXT, 'a member name');
    if (length < 0) {
      this.pos = at;
      const name = this.text();
      const member = MEMBER_NAMES.findIndex((key) => key.toString() === name);
      return member < 0 ? Member.Other : (member as Member);
    }
    const start = this.advance(length);
    let candidate: Member;
    switch (length) {
      case 4:
        candidate = Member.Data;
        break;
      case 12:
        candidate = Member.PartitionKey;
        break;
      case 14:
        candidate = this.bytes[start] === 0x53 /* S */ ? Member.SequenceNumber : Member.EncryptionType;
        break;
      case 27:
        candidate = Member.ApproximateArrivalTimestamp;
        break;
      default:
        return Member.Other;
    }
    return equals(this.bytes, start, length, MEMBER_NAMES[candidate]!) ? candidate : Member.Other;
  }

  /** A record's data: a byte string (Kinesis) or base64 text (kinesalite). */
  private data(): Uint8Array {
    const at = this.pos;
    const head = this.readHead();
    if (head.argument < 0) {
      this.pos = at;
      const joined = this.value();
      if (joined instanceof Uint8Array) return joined;
      if (typeof joined === 'string') {
        const text = Buffer.from(joined, 'latin1');
        return dataFromBase64(text, 0, text.length);
      }
    } else if (head.major === MAJOR_BYTES || head.major === MAJOR_TEXT) {
      const start = this.advance(head.argument);
      return head.major === MAJOR_BYTES
        ? dataFromBytes(this.bytes, start, this.pos)
        : dataFromBase64(this.bytes, start, this.pos);
    }
    throw new CborBodyError('Data is neither a byte string nor base64 text', at);
  }

  /** An arrival time: tag 1 and epoch milliseconds (Kinesis), or epoch seconds (kinesalite). */
  private timestamp(): Date {
    const at = this.pos;
    const head = this.readHead();
    if (head.major === MAJOR_TAG) {
      if (head.argument !== TAG_EPOCH_TIME)
        throw new CborBodyError(`a timestamp with tag ${head.argument}`, at);
    } else {
      this.pos = at;
    }
    const value = this.number();
    return new Date(Math.round(value >= SECONDS_OR_MILLIS ? value : value * 1000));
  }

  /**
   * A text string (definite length: the usual case), as a string. `latin1` for members that are ASCII
   * (sequence numbers are decimal digits), which V8 makes without decoding UTF-8.
   */
  private text(encoding: 'utf8' | 'latin1' = 'utf8'): string {
    const at = this.pos;
    const head = this.readHead();
    if (head.major !== MAJOR_TEXT) throw new CborBodyError(`major type ${head.major} where text belongs`, at);
    if (head.argument < 0) {
      this.pos = at;
      return this.value() as string;
    }
    const start = this.advance(head.argument);
    return this.bytes.toString(encoding, start, this.pos);
  }

  /** An integer or a float. */
  private number(): number {
    const at = this.pos;
    const head = this.readHead();
    switch (head.major) {
      case MAJOR_UNSIGNED:
        return head.argument;
      case MAJOR_NEGATIVE:
        return -1 - head.argument;
      case MAJOR_SIMPLE:
        if (head.info === FLOAT16 || head.info === FLOAT32 || head.info === FLOAT64) return head.argument;
    }
    throw new CborBodyError(`major type ${head.major} where a number belongs`, at);
  }

  /** Whether the next item is null or undefined (consumed if so). */
  private atNull(): boolean {
    const b = this.bytes[this.pos];
    if (b !== ((MAJOR_SIMPLE << 5) | SIMPLE_NULL) && b !== ((MAJOR_SIMPLE << 5) | SIMPLE_UNDEFINED))
      return false;
    this.pos++;
    return true;
  }

  /** Whether the next byte ends an indefinite-length item (consumed if so). */
  private atBreak(): boolean {
    if (this.pos >= this.bytes.length) throw new CborBodyError('the body ends inside an item', this.pos);
    if (this.bytes[this.pos] !== BREAK) return false;
    this.pos++;
    return true;
  }

  /** A head of `major` type; returns its count or length (-1 if indefinite). */
  private expect(major: number, what: string): number {
    const at = this.pos;
    const head = this.readHead();
    if (head.major !== major) throw new CborBodyError(`major type ${head.major} for ${what}`, at);
    return head.argument;
  }

  /** Moves past `length` bytes of content; returns where they start. */
  private advance(length: number): number {
    const start = this.pos;
    if (start + length > this.bytes.length) throw new CborBodyError('the body ends inside an item', start);
    this.pos = start + length;
    return start;
  }

  private readHead(): Head {
    const bytes = this.bytes;
    const at = this.pos;
    if (at >= bytes.length) throw new CborBodyError('the body ends before an item', at);
    const initial = bytes[at]!;
    const head = this.head;
    head.major = initial >> 5;
    const info = initial & 31;
    head.info = info;
    this.pos = at + 1;
    if (info < 24) {
      head.argument = info;
    } else if (info === INDEFINITE) {
      if (head.major < MAJOR_BYTES || head.major > MAJOR_MAP)
        throw new CborBodyError(`an indefinite length on major type ${head.major}`, at);
      head.argument = -1;
    } else if (info > FLOAT64) {
      throw new CborBodyError(`reserved additional information ${info}`, at);
    } else {
      const size = 1 << (info - 24);
      this.advance(size);
      const start = at + 1;
      if (head.major === MAJOR_SIMPLE && info >= FLOAT16) {
        head.argument =
          info === FLOAT16
            ? float16(bytes, start)
            : info === FLOAT32
              ? bytes.readFloatBE(start)
              : bytes.readDoubleBE(start);
      } else if (size === 1) {
        head.argument = bytes[start]!;
      } else if (size === 2) {
        head.argument = bytes.readUInt16BE(start);
      } else if (size === 4) {
        head.argument = bytes.readUInt32BE(start);
      } else {
        // By hand: an arrival time in milliseconds takes this path for every record.
        const high =
          ((bytes[start]! << 24) |
            (bytes[start + 1]! << 16) |
            (bytes[start + 2]! << 8) |
            bytes[start + 3]!) >>>
          0;
        const low =
          ((bytes[start + 4]! << 24) |
            (bytes[start + 5]! << 16) |
            (bytes[start + 6]! << 8) |
            bytes[start + 7]!) >>>
          0;
        const value = high * 2 ** 32 + low;
        if (!Number.isSafeInteger(value)) throw new CborBodyError('an integer beyond 2^53', at);
        head.argument = value;
      }
    }
    return head;
  }

  /** Skips one item, whatever it holds. */
  private skip(): void {
    this.value();
  }

  /**
   * One item as a plain value (maps as objects, byte strings as Uint8Array, tags as their content),
   * for the rare parts of a response (child shards, unknown members).
   */
  private value(): unknown {
    const at = this.pos;
    const head = this.readHead();
    const { major, argument, info } = head;
    switch (major) {
      case MAJOR_UNSIGNED:
        return argument;
      case MAJOR_NEGATIVE:
        return -1 - argument;
      case MAJOR_BYTES:
      case MAJOR_TEXT: {
        let content: Buffer;
        if (argument >= 0) {
          const start = this.advance(argument);
          content = this.bytes.subarray(start, this.pos);
        } else {
          // Chunks, each a definite string of the same major type.
          const chunks: Buffer[] = [];
          while (!this.atBreak()) {
            const chunkAt = this.pos;
            const chunk = this.readHead();
            if (chunk.major !== major || chunk.argument < 0)
              throw new CborBodyError('a chunk of another type in an indefinite string', chunkAt);
            const start = this.advance(chunk.argument);
            chunks.push(this.bytes.subarray(start, this.pos));
          }
          content = Buffer.concat(chunks);
        }
        return major === MAJOR_TEXT ? content.toString('utf8') : dataFromBytes(content, 0, content.length);
      }
      case MAJOR_ARRAY: {
        const items: unknown[] = [];
        for (let i = 0; argument < 0 ? !this.atBreak() : i < argument; i++) items.push(this.value());
        return items;
      }
      case MAJOR_MAP: {
        const object: Record<string, unknown> = {};
        for (let i = 0; argument < 0 ? !this.atBreak() : i < argument; i++) {
          const key = this.value();
          object[String(key)] = this.value();
        }
        return object;
      }
      case MAJOR_TAG:
        return this.value();
      default:
        if (info === SIMPLE_FALSE) return false;
        if (info === SIMPLE_TRUE) return true;
        if (info === SIMPLE_NULL || info === SIMPLE_UNDEFINED) return null;
        if (info === FLOAT16 || info === FLOAT32 || info === FLOAT64) return argument;
        throw new CborBodyError(`simple value ${info}`, at);
    }
  }
}

/** Whether bytes[start, start + length) equals `key`. */
function equals(bytes: Buffer, start: number, length: number, key: Buffer): boolean {
  if (length !== key.length) return false;
  for (let i = 0; i < length; i++) if (bytes[start + i] !== key[i]) return false;
  return true;
}

/** An IEEE 754 half-precision float. */
function float16(bytes: Buffer, at: number): number {
  const half = bytes.readUInt16BE(at);
  const sign = half & 0x8000 ? -1 : 1;
  const exponent = (half >> 10) & 0x1f;
  const fraction = half & 0x3ff;
  if (exponent === 0) return sign * 2 ** -14 * (fraction / 1024);
  if (exponent === 31) return fraction === 0 ? sign * Infinity : NaN;
  return sign * 2 ** (exponent - 15) * (1 + fraction / 1024);
}
