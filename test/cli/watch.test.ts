import { Writable } from 'node:stream';
import { FakeClock } from '../../functions/core/time/clock';
import { LagHistory, WATCH_HISTORY, sparkline, watchLag, type LagReading } from '../../cli/watch';

function sink(): { stream: Writable; text: () => string } {
  let text = '';
  const stream = new Writable({
    write(chunk: Buffer | string, _encoding, callback) {
      text += chunk.toString();
      callback();
    },
  });
  return { stream, text: () => text };
}

describe('sparkline', () => {
  it('scales readings to the largest, the lowest bar for 0, a space for a missing reading', () => {
    expect(sparkline([0, 5000, 10_000])).toBe('▁▅█');
    expect(sparkline([0, 0])).toBe('▁▁');
    expect(sparkline([undefined, 7, 1])).toBe(' █▂');
  });
});

describe('LagHistory', () => {
  it('keeps the last readings of each shard and shows its lag now', () => {
    const history = new LagHistory();
    for (let i = 0; i < WATCH_HISTORY + 5; i++) {
      history.record([
        { key: 'orders/shardId-000000000000', millisBehindLatest: i * 1000 },
        { key: 'orders/shardId-000000000001', note: 'SHARD_END' },
      ]);
    }
    const [head, first, second, at] = history.frame(Date.UTC(2026, 0, 1));
    expect(head).toMatch(/^Shard\s+Lag\s+last 30 readings$/);
    expect(first).toMatch(/^orders\/shardId-000000000000 {2}34\.0 s\s+ ▂/);
    expect(first?.endsWith('█')).toBe(true);
    // 30 readings drawn, not 35.
    expect(first?.split('  ').at(-1)).toHaveLength(WATCH_HISTORY);
    expect(second).toMatch(/^orders\/shardId-000000000001 {2}SHARD_END\s+ {30}$/);
    expect(at).toBe('at 2026-01-01T00:00:00.000Z (Ctrl-C to stop)');
  });
});

describe('watchLag', () => {
  const readings: LagReading[][] = [
    [{ key: 'orders/shardId-000000000000', millisBehindLatest: 0 }],
    [{ key: 'orders/shardId-000000000000', millisBehindLatest: 4000 }],
    [{ key: 'orders/shardId-000000000000', millisBehindLatest: 2000 }],
  ];

  it('redraws in place on a terminal: cursor up over the last frame, clear, draw', async () => {
    const clock = new FakeClock(Date.UTC(2026, 0, 1), { autoAdvance: true });
    const out = sink();
    let call = 0;
    const refreshes = await watchLag({
      measure: async () => readings[call++] ?? [],
      intervalMillis: 5000,
      clock,
      out: out.stream,
      inPlace: true,
      refreshes: 3,
    });
    expect(refreshes).toBe(3);
    const frames = out.text().split('\x1b[3A\x1b[J');
    expect(frames).toHaveLength(3);
    expect(frames[2]).toBe(
      'Shard                        Lag           last 30 readings\n' +
        'orders/shardId-000000000000  2.0 s         ▁█▅\n' +
        'at 2026-01-01T00:00:10.000Z (Ctrl-C to stop)\n',
    );
  });

  it('prints each refresh below the last without control codes when not on a terminal, until the signal', async () => {
    const clock = new FakeClock(Date.UTC(2026, 0, 1), { autoAdvance: true });
    const out = sink();
    const stop = new AbortController();
    let call = 0;
    const refreshes = await watchLag({
      measure: async () => {
        if (call === 2) stop.abort();
        return readings[call++] ?? [];
      },
      intervalMillis: 5000,
      clock,
      signal: stop.signal,
      out: out.stream,
      inPlace: false,
    });
    expect(refreshes).toBe(2);
    expect(out.text()).not.toContain('\x1b');
    expect(out.text().match(/^Shard /gm)).toHaveLength(2);
    expect(out.text()).toContain('orders/shardId-000000000000  4.0 s         ▁█\n');
  });
});
