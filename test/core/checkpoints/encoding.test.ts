import fc from 'fast-check';
import type { CheckpointValue, ShardCheckpoint } from '../../../functions/core/checkpoints/checkpoint-store';
import {
  decodeCheckpointValue,
  encodeCheckpointParts,
  encodeCheckpointValue,
} from '../../../functions/core/checkpoints/encoding';
import { ValidationError } from '../../../functions/core/errors';

const STANDARD_TIER_BYTES = 4096;

/** A 56-digit sequence number like Kinesis's, varied by `seed`. */
function sequenceNumber(seed: number): string {
  return `4959033827149025660855969253836157109592157598913658${String(8898 + seed).padStart(4, '0')}`.slice(
    0,
    56,
  );
}

function value(entries: [string, ShardCheckpoint][], generation = 1): CheckpointValue {
  return { generation, writtenAt: Date.UTC(2026, 0, 1, 12), shards: new Map(entries) };
}

describe('checkpoint encoding', () => {
  it('round-trips every kind of position, long and odd shard ids included', () => {
    const original = value(
      [
        ['orders/shardId-000000000000', { kind: 'sequence', sequenceNumber: sequenceNumber(1) }],
        [
          'orders/shardId-000000000017',
          { kind: 'sequence', sequenceNumber: sequenceNumber(2), subSequenceNumber: 41 },
        ],
        ['orders/shardId-000000000003', { kind: 'shard-end' }],
        ['payments.v2/shardId-000000000001', { kind: 'pinned', timestampMillis: 1767268800123 }],
        ['payments.v2/custom_shard-id.9', { kind: 'sequence', sequenceNumber: '0' }],
      ],
      7,
    );
    const decoded = decodeCheckpointValue(encodeCheckpointValue(original), '/test/param');
    expect(decoded.generation).toBe(7);
    expect(decoded.writtenAt).toBe(original.writtenAt);
    expect(new Map(decoded.shards)).toEqual(new Map(original.shards));
  });

  it('round-trips any decimal sequence number and sub-sequence number', () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: 0n, max: (1n << 190n) - 1n }),
        fc.option(fc.integer({ min: 0, max: 2 ** 32 }), { nil: undefined }),
        (n, sub) => {
          const checkpoint: ShardCheckpoint =
            sub === undefined
              ? { kind: 'sequence', sequenceNumber: n.toString() }
              : { kind: 'sequence', sequenceNumber: n.toString(), subSequenceNumber: sub };
          const decoded = decodeCheckpointValue(
            encodeCheckpointValue(value([['s/shardId-000000000001', checkpoint]])),
            'p',
          );
          expect(decoded.shards.get('s/shardId-000000000001')).toEqual(checkpoint);
        },
      ),
    );
  });

  it('fits at least 100 shards of real-length sequence numbers in one 4 KB standard value', () => {
    const entries: [string, ShardCheckpoint][] = [];
    for (let i = 0; i < 110; i++) {
      entries.push([
        `clickstream-events-prod/shardId-${String(i * 3).padStart(12, '0')}`,
        {
          kind: 'sequence',
          sequenceNumber: sequenceNumber(i),
          subSequenceNumber: i % 2 ? 123 : undefined,
        } as ShardCheckpoint,
      ]);
    }
    const encoded = encodeCheckpointValue(value(entries));
    expect(Buffer.byteLength(encoded)).toBeLessThanOrEqual(STANDARD_TIER_BYTES);
    expect(encodeCheckpointParts(value(entries), STANDARD_TIER_BYTES)).toHaveLength(1);
  });

  it('splits a value that outgrows the limit into parts that each fit and decode on their own', () => {
    const entries: [string, ShardCheckpoint][] = [];
    for (let i = 0; i < 400; i++) {
      const stream = i % 2 ? 'orders' : 'payments';
      entries.push([
        `${stream}/shardId-${String(i).padStart(12, '0')}`,
        { kind: 'sequence', sequenceNumber: sequenceNumber(i) },
      ]);
    }
    const parts = encodeCheckpointParts(value(entries, 3), STANDARD_TIER_BYTES);
    expect(parts.length).toBeGreaterThanOrEqual(4);
    const seen = new Map<string, ShardCheckpoint>();
    for (const part of parts) {
      expect(Buffer.byteLength(part)).toBeLessThanOrEqual(STANDARD_TIER_BYTES);
      const decoded = decodeCheckpointValue(part, 'part');
      expect(decoded.generation).toBe(3);
      for (const [key, checkpoint] of decoded.shards) {
        expect(seen.has(key)).toBe(false);
        seen.set(key, checkpoint);
      }
    }
    expect(seen).toEqual(new Map(entries));
  });

  it('encodes an empty value as a header that decodes to no shards', () => {
    const parts = encodeCheckpointParts(value([]), STANDARD_TIER_BYTES);
    expect(parts).toHaveLength(1);
    expect(decodeCheckpointValue(parts[0] as string, 'p').shards.size).toBe(0);
  });

  it.each([
    ['an unknown version', '9|1|abc'],
    ['a malformed header', '1|x y|'],
    ['a shard entry without a position', '1|1|abc;orders:0'],
    ['a bad position', '1|1|abc;orders:0=$$'],
  ])('rejects %s with an error naming the parameter', (_what, text) => {
    expect(() => decodeCheckpointValue(text, '/app/checkpoints/subtask-2')).toThrow(ValidationError);
    expect(() => decodeCheckpointValue(text, '/app/checkpoints/subtask-2')).toThrow(
      /\/app\/checkpoints\/subtask-2/,
    );
  });

  it('refuses a sequence number that is not decimal', () => {
    expect(() =>
      encodeCheckpointValue(value([['s/shardId-000000000001', { kind: 'sequence', sequenceNumber: '12a' }]])),
    ).toThrow(/Sequence number "12a"/);
  });
});
