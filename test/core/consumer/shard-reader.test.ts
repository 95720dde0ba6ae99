import { Logger } from '@aws-lambda-powertools/logger';
import type { _Record } from '@aws-sdk/client-kinesis';
import { ShardDelivery } from '../../../functions/core/consumer/delivery';
import { stringDeserializer } from '../../../functions/core/consumer/deserializers';
import { ShardReader, type ShardReaderSettings } from '../../../functions/core/consumer/shard-reader';
import type { ConsumerRecord, StartingPosition } from '../../../functions/core/consumer/types';
import { RetriesExhaustedError } from '../../../functions/core/errors';
import { FakeClock } from '../../../functions/core/time/clock';
import { evenShards, FakeKinesis, silentLogger } from './helpers';

const SHARD = 'shardId-000000000000';
const backoff = { maxRetries: 3, baseMillis: 300, maxMillis: 1000, expConst: 1.5 };
const settings: ShardReaderSettings = {
  maxRecordsPerCall: 10,
  intervalMillis: 200,
  getRecordsBackoff: backoff,
  getShardIteratorBackoff: backoff,
  limits: { callsPerSecond: 5, bytesPerSecond: 2 * 1024 * 1024 },
};

interface Setup {
  readonly clock: FakeClock;
  readonly kinesis: FakeKinesis;
  readonly received: ConsumerRecord<string>[];
  readonly stop: AbortController;
  readonly reader: ShardReader<string>;
  readonly delivery: ShardDelivery<string>;
}

function setup(
  options: {
    start?: StartingPosition;
    settings?: Partial<ShardReaderSettings>;
    onBatch?: (records: ConsumerRecord<string>[], s: Setup) => Promise<void> | void;
    stopAfterRecords?: number;
  } = {},
): Setup {
  const clock = new FakeClock(Date.UTC(2026, 0, 1), { autoAdvance: true });
  const kinesis = new FakeKinesis(clock);
  const received: ConsumerRecord<string>[] = [];
  const stop = new AbortController();
  const s = { clock, kinesis, received, stop } as Partial<Setup> as Setup;
  const delivery = new ShardDelivery<string>({
    stream: 'orders',
    shardId: SHARD,
    subtaskIndex: 0,
    settings: { batchSize: 4, maxBatchingMillis: 0, backoff },
    clock,
    random: () => 1,
    logger: silentLogger(),
    signal: stop.signal,
    handler: async (records) => {
      received.push(...records);
      await options.onBatch?.(records, s);
      if (options.stopAfterRecords !== undefined && received.length >= options.stopAfterRecords) stop.abort();
    },
  });
  const reader = new ShardReader<string>({
    api: kinesis,
    shard: evenShards('orders', 1)[0]!,
    start: options.start ?? { type: 'TRIM_HORIZON' },
    delivery,
    deserializer: stringDeserializer,
    settings: { ...settings, ...options.settings },
    clock,
    random: () => 1,
    logger: silentLogger(),
    stop: stop.signal,
  });
  return Object.assign(s, { reader, delivery });
}

const data = (records: ConsumerRecord<string>[]) => records.map((r) => r.data);
const expected = (from: number, to: number) =>
  Array.from({ length: to - from }, (_, i) => `${SHARD}#${from + i}`);

