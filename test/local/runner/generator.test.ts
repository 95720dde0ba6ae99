import { seededRandom, FakeClock } from '../../../functions/core/time/clock';
import type { ProducerRecord, SendResult } from '../../../functions/core/producer';
import { OrderGenerator, feed } from '../../../local/runner/generator';

describe('the order generator', () => {
  it('makes orders of exactly the record size, with ids in order, spread over streams and customers', () => {
    const generator = new OrderGenerator({
      count: 300,
      recordSizeBytes: 200,
      streams: ['a', 'b'],
      random: seededRandom(3),
    });
    const records = Array.from({ length: 300 }, () => generator.next(1_700_000_000_000));
    expect(generator.next(0)).toBeUndefined();
    expect(records.map((r) => Buffer.byteLength(JSON.stringify(r?.record.data)))).toEqual(
      Array(300).fill(200),
    );
    expect(records[0]?.id).toBe('order-0000000');
    expect(records[299]?.record.data).toMatchObject({ orderId: 'order-0000299', sentAt: 1_700_000_000_000 });
    const streams = new Set(records.map((r) => r?.record.stream));
    expect(streams).toEqual(new Set(['a', 'b']));
    expect(new Set(records.map((r) => r?.record.partitionKey)).size).toBeGreaterThan(50);
  });

  it('makes the same orders from the same seed', () => {
    const make = () => {
      const g = new OrderGenerator({
        count: 5,
        recordSizeBytes: 150,
        streams: ['a', 'b', 'c'],
        random: seededRandom(42),
      });
      return Array.from({ length: 5 }, () => g.next(0));
    };
    expect(make()).toEqual(make());
  });

  it('refuses a record size too small for an order, naming the size', () => {
    expect(
      () => new OrderGenerator({ count: 1, recordSizeBytes: 60, streams: ['a'], random: Math.random }),
    ).toThrow(/record size is 60 bytes; an order needs at least \d+/);
  });
});

describe('feeding the producer queue', () => {
  it('sends at most the rate per second and reports refused records apart', async () => {
    const clock = new FakeClock(0, { autoAdvance: true });
    const sends: { at: number; count: number }[] = [];
    const client = {
      send: async (records: readonly ProducerRecord[]): Promise<SendResult> => {
        sends.push({ at: clock.now(), count: records.length });
        return {
          accepted: records.length - 1,
          failed: 1,
          outcomes: records.map((_, index) =>
            index === 0
              ? { index, accepted: false, code: 'ValidationError', error: 'too big', retryable: false }
              : { index, accepted: true, messageId: `m${index}` },
          ),
        };
      },
    };
    const sending: string[] = [];
    const refused: string[] = [];
    await feed({
      client,
      generator: new OrderGenerator({
        count: 500,
        recordSizeBytes: 200,
        streams: ['s'],
        random: seededRandom(1),
      }),
      rate: 200,
      clock,
      onSending: (id) => sending.push(id),
      onRejected: (ids, reason) => {
        refused.push(...ids);
        expect(reason).toBe('ValidationError: too big');
      },
    });
    expect(sending).toHaveLength(500);
    // 200 a second: the last of 500 goes out at about 2.5 s, and no second ever carries more than 200.
    const last = sends.at(-1)?.at ?? 0;
    expect(last).toBeGreaterThanOrEqual(2400);
    expect(last).toBeLessThanOrEqual(2600);
    for (let second = 0; second * 1000 <= last; second++) {
      const inSecond = sends.filter((s) => s.at >= second * 1000 && s.at < (second + 1) * 1000);
      expect(inSecond.reduce((n, s) => n + s.count, 0)).toBeLessThanOrEqual(201);
    }
    expect(refused).toHaveLength(sends.length);
  });
});
