import { getEventListeners } from 'node:events';
import { FakeClock, seededRandom } from '../../../functions/core/time/clock';
import { FakeKinesis, stringEngine } from './helpers';

const START = Date.UTC(2026, 0, 1);
const SHARDS = 20;

describe("the run's stop signal", () => {
  it(`carries one listener whatever the shard count: ${SHARDS} shards never put more than a few listeners on any signal (Node warns above 10)`, async () => {
    // Node warns once an AbortSignal holds more than 10 abort listeners. The warning goes to the real
    // process, which Jest's sandbox does not expose, so the test watches every listener added instead.
    let most = 0;
    const add = EventTarget.prototype.addEventListener;
    const spy = jest.spyOn(EventTarget.prototype, 'addEventListener').mockImplementation(function (
      this: EventTarget,
      ...args: Parameters<EventTarget['addEventListener']>
    ) {
      add.apply(this, args);
      if (args[0] === 'abort') most = Math.max(most, getEventListeners(this, 'abort').length);
    });
    try {
      const clock = new FakeClock(START, { autoAdvance: true });
      const kinesis = new FakeKinesis(clock);
      for (let i = 0; i < SHARDS; i++) {
        const shardId = `shardId-${String(i).padStart(12, '0')}`;
        kinesis.declareShard(shardId);
        kinesis.addRecords(shardId, 3);
      }
      let delivered = 0;
      const summary = await stringEngine(
        { kinesis, clock, random: seededRandom(1) },
        { streams: ['orders'], handler: (records) => void (delivered += records.length) },
      ).run({ subtaskIndex: 0, parallelism: 1, deadline: START + 5_000 });
      expect(summary.error).toBeUndefined();
      expect(summary.shards.filter((s) => s.status === 'stopped')).toHaveLength(SHARDS);
      expect(delivered).toBe(SHARDS * 3);
      expect(most).toBeGreaterThan(0);
      expect(most).toBeLessThanOrEqual(5);
    } finally {
      spy.mockRestore();
    }
  });
});
