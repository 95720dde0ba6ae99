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
const FIRST_HASH_KEY_HEX = '0'.repeat(HASH_KEY_HEX_DIGITS);

/**
 * Predicts the shard a record lands on, from the open shards of a ListShards snapshot. Hash keys
 * are 32-digit hex strings, never BigInts: a lookup binary-searches the ranges' starts by their
 * first 8 hex digits as a number, and compares whole hex strings (numeric order at equal length)
 * only when a start shares those digits with the key.
 */
export class ShardMap {
  private readonly starts: string[];
  private readonly startPrefixes: Float64Array;
  private readonly byId: Map<string, ShardRange>;

  private constructor(readonly shards: readonly ShardRange[]) {
    this.starts = shards.map((shard) => shard.startingHashKeyHex);
    this.startPrefixes = Float64Array.from(this.starts, hexPrefix);
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
    return this.shardForHashKeyHex(
      explicitHashKey === undefined ? hash('md5', partitionKey, 'hex') : decimalToHashKeyHex(explicitHashKey),
    );
  }

  /** The open shard whose range holds a 32-digit lower-case hex hash key. */
  shardForHashKeyHex(hashKeyHex: string): ShardRange {
    const prefixes = this.startPrefixes;
    const prefix = hexPrefix(hashKeyHex);
    // Last shard whose start's prefix is at or below the key's; the first start is 0, so one exists.
    let low = 0;
    let high = prefixes.length - 1;
    while (low < high) {
      const mid = (low + high + 1) >>> 1;
      if (prefixes[mid]! <= prefix) low = mid;
      else high = mid - 1;
    }
    // Starts sharing the key's prefix may still lie above the key: step down past them.
    if (prefixes[low] === prefix) {
      const starts = this.starts;
      while (low > 0 && starts[low]! > hashKeyHex) low--;
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

/** The first 8 hex digits of a 32-digit lower-case hash key, as a number (no allocation). */
function hexPrefix(hex: string): number {
  let value = 0;
  for (let i = 0; i < 8; i++) {
    const code = hex.charCodeAt(i);
    value = value * 16 + (code <= 0x39 ? code - 0x30 : code - 0x57);
  }
  return value;
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
