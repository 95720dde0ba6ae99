// TEMPORARY: stands in for functions/core/record-format until it lands on main; delete at merge.
import { createHash, hash } from 'node:crypto';
import type { Shard } from '@aws-sdk/client-kinesis';

export interface UserRecord {
  readonly partitionKey: string;
  readonly explicitHashKey?: string;
  readonly data: Uint8Array;
}

export interface AggregatedRecord {
  readonly partitionKey: string;
  readonly explicitHashKey?: string;
  readonly data: Uint8Array;
  readonly userRecordCount: number;
}

export interface AggregatorOptions {
  readonly maxCount?: number;
  readonly maxSize?: number;
  readonly maxRecordSizeBytes?: number;
  readonly explicitHashKey?: string;
}

const MAGIC = Buffer.from([0xf3, 0x89, 0x9a, 0xc2]);

function varintLength(n: number): number {
  let len = 1;
  while (n >= 128) {
    n = Math.floor(n / 128);
    len++;
  }
  return len;
}

function writeVarint(out: number[], n: number): void {
  while (n >= 128) {
    out.push((n % 128) | 128);
    n = Math.floor(n / 128);
  }
  out.push(n);
}

function lengthDelimited(tag: number, payload: Uint8Array): Buffer {
  const head: number[] = [tag];
  writeVarint(head, payload.length);
  return Buffer.concat([Buffer.from(head), payload]);
}

export function aggregate(records: readonly UserRecord[], options: AggregatorOptions = {}): AggregatedRecord {
  const pks: string[] = [];
  const ehks: string[] = [];
  const parts: Buffer[] = [];
  const body: Buffer[] = [];
  for (const r of records) {
    let pkIndex = pks.indexOf(r.partitionKey);
    if (pkIndex < 0) pkIndex = pks.push(r.partitionKey) - 1;
    const rec: number[] = [0x08];
    writeVarint(rec, pkIndex);
    if (r.explicitHashKey !== undefined) {
      let ehkIndex = ehks.indexOf(r.explicitHashKey);
      if (ehkIndex < 0) ehkIndex = ehks.push(r.explicitHashKey) - 1;
      rec.push(0x10);
      writeVarint(rec, ehkIndex);
    }
    parts.push(lengthDelimited(0x1a, Buffer.concat([Buffer.from(rec), lengthDelimited(0x1a, r.data)])));
  }
  for (const pk of pks) body.push(lengthDelimited(0x0a, Buffer.from(pk, 'utf8')));
  for (const ehk of ehks) body.push(lengthDelimited(0x12, Buffer.from(ehk, 'utf8')));
  const proto = Buffer.concat([...body, ...parts]);
  const md5 = createHash('md5').update(proto).digest();
  const first = records[0];
  return {
    partitionKey: first ? first.partitionKey : 'a',
    ...(options.explicitHashKey !== undefined ? { explicitHashKey: options.explicitHashKey } : {}),
    data: Buffer.concat([MAGIC, proto, md5]),
    userRecordCount: records.length,
  };
}

/** Incremental: returns finished aggregated records when the next record would not fit. */
export class RecordAggregator {
  private buffer: UserRecord[] = [];
  private size = 0;
  private pks = new Set<string>();
  private ehks = new Set<string>();

  constructor(private readonly options: AggregatorOptions = {}) {}

  get count(): number {
    return this.buffer.length;
  }

  add(record: UserRecord): AggregatedRecord[] {
    const added = this.addedSize(record);
    const maxSize = Math.min(
      this.options.maxSize ?? 51200,
      (this.options.maxRecordSizeBytes ?? 1024 * 1024) -
        Buffer.byteLength(this.buffer[0]?.partitionKey ?? record.partitionKey),
    );
    const out: AggregatedRecord[] = [];
    if (
      this.buffer.length > 0 &&
      (this.buffer.length >= (this.options.maxCount ?? 4294967295) || 20 + this.size + added > maxSize)
    ) {
      const flushed = this.flush();
      if (flushed) out.push(flushed);
    }
    this.size += this.addedSize(record);
    this.pks.add(record.partitionKey);
    if (record.explicitHashKey !== undefined) this.ehks.add(record.explicitHashKey);
    this.buffer.push(record);
    return out;
  }

  flush(): AggregatedRecord | undefined {
    if (this.buffer.length === 0) return undefined;
    const result = aggregate(this.buffer, this.options);
    this.buffer = [];
    this.size = 0;
    this.pks.clear();
    this.ehks.clear();
    return result;
  }

