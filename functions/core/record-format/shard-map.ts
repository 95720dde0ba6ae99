import { hash } from 'node:crypto';
import { ValidationError } from '../errors';
import { HASH_KEY_HEX_DIGITS, decimalToHashKeyHex } from './hash-key';
import { isDecimalHashKey } from './validation';

/**
 * The parts of a ListShards `Shard` a shard map needs (structurally the SDK's `Shard`, so the
 * response can be passed as is).
 */
export interface ListedShard {
  readonly ShardId?: string;
  readonly HashKeyRange?: { readonly StartingHashKey?: string; readonly EndingHashKey?: string };
  readonly SequenceNumberRange?: {
    readonly StartingSequenceNumber?: string;
    readonly EndingSequenceNumber?: string;
  };
}

/** An open shard and its hash key range, in decimal (as Kinesis writes it) and in 32-digit hex. */
export interface ShardRange {
  readonly shardId: string;
  readonly startingHashKey: string;
  readonly endingHashKey: string;
  readonly startingHashKeyHex: string;
  readonly endingHashKeyHex: string;
}

const LAST_HASH_KEY_HEX = 'f'.repeat(HASH_KEY_HEX_DIGITS);
/** Buckets of the lookup index: one per value of a hash key's first 3 hex digits. */
const BUCKETS = 4096;
const HEX_HASH_KEY = /^[0-9a-f]{32}$/;
/** Value of each lower-case hex digit by character code. */
const HEX_DIGIT_VALUES = new Uint8Array(128);
for (let digit = 0; digit < 16; digit++) HEX_DIGIT_VALUES[digit.toString(16).charCodeAt(0)] = digit;
const FIRST_HASH_KEY_HEX = '0'.repeat(HASH_KEY_HEX_DIGITS);

/**
 * Predicts the shard a record lands on, from the open shards of a ListShards snapshot. Hash keys
 * are 32-digit lower-case hex strings, never BigInts, compared as strings (numeric order at equal
 * length). A 4,096-bucket index on a key's first 3 hex digits narrows the binary search to the
 * shards that can hold it: one or two for a stream split evenly into up to 4,096 shards.
 */
export class ShardMap {
  private readonly starts: string[];
  /** Per bucket b: the last shard starting below b x 2^116 (or 0); index 4,096 is the last shard. */
  private readonly bucketFirstShard: Int32Array;
  private readonly byId: Map<string, ShardRange>;

  private constructor(readonly shards: readonly ShardRange[]) {
    const starts = shards.map((shard) => shard.startingHashKeyHex);
    this.starts = starts;
    // The shard a bucket's first key falls in bounds the search from below; the next bucket's, from above.
    const first = new Int32Array(BUCKETS + 1);
    let shard = 0;
    for (let bucket = 0; bucket < BUCKETS; bucket++) {
      const bucketStart = bucket.toString(16).padStart(3, '0') + '0'.repeat(HASH_KEY_HEX_DIGITS - 3);
      while (shard + 1 < starts.length && starts[shard + 1]! < bucketStart) shard++;
      first[bucket] = shard;
    }
    first[BUCKETS] = starts.length - 1;
    this.bucketFirstShard = first;
    this.byId = new Map(shards.map((shard) => [shard.shardId, shard]));
  }

  /**
   * Builds the map from ListShards output, keeping open shards only (those without an ending
   * sequence number). Throws a ValidationError if the open shards do not cover the hash key space
   * exactly once (a snapshot taken mid-reshard): list the shards again.
   */
  static fromShards(shards: readonly ListedShard[] | undefined): ShardMap {
    const open: ShardRange[] = [];
    for (const [i, shard] of (shards ?? []).entries()) {
      if (shard.SequenceNumberRange?.EndingSequenceNumber !== undefined) continue;
      const shardId = shard.ShardId;
      if (typeof shardId !== 'string' || shardId.length === 0) {
        throw new ValidationError(`shards[${i}].ShardId must be a non-empty string.`, `shards[${i}].ShardId`);
      }
      const start = shard.HashKeyRange?.StartingHashKey;
      const end = shard.HashKeyRange?.EndingHashKey;
      for (const [name, value] of [
        ['StartingHashKey', start],
        ['EndingHashKey', end],
      ] as const) {
        if (!isDecimalHashKey(value)) {
          throw new ValidationError(
            `Shard ${shardId} has HashKeyRange.${name} ${JSON.stringify(value)}; a decimal from 0 to 2^128 - 1 is required.`,
            `shards[${i}].HashKeyRange.${name}`,
          );
        }
      }
      const startingHashKeyHex = decimalToHashKeyHex(start!);
      const endingHashKeyHex = decimalToHashKeyHex(end!);
      if (endingHashKeyHex < startingHashKeyHex) {
        throw new ValidationError(
          `Shard ${shardId} has a hash key range that ends before it starts.`,
          `shards[${i}]`,
        );
      }
      open.push({
        shardId,
        startingHashKey: start!,
        endingHashKey: end!,
        startingHashKeyHex,
        endingHashKeyHex,
      });
    }
    if (open.length === 0) {
      throw new ValidationError(
        'The stream has no open shards in the given ListShards output; list the shards again.',
        'shards',
      );
    }
    open.sort((a, b) =>
      a.startingHashKeyHex < b.startingHashKeyHex ? -1 : a.startingHashKeyHex > b.startingHashKeyHex ? 1 : 0,
    );
    checkCoverage(open);
    return new ShardMap(open);
  }

