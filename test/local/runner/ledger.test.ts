import { RunLedger, percentile } from '../../../local/runner/ledger';

const batch = (shardId: string, deliveredAt: number, ids: string[]) => ({
  stream: 's',
  shardId,
  subtaskIndex: 0,
  attempt: 0,
  deliveredAt,
  records: ids.map((id) => [id, 0, 0] as const),
});

describe('the run ledger', () => {
  it('counts records out once each, duplicates apart, and what never came as missing', () => {
    const ledger = new RunLedger();
    ['a', 'b', 'c', 'd'].forEach((id, i) => ledger.sent(id, 1000 + i));
    ledger.written('s', 'shard-0', ['a', 'b', 'c']);
    ledger.written('s', 'shard-1', ['d']);
    ledger.delivered(batch('shard-0', 1100, ['a', 'b']));
    ledger.delivered(batch('shard-0', 1300, ['b', 'c', 'zzz']));
    expect(ledger.counts).toEqual({
      sent: 4,
      rejected: 0,
      written: 4,
      consumed: 3,
      duplicates: 1,
      unknown: 1,
    });
    expect(ledger.missing()).toEqual(['d']);
    expect(ledger.shards()).toEqual([
      { stream: 's', shardId: 'shard-0', written: 3, consumed: 3, lag: 0, closed: false },
      { stream: 's', shardId: 'shard-1', written: 1, consumed: 0, lag: 1, closed: false },
    ]);
  });

  it('counts a record written to two shards as consumed on each shard it came from', () => {
    const ledger = new RunLedger();
    ledger.sent('a', 0);
    ledger.written('s', 'shard-2', ['a']);
    ledger.written('s', 'shard-3', ['a', 'a']); // written twice to one shard: one record to deliver
    ledger.delivered(batch('shard-2', 10, ['a']));
    ledger.delivered(batch('shard-3', 20, ['a']));
    ledger.delivered(batch('shard-3', 30, ['a'])); // redelivered after a crash
    expect(ledger.shards().map((s) => [s.shardId, s.consumed, s.lag])).toEqual([
      ['shard-2', 1, 0],
      ['shard-3', 1, 0],
    ]);
    expect(ledger.counts).toMatchObject({ written: 3, consumed: 1, duplicates: 2 });
  });

  it('measures latency from the send to the first delivery', () => {
    const ledger = new RunLedger();
    for (let i = 0; i < 100; i++) ledger.sent(`r${i}`, 0);
    for (let i = 0; i < 100; i++) ledger.delivered(batch('shard-0', i + 1, [`r${i}`]));
    ledger.delivered(batch('shard-0', 5000, ['r0'])); // a redelivery does not count
    expect(ledger.latency()).toEqual({ p50: 50, p99: 99, max: 100 });
  });

  it('forgets records the queue refused, so they are not missing', () => {
    const ledger = new RunLedger();
    ledger.sent('a', 0);
    ledger.sent('b', 0);
    ledger.rejected(['b']);
    expect(ledger.counts).toMatchObject({ sent: 1, rejected: 1 });
    expect(ledger.missing()).toEqual(['a']);
  });

  it('resolves a wait once enough distinct records are consumed', async () => {
    const ledger = new RunLedger();
    ledger.sent('a', 0);
    ledger.sent('b', 0);
    let done = false;
    const waiting = ledger.whenConsumed(2).then(() => (done = true));
    ledger.delivered(batch('x', 1, ['a', 'a']));
    await Promise.resolve();
    expect(done).toBe(false);
    ledger.delivered(batch('x', 2, ['b']));
    await waiting;
    expect(done).toBe(true);
  });

  it('takes nearest-rank percentiles', () => {
    expect(percentile([5], 0.99)).toBe(5);
    expect(percentile([1, 2, 3, 4], 0.5)).toBe(2);
    expect(percentile([1, 2, 3, 4], 0.99)).toBe(4);
  });
});