  private addedSize(r: UserRecord): number {
    let size = 0;
    if (!this.pks.has(r.partitionKey)) {
      const l = Buffer.byteLength(r.partitionKey);
      size += 1 + varintLength(l) + l;
    }
    let inner = 1 + varintLength(this.pks.size) + 1 + varintLength(r.data.length) + r.data.length;
    if (r.explicitHashKey !== undefined) {
      if (!this.ehks.has(r.explicitHashKey)) {
        const l = Buffer.byteLength(r.explicitHashKey);
        size += 1 + varintLength(l) + l;
      }
      inner += 1 + varintLength(this.ehks.size);
    }
    return size + 1 + varintLength(inner) + inner;
  }
}

function readVarint(buf: Buffer, pos: { p: number }): number {
  let result = 0;
  let mul = 1;
  for (;;) {
    const b = buf[pos.p++];
    if (b === undefined) throw new Error('truncated');
    result += (b & 127) * mul;
    if (b < 128) return result;
    mul *= 128;
  }
}

/** Splits an aggregated record into its user records; anything else comes back as itself. */
export function deaggregate(record: UserRecord): UserRecord[] {
  const buf = Buffer.from(record.data);
  if (buf.length < 20 || !buf.subarray(0, 4).equals(MAGIC)) return [record];
  const proto = buf.subarray(4, buf.length - 16);
  if (
    !createHash('md5')
      .update(proto)
      .digest()
      .equals(buf.subarray(buf.length - 16))
  )
    return [record];
  const pks: string[] = [];
  const ehks: string[] = [];
  const raw: Buffer[] = [];
  const pos = { p: 0 };
  while (pos.p < proto.length) {
    const tag = readVarint(proto, pos);
    const len = readVarint(proto, pos);
    const payload = proto.subarray(pos.p, pos.p + len);
    pos.p += len;
    if (tag === 0x0a) pks.push(payload.toString('utf8'));
    else if (tag === 0x12) ehks.push(payload.toString('utf8'));
    else if (tag === 0x1a) raw.push(payload);
  }
  return raw.map((r) => {
    const p = { p: 0 };
    let pk = 0;
    let ehk: number | undefined;
    let data: Buffer = Buffer.alloc(0);
    while (p.p < r.length) {
      const tag = readVarint(r, p);
      if (tag === 0x08) pk = readVarint(r, p);
      else if (tag === 0x10) ehk = readVarint(r, p);
      else {
        const len = readVarint(r, p);
        data = r.subarray(p.p, p.p + len);
        p.p += len;
      }
    }
    const e = ehk !== undefined ? ehks[ehk] : undefined;
    return { partitionKey: pks[pk] ?? '', ...(e !== undefined ? { explicitHashKey: e } : {}), data };
  });
}

/** The 128-bit hash key of a partition key (MD5, big-endian) as 32 hex digits. */
export function partitionKeyHashHex(partitionKey: string): string {
  return hash('md5', partitionKey, 'hex');
}

export function decimalToHex(decimal: string): string {
  return BigInt(decimal).toString(16).padStart(32, '0');
}

export interface ShardRange {
  readonly shardId: string;
  readonly startingHashKey: string;
  readonly endingHashKey: string;
}

export class ShardMap {
  private constructor(
    private readonly ranges: readonly (ShardRange & { startHex: string; endHex: string })[],
  ) {}

  static fromShards(shards: readonly Shard[] | undefined): ShardMap {
    const open = (shards ?? []).filter((s) => s.SequenceNumberRange?.EndingSequenceNumber === undefined);
    return new ShardMap(
      open
        .map((s) => ({
          shardId: s.ShardId ?? '',
          startingHashKey: s.HashKeyRange?.StartingHashKey ?? '0',
          endingHashKey: s.HashKeyRange?.EndingHashKey ?? '0',
          startHex: decimalToHex(s.HashKeyRange?.StartingHashKey ?? '0'),
          endHex: decimalToHex(s.HashKeyRange?.EndingHashKey ?? '0'),
        }))
        .sort((a, b) => (a.startHex < b.startHex ? -1 : 1)),
    );
  }

  get size(): number {
    return this.ranges.length;
  }

  shardFor(partitionKey: string, explicitHashKey?: string): ShardRange {
    const hex =
      explicitHashKey !== undefined ? decimalToHex(explicitHashKey) : partitionKeyHashHex(partitionKey);
    for (const r of this.ranges) if (hex >= r.startHex && hex <= r.endHex) return r;
    throw new Error(`No open shard covers hash key ${hex}.`);
  }

  explicitHashKeyFor(shard: ShardRange): string {
    return shard.startingHashKey;
  }
}
