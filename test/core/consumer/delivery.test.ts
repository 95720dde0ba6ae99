import type { ShardCheckpoint } from '../../../functions/core/checkpoints/checkpoint-store';
import { ShardDelivery, type DeliverySettings } from '../../../functions/core/consumer/delivery';
import type { BatchContext, ConsumerRecord } from '../../../functions/core/consumer/types';
import { DeliveryFailedError } from '../../../functions/core/errors';
import { FakeClock } from '../../../functions/core/time/clock';
import { silentLogger } from './helpers';

const settings: DeliverySettings = {
  batchSize: 3,
  maxBatchingMillis: 1000,
  backoff: { maxRetries: 2, baseMillis: 100, maxMillis: 1000, expConst: 2 },
};

function record(sequenceNumber: string): ConsumerRecord<string> {
  return {
    stream: 's',
    shardId: 'shardId-000000000000',
    sequenceNumber,
    partitionKey: 'k',
    approximateArrivalTimestamp: new Date(0),
    eventTime: new Date(0),
    data: `d${sequenceNumber}`,
  };
}

const at = (sequenceNumber: string): ShardCheckpoint => ({ kind: 'sequence', sequenceNumber });

function delivery(
  handler: (records: ConsumerRecord<string>[], context: BatchContext) => void | Promise<void>,
  clock = new FakeClock(0, { autoAdvance: true }),
) {
  return new ShardDelivery<string>({
    stream: 's',
    shardId: 'shardId-000000000000',
    subtaskIndex: 0,
    handler,
    settings,
    clock,
    random: () => 1,
    logger: silentLogger(),
    signal: new AbortController().signal,
  });
}

describe('ShardDelivery', () => {
  it('delivers full batches in order and commits the last delivered position', async () => {
    const batches: string[][] = [];
    const d = delivery((records) => void batches.push(records.map((r) => r.sequenceNumber)));
    for (const n of ['1', '2', '3', '4']) await d.add(record(n), at(n));
    expect(batches).toEqual([['1', '2', '3']]);
    expect(d.committed).toEqual(at('3'));
    expect(d.pendingCount).toBe(1);
    await d.flush();
    expect(batches).toEqual([['1', '2', '3'], ['4']]);
    expect(d.committed).toEqual(at('4'));
  });

  it('delivers batches larger than the arrays are first made for, and short batches, with exactly their records', async () => {
    // batchSize's whole range: past the slots a pending batch starts with, and cut short by flush.
    const batches: ConsumerRecord<string>[][] = [];
    const d = new ShardDelivery<string>({
      stream: 's',
      shardId: 'shardId-000000000000',
      subtaskIndex: 0,
      handler: (records) => void batches.push(records),
      settings: { ...settings, batchSize: 10_000 },
      clock: new FakeClock(0, { autoAdvance: true }),
      random: () => 1,
      logger: silentLogger(),
      signal: new AbortController().signal,
    });
    const numbers = (from: number, count: number) =>
      Array.from({ length: count }, (_, i) => String(from + i));
    for (const n of numbers(0, 10_003)) await d.add(record(n), at(n));
    expect(d.pendingCount).toBe(3);
    await d.flush();
    await d.add(record('x'), at('x'));
    await d.flush();
    expect(batches.map((b) => b.map((r) => r.sequenceNumber))).toEqual([
      numbers(0, 10_000),
      numbers(10_000, 3),
      ['x'],
    ]);
    for (const batch of batches) expect(Object.keys(batch)).toHaveLength(batch.length);
    expect(d.committed).toEqual(at('x'));
  });

  it('moves past skipped records, but not past an undelivered record before them', async () => {
    const d = delivery(() => undefined);
    await d.add(undefined, at('1'));
    expect(d.committed).toEqual(at('1'));
    await d.add(record('2'), at('2'));
    await d.add(undefined, at('3'));
    expect(d.committed).toEqual(at('1'));
    await d.flush();
    expect(d.committed).toEqual(at('3'));
  });

  it('says when a partial batch is due: max batching time after its first record', async () => {
    const clock = new FakeClock(5000);
    const d = delivery(() => undefined, clock);
    expect(d.dueAt).toBeUndefined();
    await d.add(record('1'), at('1'));
    await clock.advance(300);
    await d.add(record('2'), at('2'));
    expect(d.dueAt).toBe(6000);
  });

  it('retries a failing batch with backoff and delivers the same records again', async () => {
    const attempts: { seqs: string[]; attempt: number }[] = [];
    const d = delivery((records, context) => {
      attempts.push({ seqs: records.map((r) => r.sequenceNumber), attempt: context.attempt });
      if (attempts.length < 3) throw new Error('downstream busy');
    });
    await d.add(record('1'), at('1'));
    await d.flush();
    expect(attempts).toEqual([
      { seqs: ['1'], attempt: 0 },
      { seqs: ['1'], attempt: 1 },
      { seqs: ['1'], attempt: 2 },
    ]);
    expect(d.committed).toEqual(at('1'));
  });

  it('without an on-failure destination stops with DeliveryFailedError at the failing record, past the ones before it', async () => {
    const d = delivery((records) => {
      if (records.some((r) => r.sequenceNumber === '3')) throw new Error('poison');
    });
    await d.add(record('1'), at('1'));
    await d.flush();
    await d.add(record('2'), at('2'));
    await d.add(record('3'), at('3'));
    const failure = d.flush();
    await expect(failure).rejects.toThrow(DeliveryFailedError);
    await expect(failure).rejects.toThrow(
      /s\/shardId-000000000000 starting at sequence number 3 3 time\(s\): Error: poison.*Set consumer.onfailure.queueurl/,
    );
    expect(d.committed).toEqual(at('2'));
  });
});
