import type { ShardCheckpoint, StoredCheckpoint } from '../../../functions/core/checkpoints/checkpoint-store';
import { CheckpointBook } from '../../../functions/core/consumer/checkpoint-book';

const seq = (sequenceNumber: string): ShardCheckpoint => ({ kind: 'sequence', sequenceNumber });
const stored = (
  subtaskIndex: number,
  entries: [string, ShardCheckpoint][],
  generation = 1,
): StoredCheckpoint => ({
  subtaskIndex,
  generation,
  writtenAt: 0,
  shards: new Map(entries),
});
const listed = () => true;

describe('CheckpointBook', () => {
  it('keeps writing a handed-over shard until its new owner has stored a position at least as far', () => {
    // Parallelism 1 -> 2: subtask 0 held a and b; now subtask 1 owns b.
    const book = new CheckpointBook(0, [
      stored(0, [
        ['s/a', seq('10')],
        ['s/b', seq('20')],
      ]),
    ]);
    const first = book.valueToWrite(new Map([['s/a', seq('11')]]), listed, 1);
    expect(first.shards).toEqual(
      new Map([
        ['s/a', seq('11')],
        ['s/b', seq('20')],
      ]),
    );
    book.markDurable(first);

    book.reload([stored(0, [...first.shards]), stored(1, [['s/b', seq('19')]])]);
    expect(book.valueToWrite(new Map([['s/a', seq('11')]]), listed, 2).shards.has('s/b')).toBe(true);

    book.reload([stored(0, [...first.shards]), stored(1, [['s/b', seq('25')]])]);
    const later = book.valueToWrite(new Map([['s/a', seq('12')]]), listed, 3);
    expect(later.shards).toEqual(new Map([['s/a', seq('12')]]));
  });

  it('drops a carried entry once its shard is no longer listed', () => {
    const book = new CheckpointBook(0, [stored(0, [['s/old', { kind: 'shard-end' }]])]);
    expect(book.valueToWrite(new Map(), (key) => key !== 's/old', 1).shards.size).toBe(0);
  });

  it('resumes an owned shard from the furthest position any subtask stored', () => {
    const book = new CheckpointBook(2, [stored(0, [['s/a', seq('30')]]), stored(1, [['s/a', seq('40')]])]);
    expect(book.checkpointOf('s/a')).toEqual(seq('40'));
    expect(book.valueToWrite(new Map([['s/a', undefined]]), listed, 1).shards.get('s/a')).toEqual(seq('40'));
  });

  it('does not carry its own entries of a generation older than the newest (an operator reset them)', () => {
    const book = new CheckpointBook(0, [
      stored(0, [['s/a', seq('99')]], 1),
      stored(1, [['s/a', seq('5')]], 2),
    ]);
    expect(book.generation).toBe(2);
    expect(book.checkpointOf('s/a')).toEqual(seq('5'));
    expect(book.valueToWrite(new Map(), listed, 1).shards.size).toBe(0);
  });

  it('tells whether a value would change what is stored', () => {
    const book = new CheckpointBook(0, [stored(0, [['s/a', seq('1')]])]);
    expect(book.differsFromDurable(book.valueToWrite(new Map([['s/a', seq('1')]]), listed, 9))).toBe(false);
    expect(book.differsFromDurable(book.valueToWrite(new Map([['s/a', seq('2')]]), listed, 9))).toBe(true);
  });

  it('knows a stream has been started once any of its shards has a position', () => {
    const book = new CheckpointBook(0, [stored(1, [['orders/shardId-000000000003', seq('1')]])]);
    expect(book.hasStream('orders')).toBe(true);
    expect(book.hasStream('order')).toBe(false);
  });
});
