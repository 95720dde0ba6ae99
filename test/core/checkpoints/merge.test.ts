import fc from 'fast-check';
import type { ShardCheckpoint, StoredCheckpoint } from '../../../functions/core/checkpoints/checkpoint-store';
import {
  compareCheckpoints,
  compareSequenceNumbers,
  mergeCheckpoints,
} from '../../../functions/core/checkpoints/merge';

const seq = (sequenceNumber: string, subSequenceNumber?: number): ShardCheckpoint =>
  subSequenceNumber === undefined
    ? { kind: 'sequence', sequenceNumber }
    : { kind: 'sequence', sequenceNumber, subSequenceNumber };

function stored(
  subtaskIndex: number,
  generation: number,
  entries: [string, ShardCheckpoint][],
): StoredCheckpoint {
  return { subtaskIndex, generation, writtenAt: 0, shards: new Map(entries) };
}

describe('compareSequenceNumbers', () => {
  it('orders decimal strings as the numbers they are', () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: 0n, max: 1n << 190n }),
        fc.bigInt({ min: 0n, max: 1n << 190n }),
        (a, b) => {
          expect(Math.sign(compareSequenceNumbers(a.toString(), b.toString()))).toBe(
            a < b ? -1 : a > b ? 1 : 0,
          );
        },
      ),
    );
  });
});

describe('compareCheckpoints', () => {
  it('ranks pinned < sequence < shard end, a partial aggregate before the whole record, an earlier pin further', () => {
    const ordered: ShardCheckpoint[] = [
      { kind: 'pinned', timestampMillis: 2000 },
      { kind: 'pinned', timestampMillis: 1000 },
      seq('99'),
      seq('100', 0),
      seq('100', 5),
      seq('100'),
      seq('101', 0),
      { kind: 'shard-end' },
    ];
    for (let i = 0; i < ordered.length; i++) {
      for (let j = 0; j < ordered.length; j++) {
        expect(
          Math.sign(compareCheckpoints(ordered[i] as ShardCheckpoint, ordered[j] as ShardCheckpoint)),
        ).toBe(Math.sign(i - j));
      }
    }
  });
});

describe('mergeCheckpoints', () => {
  it('keeps the furthest position of each shard whichever subtask wrote it', () => {
    const merged = mergeCheckpoints([
      stored(0, 1, [
        ['s/a', seq('100')],
        ['s/b', seq('500')],
      ]),
      stored(1, 1, [
        ['s/a', seq('200')],
        ['s/c', { kind: 'shard-end' }],
      ]),
      stored(2, 1, [
        ['s/b', seq('499')],
        ['s/c', seq('900')],
      ]),
    ]);
    expect(merged.get('s/a')).toEqual({ checkpoint: seq('200'), generation: 1, subtaskIndex: 1 });
    expect(merged.get('s/b')).toEqual({ checkpoint: seq('500'), generation: 1, subtaskIndex: 0 });
    expect(merged.get('s/c')?.checkpoint).toEqual({ kind: 'shard-end' });
  });

  it('lets a higher generation win over any position of a lower one', () => {
    const merged = mergeCheckpoints([
      stored(0, 1, [['s/a', { kind: 'shard-end' }]]),
      stored(1, 2, [['s/a', seq('5')]]),
    ]);
    expect(merged.get('s/a')).toEqual({ checkpoint: seq('5'), generation: 2, subtaskIndex: 1 });
  });
});
