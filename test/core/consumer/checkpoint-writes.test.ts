import { SSMClient } from '@aws-sdk/client-ssm';
import type { CheckpointValue, StoredCheckpoint } from '../../../functions/core/checkpoints/checkpoint-store';
import {
  SsmCheckpointStore,
  type SsmCheckpointStoreOptions,
} from '../../../functions/core/checkpoints/ssm-checkpoint-store';
import { DEFAULT_ENGINE_SETTINGS } from '../../../functions/core/consumer/engine';
import { FakeClock, seededRandom } from '../../../functions/core/time/clock';
import { useLocalAws } from '../../support/local-aws';
import { FakeKinesis, stringEngine } from './helpers';

// The consumer against the local SSM server on a fake clock: Kinesis is the in-memory fake so that
// minutes of steady traffic pass in milliseconds.
const aws = useLocalAws({ ssm: true });
const START = Date.UTC(2026, 0, 1);

/**
 * The SSM store with fake time standing still during its calls to the local server: otherwise the
 * auto-advancing clock would run on through readers' sleeps while a real PutParameter is in flight,
 * and how many checkpoint intervals pass per write would depend on how loaded the machine is.
 */
class HeldStore extends SsmCheckpointStore {
  constructor(
    private readonly clock: FakeClock,
    options: SsmCheckpointStoreOptions,
  ) {
    super(options);
  }

  override loadAll(): Promise<StoredCheckpoint[]> {
    return this.clock.hold(() => super.loadAll());
  }

  override save(subtaskIndex: number, value: CheckpointValue): Promise<{ writes: number }> {
    return this.clock.hold(() => super.save(subtaskIndex, value));
  }
}

describe('checkpoint writes to SSM', () => {
  it.each([
    // shards, parameter parts, run length, GetRecords interval (slower with many shards, to keep the test fast)
    [1, 1, 120_000, 200],
    [12, 1, 120_000, 200],
    [300, 3, 40_000, 2000],
  ])(
    'with %i busy shards make at most %i PutParameter per checkpoint interval, plus the last write',
    async (shards, parts, runMillis, intervalMillis) => {
      const clock = new FakeClock(START, { autoAdvance: true });
      const kinesis = new FakeKinesis(clock);
      const ids = Array.from({ length: shards }, (_, i) => `shardId-${String(i).padStart(12, '0')}`);
      for (const id of ids) kinesis.declareShard(id);
      void (async () => {
        for (let second = 0; second < runMillis / 1000; second++) {
          for (const id of ids) kinesis.addRecords(id, 2);
          await clock.sleep(1000);
        }
      })();
      const store = new HeldStore(clock, {
        ssm: aws().clients.client('ssm', SSMClient),
        parameterPath: `/writes/${shards}/checkpoints`,
        clock,
        random: seededRandom(1),
      });
      const engine = stringEngine(
        { kinesis, checkpoints: store, clock, random: seededRandom(2) },
        {
          streams: ['busy'],
          reader: { ...DEFAULT_ENGINE_SETTINGS.reader, intervalMillis },
          handler: () => undefined,
        },
      );
      const before = aws().ssm.callCount('PutParameter');
      const summary = await engine.run({ subtaskIndex: 0, parallelism: 1, deadline: START + runMillis });
      expect(summary.recordsDelivered).toBeGreaterThan(shards * 2 * (runMillis / 1000 - 5));
      const puts = aws().ssm.callCount('PutParameter') - before;
      const intervals = runMillis / DEFAULT_ENGINE_SETTINGS.checkpointIntervalMillis;
      expect(puts).toBeLessThanOrEqual((intervals + 1) * parts);
      expect(puts).toBeGreaterThanOrEqual(intervals - 1);
      expect(summary.checkpointWrites).toBe(puts);
    },
  );
});
