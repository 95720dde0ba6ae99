import { FakeClock } from '../../../functions/core/time/clock';
import { SubtaskSchedule, type SubtaskEvent } from '../../../local/runner/scheduler';

async function settle(): Promise<void> {
  await new Promise((resolve) => setImmediate(resolve));
}

describe('the compressed consumer schedule', () => {
  it('invokes every subtask at each tick, one period apart from the start, without drifting', async () => {
    const clock = new FakeClock(0);
    const calls: (SubtaskEvent & { at: number })[] = [];
    const schedule = new SubtaskSchedule({
      periodMillis: 6000,
      parallelism: 3,
      clock,
      invoke: async (event) => {
        calls.push({ ...event, at: clock.now() });
        // An invocation that takes a while must not push the next tick back.
        await clock.sleep(4000);
      },
    });
    schedule.start();
    await settle();
    await clock.advance(6000);
    await clock.advance(5999);
    await settle();
    expect(schedule.ticks).toBe(2);
    await clock.advance(1);
    await schedule.stop();
    expect(calls.map(({ subtaskIndex, parallelism, at }) => [at, subtaskIndex, parallelism])).toEqual([
      [0, 0, 3],
      [0, 1, 3],
      [0, 2, 3],
      [6000, 0, 3],
      [6000, 1, 3],
      [6000, 2, 3],
      [12000, 0, 3],
      [12000, 1, 3],
      [12000, 2, 3],
    ]);
  });

  it('does not wait for an invocation before the next tick, and a failed invocation stops nothing', async () => {
    const clock = new FakeClock(0);
    let invocations = 0;
    const schedule = new SubtaskSchedule({
      periodMillis: 1000,
      parallelism: 1,
      clock,
      invoke: () => {
        invocations++;
        return invocations === 1 ? new Promise(() => undefined) : Promise.reject(new Error('failed'));
      },
    });
    schedule.start();
    for (let i = 0; i < 3; i++) await clock.advance(1000);
    await schedule.stop();
    expect(invocations).toBe(4);
  });

  it('stops ticking at stop, and can wait for the invocations in flight', async () => {
    const clock = new FakeClock(0);
    let finished = 0;
    const schedule = new SubtaskSchedule({
      periodMillis: 1000,
      parallelism: 2,
      clock,
      invoke: async () => {
        await clock.sleep(500);
        finished++;
      },
    });
    schedule.start();
    await settle();
    const stopped = schedule.stop(true);
    await clock.advance(500);
    await stopped;
    expect(finished).toBe(2);
    await clock.advance(5000);
    expect(schedule.ticks).toBe(1);
  });

  it('refuses a parallelism below 1, naming it', () => {
    expect(
      () => new SubtaskSchedule({ periodMillis: 1000, parallelism: 0, invoke: async () => undefined }),
    ).toThrow(/parallelism is 0; it must be an integer of 1 or more/);
  });
});
