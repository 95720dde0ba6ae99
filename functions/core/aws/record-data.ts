import type { ChildShard } from '@aws-sdk/client-kinesis';

/**
 * Where the GetRecords parsers put record data: small records' bytes go into 64 KiB slabs shared by
 * every response, as Node's own Buffer pool does, and each record's `Data` is a view into one. A slab
 * lives as long as any record viewing it does.
 *
 * Below glibc's default mmap threshold (128 KiB), so a slab comes from memory the allocator already
 * holds, where one buffer of a response's size (about a MiB for plain 100 B records) was often mapped
 * anew, paying its page faults on every call.
 */
const SLAB_BYTES = 64 * 1024;

/** Records whose data is larger than this get a buffer of their own rather than a part of a slab. */
const OWN_BUFFER_BYTES = SLAB_BYTES / 8;

let slab = Buffer.allocUnsafeSlow(SLAB_BYTES);
let slabOffset = 0;

/** Room for `bytes` (at most OWN_BUFFER_BYTES) at `slabOffset`, in the current slab or a new one. */
function reserve(bytes: number): void {
  if (slabOffset + bytes <= slab.length) return;
  slab = Buffer.allocUnsafeSlow(SLAB_BYTES);
  slabOffset = 0;
}

/**
 * A record's data: the base64 text in bytes[start, end) decoded. (Decoding short text in JavaScript
 * instead, to save the string this makes, measured no faster.)
 */
export function dataFromBase64(bytes: Buffer, start: number, end: number): Uint8Array {
  // Base64 holds 3 bytes in 4 characters.
  const room = ((end - start) * 3) >> 2;
  if (room > OWN_BUFFER_BYTES) {
    // Large (aggregated) records fill most of a slab each; a buffer of their own wastes none.
    const own = Buffer.allocUnsafeSlow(room);
    const length = own.write(bytes.toString('latin1', start, end), 0, 'base64');
    return new Uint8Array(own.buffer, own.byteOffset, length);
  }
  reserve(room);
  const offset = slabOffset;
  const written = slab.write(bytes.toString('latin1', start, end), offset, 'base64');
  slabOffset = offset + written;
  return new Uint8Array(slab.buffer, slab.byteOffset + offset, written);
}

/**
 * A record's data: the raw bytes[start, end) copied out of the response body (which the protocol
 * reuses for the next call's body).
 */
export function dataFromBytes(bytes: Buffer, start: number, end: number): Uint8Array {
  const length = end - start;
  if (length > OWN_BUFFER_BYTES) {
    const own = Buffer.allocUnsafeSlow(length);
    bytes.copy(own, 0, start, end);
    return new Uint8Array(own.buffer, own.byteOffset, length);
  }
  reserve(length);
  const offset = slabOffset;
  bytes.copy(slab, offset, start, end);
  slabOffset = offset + length;
  return new Uint8Array(slab.buffer, slab.byteOffset + offset, length);
}

/**
 * Child shards with the members the SDK reads, strings only; undefined when `value` is not a list.
 * Rare (a closed shard's last page), so decoded generically by both parsers and checked here.
 */
export function childShardsFrom(value: unknown): ChildShard[] | undefined {
  if (!Array.isArray(value)) return undefined;
  return value.map((item: unknown) => {
    const child = (item ?? {}) as Record<string, unknown>;
    const range = (child.HashKeyRange ?? undefined) as Record<string, unknown> | undefined;
    const shard: ChildShard = {} as ChildShard;
    if (typeof child.ShardId === 'string') shard.ShardId = child.ShardId;
    if (Array.isArray(child.ParentShards))
      shard.ParentShards = child.ParentShards.filter((p) => typeof p === 'string');
    if (range && typeof range === 'object') {
      shard.HashKeyRange = {
        ...(typeof range.StartingHashKey === 'string' ? { StartingHashKey: range.StartingHashKey } : {}),
        ...(typeof range.EndingHashKey === 'string' ? { EndingHashKey: range.EndingHashKey } : {}),
      } as ChildShard['HashKeyRange'];
    }
    return shard;
  });
}