  /** Number of open shards. */
  get size(): number {
    return this.shards.length;
  }

  /** The open shard a record with this partition key (or explicit hash key, if given) lands on. */
  shardFor(partitionKey: string, explicitHashKey?: string): ShardRange {
    // MD5 inline rather than through hash-key.ts: this is the per-record path.
    return this.lookup(
      explicitHashKey === undefined ? hash('md5', partitionKey, 'hex') : decimalToHashKeyHex(explicitHashKey),
    );
  }

  /** The open shard whose range holds a hash key given as 32 lower-case hex digits. */
  shardForHashKeyHex(hashKeyHex: string): ShardRange {
    if (!HEX_HASH_KEY.test(hashKeyHex)) {
      throw new ValidationError(
        `A hash key must be 32 lower-case hex digits, but got ${JSON.stringify(hashKeyHex)}.`,
        'hashKeyHex',
      );
    }
    return this.lookup(hashKeyHex);
  }

  private lookup(hashKeyHex: string): ShardRange {
    const bucket =
      (HEX_DIGIT_VALUES[hashKeyHex.charCodeAt(0)]! << 8) |
      (HEX_DIGIT_VALUES[hashKeyHex.charCodeAt(1)]! << 4) |
      HEX_DIGIT_VALUES[hashKeyHex.charCodeAt(2)]!;
    const starts = this.starts;
    // Last shard whose start is at or below the key, between the bucket's bounds.
    let low = this.bucketFirstShard[bucket]!;
    let high = this.bucketFirstShard[bucket + 1]!;
    while (low < high) {
      const mid = (low + high + 1) >>> 1;
      if (starts[mid]! <= hashKeyHex) low = mid;
      else high = mid - 1;
    }
    return this.shards[low]!;
  }

  /** The shard with this id, if it is open. */
  get(shardId: string): ShardRange | undefined {
    return this.byId.get(shardId);
  }

  /**
   * An explicit hash key (decimal) inside an open shard's range, for an aggregated record bound for
   * it: the range's starting key, which needs no arithmetic and is inside the range by definition.
   * Takes the shard's id or its range as returned by `shardFor`.
   */
  explicitHashKeyFor(shard: string | ShardRange): string {
    const shardId = typeof shard === 'string' ? shard : shard.shardId;
    const range = this.byId.get(shardId);
    if (range === undefined) {
      throw new ValidationError(
        `Shard ${shardId} is not an open shard of this shard map; refresh the map from ListShards.`,
        'shardId',
      );
    }
    return range.startingHashKey;
  }
}

/** Throws unless the sorted ranges start at 0, end at 2^128 - 1 and each begins right after the last. */
function checkCoverage(sorted: readonly ShardRange[]): void {
  const fail = (detail: string) => {
    throw new ValidationError(
      `The open shards do not cover the hash key space exactly once: ${detail}. ` +
        'This happens with a ListShards snapshot taken during a reshard; list the shards again.',
      'shards',
    );
  };
  if (sorted[0]!.startingHashKeyHex !== FIRST_HASH_KEY_HEX)
    fail(`the lowest range starts at ${sorted[0]!.startingHashKey}`);
  for (let i = 1; i < sorted.length; i++) {
    const previous = sorted[i - 1]!;
    const current = sorted[i]!;
    if (BigInt(previous.endingHashKey) + 1n !== BigInt(current.startingHashKey)) {
      fail(
        `shard ${previous.shardId} ends at ${previous.endingHashKey} and shard ${current.shardId} starts at ${current.startingHashKey}`,
      );
    }
  }
  const last = sorted[sorted.length - 1]!;
  if (last.endingHashKeyHex !== LAST_HASH_KEY_HEX) fail(`the highest range ends at ${last.endingHashKey}`);
}