describe('ShardReader', () => {
  it('delivers every record in order, then stops on the signal with its position at the last record', async () => {
    const s = setup({ stopAfterRecords: 25 });
    s.kinesis.addRecords(SHARD, 25);
    await expect(s.reader.run()).resolves.toBe('stopped');
    expect(data(s.received)).toEqual(expected(0, 25));
    expect(s.delivery.committed).toEqual({ kind: 'sequence', sequenceNumber: '1024' });
  });

  it('starts GetRecords calls at least the interval apart', async () => {
    const s = setup({ stopAfterRecords: 50 });
    s.kinesis.addRecords(SHARD, 50);
    await s.reader.run();
    const starts = s.kinesis.calls.filter((c) => c.operation === 'GetRecords').map((c) => c.at);
    expect(starts.length).toBe(5);
    for (let i = 1; i < starts.length; i++) expect(starts[i]! - starts[i - 1]!).toBeGreaterThanOrEqual(200);
  });

  it('never makes more than 5 GetRecords calls in any second, even with no interval', async () => {
    const s = setup({ settings: { intervalMillis: 0, maxRecordsPerCall: 1 }, stopAfterRecords: 30 });
    s.kinesis.addRecords(SHARD, 30);
    await s.reader.run();
    const starts = s.kinesis.calls.filter((c) => c.operation === 'GetRecords').map((c) => c.at);
    expect(starts.length).toBeGreaterThanOrEqual(30);
    for (let i = 5; i < starts.length; i++) expect(starts[i]! - starts[i - 5]!).toBeGreaterThanOrEqual(1000);
  });

  it('ends a closed shard after delivering all of it and marks the position shard end', async () => {
    const s = setup();
    s.kinesis.addRecords(SHARD, 13, { closed: true });
    await expect(s.reader.run()).resolves.toBe('shard-end');
    expect(data(s.received)).toEqual(expected(0, 13));
    expect(s.delivery.committed).toEqual({ kind: 'shard-end' });
  });

  it('re-acquires an expired iterator after the last record read, without counting it as a retry', async () => {
    let slowOnce = true;
    const s = setup({
      settings: { getRecordsBackoff: { ...backoff, maxRetries: 0 } },
      stopAfterRecords: 30,
      onBatch: async (_records, st) => {
        // A handler that takes longer than the 5-minute iterator lifetime.
        if (slowOnce) {
          slowOnce = false;
          await st.clock.sleep(301_000);
        }
      },
    });
    s.kinesis.addRecords(SHARD, 30);
    await s.reader.run();
    expect(data(s.received)).toEqual(expected(0, 30));
    expect(s.reader.stats.expiredIterators).toBe(1);
    const reacquire = s.kinesis.calls.filter((c) => c.operation === 'GetShardIterator')[1];
    expect(reacquire?.input).toMatchObject({
      ShardIteratorType: 'AFTER_SEQUENCE_NUMBER',
      StartingSequenceNumber: '1009',
    });
  });

  it('backs off on throttling and carries on', async () => {
    const s = setup({ stopAfterRecords: 10 });
    s.kinesis.addRecords(SHARD, 10);
    s.kinesis.fail('GetRecords', 'ProvisionedThroughputExceededException', 3);
    await s.reader.run();
    expect(data(s.received)).toEqual(expected(0, 10));
    expect(s.reader.stats.throttledCalls).toBe(3);
    const starts = s.kinesis.calls.filter((c) => c.operation === 'GetRecords').map((c) => c.at);
    // random() = 1: full delays of 300, 450 and 675 ms between the attempts.
    expect(starts.slice(1, 4).map((t, i) => t - starts[i]!)).toEqual([300, 450, 675]);
  });

  it('fails with RetriesExhaustedError once GetRecords retries run out', async () => {
    const s = setup();
    s.kinesis.addRecords(SHARD, 10);
    s.kinesis.fail('GetRecords', 'ProvisionedThroughputExceededException', 4);
    await expect(s.reader.run()).rejects.toThrow(RetriesExhaustedError);
    expect(s.received).toEqual([]);
  });

  it('retries GetShardIterator with its own backoff', async () => {
    const s = setup({ stopAfterRecords: 3 });
    s.kinesis.addRecords(SHARD, 3);
    s.kinesis.fail('GetShardIterator', 'LimitExceededException', 2);
    await s.reader.run();
    expect(data(s.received)).toEqual(expected(0, 3));
    expect(s.kinesis.calls.filter((c) => c.operation === 'GetShardIterator')).toHaveLength(3);
  });

  it('starts after a sequence number when resuming from a checkpoint', async () => {
    const s = setup({
      start: { type: 'AFTER_SEQUENCE_NUMBER', sequenceNumber: '1004' },
      stopAfterRecords: 5,
    });
    s.kinesis.addRecords(SHARD, 10);
    await s.reader.run();
    expect(data(s.received)).toEqual(expected(5, 10));
  });

  it('skips records the deserializer drops and still moves the position past them', async () => {
    const s = setup();
    s.kinesis.addRecords(SHARD, 6, { closed: false });
    const stop = s.stop;
    const reader = new ShardReader<string>({
      api: s.kinesis,
      shard: evenShards('orders', 1)[0]!,
      start: { type: 'TRIM_HORIZON' },
      delivery: s.delivery,
      deserializer: (input) => (Number(input.sequenceNumber) % 2 ? undefined : stringDeserializer(input)),
      settings,
      clock: s.clock,
      random: () => 1,
      logger: silentLogger(),
      stop: stop.signal,
    });
    void s.clock.sleep(1000).then(() => stop.abort());
    await reader.run();
    expect(s.received.map((r) => r.sequenceNumber)).toEqual(['1000', '1002', '1004']);
    expect(s.delivery.committed).toEqual({ kind: 'sequence', sequenceNumber: '1005' });
  });

  it('delivers a plain record with exactly its own fields, and one that only looks aggregated whole, with a warning', async () => {
    const s = setup({ stopAfterRecords: 3 });
    const warn = jest.spyOn(Logger.prototype, 'warn');
    try {
      s.kinesis.addRecords(SHARD, 1, { partitionKey: 'plain' });
      const arrival = new Date(Date.UTC(2026, 0, 1, 0, 0, 1));
      // The KPL magic bytes followed by too little to be an aggregated record.
      const looksAggregated = Uint8Array.of(0xf3, 0x89, 0x9a, 0xc2, 0x61);
      s.kinesis.shards.get(SHARD)!.records.push(
        {
          SequenceNumber: '2000',
          PartitionKey: 'magic',
          Data: looksAggregated,
          ApproximateArrivalTimestamp: arrival,
        },
        // No arrival time (optional in the SDK's types) and no data (which a parser may leave out).
        { SequenceNumber: '2001', PartitionKey: 'bare' } as _Record,
      );
      await s.reader.run();
      expect(s.received[0]).toStrictEqual({
        stream: 'orders',
        shardId: SHARD,
        sequenceNumber: '1000',
        partitionKey: 'plain',
        approximateArrivalTimestamp: new Date(Date.UTC(2026, 0, 1)),
        eventTime: new Date(Date.UTC(2026, 0, 1)),
        data: `${SHARD}#0`,
      });
      expect(s.received[1]).toStrictEqual({
        stream: 'orders',
        shardId: SHARD,
        sequenceNumber: '2000',
        partitionKey: 'magic',
        approximateArrivalTimestamp: arrival,
        eventTime: arrival,
        data: new TextDecoder().decode(looksAggregated),
      });
      expect(s.received[2]).toStrictEqual({
        stream: 'orders',
        shardId: SHARD,
        sequenceNumber: '2001',
        partitionKey: 'bare',
        approximateArrivalTimestamp: new Date(0),
        eventTime: new Date(0),
        data: '',
      });
      expect(warn).toHaveBeenCalledTimes(1);
      expect(warn.mock.calls[0]![1]).toMatchObject({ sequenceNumber: '2000', reason: 'too-short' });
      expect(s.reader.stats).toMatchObject({ kinesisRecords: 3, userRecords: 3 });
      expect(s.delivery.committed).toEqual({ kind: 'sequence', sequenceNumber: '2001' });
    } finally {
      warn.mockRestore();
    }
  });

  it('delivers the sub-records of KPL aggregated records and checkpoints inside one when a batch ends there', async () => {
    const groups = [Array.from({ length: 6 }, (_, i) => `a${i}`), ['b0', 'b1', 'b2']];
    const positions: unknown[] = [];
    const s = setup({
      stopAfterRecords: 9,
      onBatch: (_records, st) => void positions.push(st.delivery.committed),
    });
    s.kinesis.addAggregated(SHARD, groups);
    await s.reader.run();
    // What was committed before each batch: nothing, then 4 sub-records into the first aggregate.
    expect(positions.slice(0, 2)).toEqual([
      undefined,
      { kind: 'sequence', sequenceNumber: '1000', subSequenceNumber: 3 },
    ]);
    expect(s.received.map((r) => [r.data, r.sequenceNumber, r.subSequenceNumber])).toEqual([
      ...groups[0]!.map((d, i) => [d, '1000', i]),
      ...groups[1]!.map((d, i) => [d, '1001', i]),
    ]);
    expect(s.delivery.committed).toEqual({ kind: 'sequence', sequenceNumber: '1001' });
  });

  it('resumes inside an aggregated record AT its sequence number, skipping the sub-records already delivered', async () => {
    const s = setup({
      start: { type: 'AT_SEQUENCE_NUMBER', sequenceNumber: '1000' },
      stopAfterRecords: 5,
    });
    s.kinesis.addAggregated(SHARD, [
      ['a0', 'a1', 'a2', 'a3', 'a4', 'a5'],
      ['b0', 'b1', 'b2'],
    ]);
    const reader = new ShardReader<string>({
      api: s.kinesis,
      shard: evenShards('orders', 1)[0]!,
      start: { type: 'AT_SEQUENCE_NUMBER', sequenceNumber: '1000' },
      skipThrough: { sequenceNumber: '1000', subSequenceNumber: 3 },
      delivery: s.delivery,
      deserializer: stringDeserializer,
      settings,
      clock: s.clock,
      random: () => 1,
      logger: silentLogger(),
      stop: s.stop.signal,
    });
    await reader.run();
    expect(s.received.map((r) => r.data)).toEqual(['a4', 'a5', 'b0', 'b1', 'b2']);
  });

  it('records a partial position when a sub-record of an aggregated record keeps failing', async () => {
    const s = setup({
      onBatch: (records) => {
        if (records.some((r) => r.data === 'a5')) throw new Error('rejected');
      },
    });
    s.kinesis.addAggregated(SHARD, [['a0', 'a1', 'a2', 'a3', 'a4', 'a5', 'a6']]);
    await expect(s.reader.run()).rejects.toThrow(/rejected/);
    // Bisection delivers a0..a4 before stopping at a5 (there is no on-failure destination).
    expect(s.delivery.committed).toEqual({ kind: 'sequence', sequenceNumber: '1000', subSequenceNumber: 4 });
  });
});
