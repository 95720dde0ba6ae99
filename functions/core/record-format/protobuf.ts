/**
 * The few protobuf wire-format primitives the KPL aggregated record needs, written by hand so the
 * hot path does no reflection and no intermediate objects. Values are plain numbers: every length and
 * table index in a Kinesis record is far below 2^53.
 */

/** Wire type 0 (varint) and 2 (length-delimited), the only two the format uses. */
export const WIRE_VARINT = 0;
export const WIRE_LENGTH_DELIMITED = 2;
/** Wire types a decoder must be able to skip in unknown fields. */
export const WIRE_FIXED64 = 1;
export const WIRE_FIXED32 = 5;

/** The single-byte key of field `fieldNumber` (< 16) with `wireType`. */
export function fieldKey(fieldNumber: number, wireType: number): number {
  return (fieldNumber << 3) | wireType;
}

/** Bytes needed to encode a non-negative integer as a varint. */
export function varintSize(value: number): number {
  if (value < 0x80) return 1;
  if (value < 0x4000) return 2;
  if (value < 0x200000) return 3;
  if (value < 0x10000000) return 4;
  if (value < 0x800000000) return 5;
  // Beyond 2^35 nothing in this format can occur; count generically for completeness.
  let size = 5;
  let rest = Math.floor(value / 0x800000000);
  while (rest > 0) {
    size += 1;
    rest = Math.floor(rest / 0x80);
  }
  return size;
}

/** Writes `value` (a non-negative safe integer) as a varint at `pos`; returns the position after it. */
export function writeVarint(target: Uint8Array, pos: number, value: number): number {
  while (value > 0x7fffffff) {
    target[pos++] = (value % 0x80) | 0x80;
    value = Math.floor(value / 0x80);
  }
  while (value > 0x7f) {
    target[pos++] = (value & 0x7f) | 0x80;
    value >>>= 7;
  }
  target[pos++] = value;
  return pos;
}

/**
 * A cursor over protobuf bytes. Reads never throw: a malformed or truncated input sets `failed`, so a
 * decoder can check once per field instead of paying for exceptions.
 */
export class ProtobufReader {
  pos: number;
  failed = false;

  constructor(
    readonly bytes: Uint8Array,
    start: number,
    readonly end: number,
  ) {
    this.pos = start;
  }

  /** Reads a varint; values at or above 2^53 (never valid in this format) mark the reader failed. */
  varint(): number {
    const bytes = this.bytes;
    let pos = this.pos;
    if (pos < this.end) {
      const b0 = bytes[pos]!;
      if (b0 < 0x80) {
        this.pos = pos + 1;
        return b0;
      }
      if (pos + 1 < this.end) {
        const b1 = bytes[pos + 1]!;
        if (b1 < 0x80) {
          this.pos = pos + 2;
          return (b0 & 0x7f) | (b1 << 7);
        }
      }
    }
    let value = 0;
    let scale = 1;
    for (let i = 0; i < 10; i++) {
      if (pos >= this.end) break;
      const byte = bytes[pos++]!;
      value += (byte & 0x7f) * scale;
      if (byte < 0x80) {
        this.pos = pos;
        if (value > Number.MAX_SAFE_INTEGER) this.failed = true;
        return value;
      }
      scale *= 0x80;
    }
    this.failed = true;
    this.pos = this.end;
    return 0;
  }

  /** Reads a length prefix and returns the end of the delimited bytes, or marks the reader failed. */
  delimitedEnd(): number {
    const length = this.varint();
    const end = this.pos + length;
    if (end > this.end) {
      this.failed = true;
      return this.pos;
    }
    return end;
  }

  /** Skips the value of a field of `wireType`; unknown wire types (groups) mark the reader failed. */
  skip(wireType: number): void {
    switch (wireType) {
      case WIRE_VARINT:
        this.varint();
        return;
      case WIRE_FIXED64:
        this.advance(8);
        return;
      case WIRE_LENGTH_DELIMITED:
        this.pos = this.delimitedEnd();
        return;
      case WIRE_FIXED32:
        this.advance(4);
        return;
      default:
        this.failed = true;
    }
  }

  private advance(count: number): void {
    if (this.pos + count > this.end) this.failed = true;
    else this.pos += count;
  }
}
