import {
  buildEntries,
  planRuns,
  RequestCollector,
  type Entry,
  type PendingRecord,
} from '../../../functions/core/producer/batcher';
import { DEFAULT_PRODUCER_OPTIONS } from '../../../functions/core/producer/options';
import { deaggregate } from '../../../functions/core/record-format';

const target = { stream: 's', shardId: 'shardId-000000000001', explicitHashKey: '12345', mapVersion: 3 };

function records(count: number, bytes: number, group?: (i: number) => string | undefined): PendingRecord[] {
  return Array.from({ length: count }, (_, i) => {
    const data = Buffer.alloc(bytes, i % 251);
    const partitionKey = `key-${i % 7}`;
    const g = group?.(i);
    return {
      index: i,
      messageId: `m${i}`,
      stream: 's',
      partitionKey,
      data,
      size: data.length + partitionKey.length,
      ...(g !== undefined ? { group: g } : {}),
      sentAt: 1000 + i,
      expiresAt: 31000 + i,
    };
  });
}

function userRecordsOf(entries: readonly Entry[]) {
  return entries.flatMap((e) =>
    deaggregate({ partitionKey: e.request.PartitionKey ?? '', data: e.request.Data ?? new Uint8Array() }),
  );
}

describe('buildEntries', () => {
  it('sends every record on its own when aggregation is off', () => {
    const input = records(5, 10);
    const entries = buildEntries(input, target, { ...DEFAULT_PRODUCER_OPTIONS, aggregationEnabled: false });
    expect(entries.map((e) => e.aggregated)).toEqual([false, false, false, false, false]);
    expect(entries.map((e) => e.request.PartitionKey)).toEqual(input.map((r) => r.partitionKey));
    expect(entries.every((e) => e.request.ExplicitHashKey === undefined)).toBe(true);
  });

  it('aggregates in order within AggregationMaxSize, with the outer hash key in the target shard', () => {
    const input = records(300, 500);
    const entries = buildEntries(input, target, DEFAULT_PRODUCER_OPTIONS);
    expect(entries.length).toBeGreaterThan(1);
    for (const entry of entries) {
      expect(entry.aggregated).toBe(true);
      expect(entry.request.ExplicitHashKey).toBe('12345');
      expect(entry.request.Data?.length).toBeLessThanOrEqual(51200);
      expect(entry.size).toBe(
        (entry.request.Data?.length ?? 0) + Buffer.byteLength(entry.request.PartitionKey ?? ''),
      );
      expect(entry.expiresAt).toBe(Math.min(...entry.records.map((r) => r.expiresAt)));
    }
    // Membership matches content: the records each entry claims are the ones it encodes, in order.
    expect(entries.flatMap((e) => e.records.map((r) => r.index))).toEqual(input.map((r) => r.index));
    const decoded = userRecordsOf(entries);
    expect(decoded.map((u) => u.partitionKey)).toEqual(input.map((r) => r.partitionKey));
    expect(decoded.every((u, i) => Buffer.from(u.data).equals(input[i]?.data ?? Buffer.alloc(0)))).toBe(true);
  });

  it('respects AggregationMaxCount and sends an aggregate of one as the plain record', () => {
    const input = records(7, 10);
    const entries = buildEntries(input, target, { ...DEFAULT_PRODUCER_OPTIONS, aggregationMaxCount: 3 });
    expect(entries.map((e) => e.records.length)).toEqual([3, 3, 1]);
    const last = entries[2];
    expect(last?.aggregated).toBe(false);
    expect(last?.request.PartitionKey).toBe(input[6]?.partitionKey);
    expect(Buffer.from(last?.request.Data ?? []).equals(input[6]?.data ?? Buffer.alloc(1))).toBe(true);
  });

  it('sends a record too big to aggregate on its own', () => {
    const input = [...records(2, 100), ...records(1, 60000).map((r) => ({ ...r, index: 2 }))];
    const entries = buildEntries(input, target, DEFAULT_PRODUCER_OPTIONS);
    expect(entries.map((e) => [e.aggregated, e.records.length])).toEqual([
      [true, 2],
      [false, 1],
    ]);
  });
});

describe('planRuns', () => {
  const item = (r: PendingRecord, shardKey: string) => ({ record: r, shardKey });

  it('puts ungrouped records of one shard in one run, whatever lies between', () => {
    const [a, b, c] = records(3, 1);
    const runs = planRuns([item(a!, 'A'), item(b!, 'B'), item(c!, 'A')]);
    expect(runs.map((run) => run.map((i) => i.record.index))).toEqual([[0, 2], [1]]);
  });

  it('splits a FIFO group into runs of consecutive records on one shard, never mixing groups', () => {
    const rs = records(6, 1, (i) => (i === 4 ? 'h' : 'g'));
    const shards = ['A', 'A', 'B', 'A', 'A', 'A'];
    const runs = planRuns(rs.map((r, i) => item(r, shards[i]!)));
    expect(runs.map((run) => run.map((i) => i.record.index))).toEqual([[0, 1], [2], [3, 5], [4]]);
  });
});

describe('RequestCollector', () => {
  const work = (size: number) => ({ entry: { size } as Entry });

  it('closes a request at CollectionMaxCount or CollectionMaxSize, and takes anything into an empty one', () => {
    const collector = new RequestCollector<{ entry: Entry }>({
      collectionMaxCount: 3,
      collectionMaxSizeBytes: 100,
    });
    for (const size of [10, 10, 10, 10, 95, 200]) {
      const w = work(size);
      if (!collector.fits(w)) collector.close();
      collector.add(w);
    }
    collector.close();
    expect(collector.finished.map((r) => r.map((w) => w.entry.size))).toEqual([
      [10, 10, 10],
      [10],
      [95],
      [200],
    ]);
  });
});
