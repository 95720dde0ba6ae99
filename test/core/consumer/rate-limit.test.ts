import { ShardReadLimiter } from '../../../functions/core/consumer/rate-limit';
import { FakeClock } from '../../../functions/core/time/clock';

describe('ShardReadLimiter', () => {
  it('allows 5 calls in any second and makes the sixth wait for the first to age out', async () => {
    const clock = new FakeClock(0);
    const limiter = new ShardReadLimiter(clock, { callsPerSecond: 5, bytesPerSecond: 2 * 1024 * 1024 });
    for (let i = 0; i < 5; i++) {
      expect(limiter.nextCallAt()).toBe(clock.now());
      limiter.callStarted();
      await clock.advance(10);
    }
    expect(limiter.nextCallAt()).toBe(1000);
  });

  it('after a read beyond 2 MiB/s, holds the next call until the byte debt is paid', () => {
    const clock = new FakeClock(0);
    const limiter = new ShardReadLimiter(clock, { callsPerSecond: 5, bytesPerSecond: 2 * 1024 * 1024 });
    limiter.callStarted();
    limiter.bytesRead(10 * 1024 * 1024); // one call may return 10 MiB: 8 MiB over the one-second budget
    expect(limiter.nextCallAt()).toBe(4000);
  });

  it('does not bank more than one second of unused byte budget', async () => {
    const clock = new FakeClock(0);
    const limiter = new ShardReadLimiter(clock, { callsPerSecond: 5, bytesPerSecond: 1000 });
    await clock.advance(60_000);
    limiter.bytesRead(3000);
    expect(limiter.nextCallAt()).toBe(60_000 + 2000);
  });
});
