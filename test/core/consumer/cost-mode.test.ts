import { DEFAULT_ENGINE_SETTINGS } from '../../../functions/core/consumer/engine';
import { FakeClock, seededRandom } from '../../../functions/core/time/clock';
import { FakeKinesis, MemoryCheckpointStore, stringEngine } from './helpers';

const START = Date.UTC(2026, 0, 1);
const P0 = 'shardId-000000000000';
const P1 = 'shardId-000000000001';

function world() {
  const clock = new FakeClock(START, { autoAdvance: true });
  const kinesis = new FakeKinesis(clock);
  kinesis.declareShard(P0);
  kinesis.declareShard(P1);
  const store = new MemoryCheckpointStore();
  const received: string[] = [];
  const engine = (costMode?: { idleReturnMillis: number }) =>
    stringEngine(
      { kinesis, checkpoints: store, clock, random: seededRandom(9) },
      {
        streams: ['events'],
        reader: { ...DEFAULT_ENGINE_SETTINGS.reader, maxRecordsPerCall: 50 },
        handler: (records) => void received.push(...records.map((r) => r.data)),
        ...(costMode ? { costMode } : {}),
      },
    );
  return { clock, kinesis, store, received, engine };
}

describe('cost mode', () => {
  it('returns early once every shard has been caught up for the idle time, after checkpointing', async () => {
    const w = world();
    w.kinesis.addRecords(P0, 500);
    w.kinesis.addRecords(P1, 30);
    const summary = await w.engine({ idleReturnMillis: 3000 }).run({
      subtaskIndex: 0,
      parallelism: 1,
      deadline: START + 50_000,
    });
    expect(summary.stoppedBy).toBe('caught-up');
    expect(w.received).toHaveLength(530);
    // 500 records at 50 per 200 ms call take about 2 s; then 3 s caught up, checked every second.
    expect(summary.endedAt - START).toBeGreaterThanOrEqual(2000 + 3000);
    expect(summary.endedAt - START).toBeLessThanOrEqual(2000 + 3000 + 1500);
    expect(w.store.values.get(0)?.shards.get(`events/${P0}`)).toEqual({
      kind: 'sequence',
      sequenceNumber: String(1000 + 499),
    });
  });

  it('resumes in the next invocation from where the early return checkpointed', async () => {
    const w = world();
    w.kinesis.addRecords(P0, 10);
    await w
      .engine({ idleReturnMillis: 1000 })
      .run({ subtaskIndex: 0, parallelism: 1, deadline: START + 50_000 });
    w.kinesis.addRecords(P0, 7);
    const second = await w
      .engine({ idleReturnMillis: 1000 })
      .run({ subtaskIndex: 0, parallelism: 1, deadline: w.clock.now() + 50_000 });
    expect(second.stoppedBy).toBe('caught-up');
    expect(w.received).toEqual(Array.from({ length: 17 }, (_, i) => `${P0}#${i}`));
  });

  it('keeps reading while records keep arriving, however fast it keeps up', async () => {
    const w = world();
    void (async () => {
      for (let i = 0; i < 40; i++) {
        w.kinesis.addRecords(P0, 2);
        await w.clock.sleep(1000);
      }
    })();
    const summary = await w
      .engine({ idleReturnMillis: 3000 })
      .run({ subtaskIndex: 0, parallelism: 1, deadline: START + 30_000 });
    expect(summary.stoppedBy).toBe('deadline');
    expect(w.received).toHaveLength(60);
  });

  it('is off by default: an idle consumer reads until its deadline', async () => {
    const w = world();
    const summary = await w.engine().run({ subtaskIndex: 0, parallelism: 1, deadline: START + 20_000 });
    expect(summary.stoppedBy).toBe('deadline');
    expect(summary.endedAt).toBe(START + 20_000);
  });
});
