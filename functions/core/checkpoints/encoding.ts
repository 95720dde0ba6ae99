import { ValidationError } from '../errors';
import type { CheckpointValue, ShardCheckpoint, ShardKey } from './checkpoint-store';
import { parseShardKey, shardKey } from './checkpoint-store';

/*
 * A checkpoint value as text, compact enough that about 110 shards fit one 4 KB SSM standard value:
 *
 *   1|<generation>|<writtenAt base 36>;<stream>:<shard>=<position>,<shard>=<position>;<stream>:...
 *
 * - shard: `shardId-000000000042` is written as the base-36 number (`16`); any other id as `!<id>`.
 * - position: `*` shard end; `@<ms base 36>` pinned start time; otherwise the sequence number in
 *   base 64 (URL alphabet, 31 characters for Kinesis's 56 digits), then `.<sub base 36>` when an
 *   aggregated record is partly delivered.
 * Stream names and shard ids are [a-zA-Z0-9_.-], so `|;:=,!*` never occur inside them; a stream given
 * by ARN is stored as `<name>@<account>` (checkpointStreamKey), whose `@` is read only before the `:`.
 */

const FORMAT_VERSION = '1';
const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const B64_INDEX = new Map([...B64].map((c, i) => [c, BigInt(i)]));
const SHORT_SHARD_ID = /^shardId-(\d{12})$/;
const SEQUENCE_NUMBER = /^(0|[1-9]\d*)$/;
const NAME = /^[a-zA-Z0-9_.-]+$/;
const STREAM_KEY = /^[a-zA-Z0-9_.-]+(@\d{12})?$/;

export function encodeCheckpointValue(value: CheckpointValue): string {
  return encodeHeader(value) + encodeBody(value.shards);
}

/** The value without its header, to tell whether the positions changed since the last write. */
export function encodeBody(shards: ReadonlyMap<ShardKey, ShardCheckpoint>): string {
  return joinEntries(encodeEntries(shards));
}

interface EncodedEntry {
  readonly streamName: string;
  readonly text: string;
}

function encodeEntries(shards: ReadonlyMap<ShardKey, ShardCheckpoint>): EncodedEntry[] {
  return [...shards.keys()].sort().map((key) => {
    const { streamName, shardId } = parseShardKey(key);
    if (!STREAM_KEY.test(streamName) || !NAME.test(shardId)) {
      throw new ValidationError(
        `Cannot store a checkpoint for stream "${streamName}" shard "${shardId}": stream names and shard ids ` +
          'may only contain letters, digits, "_", "." and "-".',
        'shardKey',
      );
    }
    return {
      streamName,
      text: `${encodeShardId(shardId)}=${encodePosition(shards.get(key) as ShardCheckpoint)}`,
    };
  });
}

function joinEntries(entries: readonly EncodedEntry[]): string {
  let body = '';
  let stream: string | undefined;
  for (const entry of entries) {
    body += entry.streamName === stream ? `,${entry.text}` : `;${entry.streamName}:${entry.text}`;
    stream = entry.streamName;
  }
  return body;
}

function encodeHeader(value: Pick<CheckpointValue, 'generation' | 'writtenAt'>): string {
  return `${FORMAT_VERSION}|${value.generation.toString(36)}|${Math.round(value.writtenAt).toString(36)}`;
}

/** Parses a stored value; `source` (e.g. the parameter name) goes into the error message. */
export function decodeCheckpointValue(text: string, source: string): CheckpointValue {
  const fail = (why: string): never => {
    throw new ValidationError(
      `The checkpoint stored in ${source} cannot be read: ${why}. Restore it from its parameter history ` +
        'or reset the consumer.',
      source,
    );
  };
  const [header = '', ...streams] = text.split(';');
  const [version, generationText, writtenAtText] = header.split('|');
  if (version !== FORMAT_VERSION) fail(`unknown format version "${version}"`);
  const generation = parseInt(generationText ?? '', 36);
  const writtenAt = parseInt(writtenAtText ?? '', 36);
  if (!Number.isSafeInteger(generation) || !Number.isSafeInteger(writtenAt)) fail('its header is malformed');
  const shards = new Map<ShardKey, ShardCheckpoint>();
  for (const group of streams) {
    const colon = group.indexOf(':');
    const streamName = group.slice(0, colon);
    if (colon <= 0 || !STREAM_KEY.test(streamName))
      fail(`a stream entry is malformed ("${group.slice(0, 40)}")`);
    for (const entry of group.slice(colon + 1).split(',')) {
      const eq = entry.indexOf('=');
      if (eq <= 0) fail(`a shard entry is malformed ("${entry}")`);
      const shardId = decodeShardId(entry.slice(0, eq));
      const position = decodePosition(entry.slice(eq + 1));
      if (!shardId || !position) fail(`a shard entry is malformed ("${entry}")`);
      shards.set(shardKey(streamName, shardId as string), position as ShardCheckpoint);
    }
  }
  return { generation, writtenAt, shards };
}

/**
 * Splits a value into as few encoded parts as fit `maxBytes` each; every part carries the header,
 * so each one decodes on its own.
 */
export function encodeCheckpointParts(value: CheckpointValue, maxBytes: number): string[] {
  const header = encodeHeader(value);
  const parts: EncodedEntry[][] = [[]];
  let size = header.length;
  let stream: string | undefined;
  for (const entry of encodeEntries(value.shards)) {
    // All characters are ASCII, so length is the byte count.
    const cost =
      entry.streamName === stream ? entry.text.length + 1 : entry.streamName.length + entry.text.length + 2;
    if (size + cost <= maxBytes) {
      (parts[parts.length - 1] as EncodedEntry[]).push(entry);
      size += cost;
      stream = entry.streamName;
      continue;
    }
    const fresh = header.length + entry.streamName.length + entry.text.length + 2;
    if (fresh > maxBytes) {
      throw new ValidationError(
        `The checkpoint of stream "${entry.streamName}" does not fit ${maxBytes} bytes; use a shorter stream name.`,
        'streamName',
      );
    }
    parts.push([entry]);
    size = fresh;
    stream = entry.streamName;
  }
  return parts.map((entries) => header + joinEntries(entries));
}

function encodeShardId(shardId: string): string {
  const match = SHORT_SHARD_ID.exec(shardId);
  return match ? parseInt(match[1] as string, 10).toString(36) : `!${shardId}`;
}

function decodeShardId(text: string): string | undefined {
  if (text.startsWith('!')) return text.length > 1 ? text.slice(1) : undefined;
  if (!/^[0-9a-z]+$/.test(text)) return undefined;
  return `shardId-${parseInt(text, 36).toString().padStart(12, '0')}`;
}

function encodePosition(position: ShardCheckpoint): string {
  switch (position.kind) {
    case 'shard-end':
      return '*';
    case 'pinned':
      return `@${Math.round(position.timestampMillis).toString(36)}`;
    case 'sequence': {
      if (!SEQUENCE_NUMBER.test(position.sequenceNumber)) {
        throw new ValidationError(
          `Sequence number "${position.sequenceNumber}" is not a decimal number; Kinesis sequence numbers are.`,
          'sequenceNumber',
        );
      }
      const sub = position.subSequenceNumber;
      return toBase64(position.sequenceNumber) + (sub === undefined ? '' : `.${sub.toString(36)}`);
    }
  }
}

function decodePosition(text: string): ShardCheckpoint | undefined {
  if (text === '*') return { kind: 'shard-end' };
  if (text.startsWith('@')) {
    const timestampMillis = parseInt(text.slice(1), 36);
    return Number.isSafeInteger(timestampMillis) ? { kind: 'pinned', timestampMillis } : undefined;
  }
  const [sequence = '', sub, extra] = text.split('.');
  if (extra !== undefined || !/^[A-Za-z0-9_-]+$/.test(sequence)) return undefined;
  const sequenceNumber = fromBase64(sequence);
  if (sub === undefined) return { kind: 'sequence', sequenceNumber };
  const subSequenceNumber = parseInt(sub, 36);
  if (!/^[0-9a-z]+$/.test(sub) || !Number.isSafeInteger(subSequenceNumber)) return undefined;
  return { kind: 'sequence', sequenceNumber, subSequenceNumber };
}

// BigInt is fine here: this runs once per shard per checkpoint write, not per record.
function toBase64(decimal: string): string {
  let n = BigInt(decimal);
  if (n === 0n) return 'A';
  let out = '';
  while (n > 0n) {
    out = B64[Number(n & 63n)] + out;
    n >>= 6n;
  }
  return out;
}

function fromBase64(text: string): string {
  let n = 0n;
  for (const c of text) n = (n << 6n) | (B64_INDEX.get(c) as bigint);
  return n.toString();
}
