import {
  PAUSE_CREDIT,
  ShardRateLimiter,
  THROTTLE_RATE_FLOOR,
  THROTTLE_RATE_RECOVERY_PER_SECOND,
  TokenBucket,
} from '../../../functions/core/producer/rate-limiter';
import { FakeClock } from '../../../functions/core/time/clock';

describe('TokenBucket', () => {
  it('starts full, refills at its rate and never holds more than its capacity', () => {
    const bucket = new TokenBucket(1000, 1000, 0);
    expect(bucket.available(0)).toBe(1000);
    bucket.take(1000, 0);
    expect(bucket.available(250)).toBe(250);
    expect(bucket.waitMillis(500, 250)).toBe(250);
    expect(bucket.available(5000)).toBe(1000);
  });

  it('lets a request larger than the bucket through once full, then pays the debt back', () => {
    const bucket = new TokenBucket(100, 100, 0);
    expect(bucket.waitMillis(300, 0)).toBe(0);
    bucket.take(300, 0);
    expect(bucket.available(0)).toBe(-200);
    expect(bucket.waitMillis(1, 0)).toBe(2010);
  });
});

describe('ShardRateLimiter', () => {
  it('holds a shard to 1,000 records per second at RateLimit 100', () => {
    const clock = new FakeClock(0);
    const limiter = new ShardRateLimiter({ clock, rateLimitPercent: 100 });
    let taken = 0;
    while (limiter.tryAcquire('s', 1, 10)) taken++;
    expect(taken).toBe(1000);
    expect(limiter.waitMillis('s', 1, 10)).toBe(1);
  });

  it('scales both limits by RateLimit and keeps shards apart', async () => {
    const clock = new FakeClock(0);
    const limiter = new ShardRateLimiter({ clock, rateLimitPercent: 50 });
    expect(limiter.tryAcquire('a', 1, 512 * 1024)).toBe(true);
    expect(limiter.tryAcquire('a', 1, 1)).toBe(false);
    expect(limiter.tryAcquire('b', 1, 512 * 1024)).toBe(true);
    expect(limiter.waitMillis('a', 1, 1024)).toBe(2);
    await clock.advance(2);
    expect(limiter.tryAcquire('a', 1, 1024)).toBe(true);
  });

  it('takes from neither bucket when one of them is short', () => {
    const clock = new FakeClock(0);
    const limiter = new ShardRateLimiter({
      clock,
      rateLimitPercent: 100,
      recordsPerSecond: 10,
      bytesPerSecond: 100,
    });
    expect(limiter.tryAcquire('s', 1, 100)).toBe(true);
    expect(limiter.tryAcquire('s', 1, 1)).toBe(false);
    // Nine records are left: the refused request took none.
    let records = 0;
    while (limiter.tryAcquire('s', 1, 0)) records++;
    expect(records).toBe(9);
  });
});

describe("ShardRateLimiter's share of the deployment and throttle feedback", () => {
  it("scales every shard's rate and burst by this container's share", async () => {
    const clock = new FakeClock(0);
    const limiter = new ShardRateLimiter({ clock, rateLimitPercent: 100 });
    limiter.setShare(0.25);
    let taken = 0;
    while (limiter.tryAcquire('s', 1, 10)) taken++;
    expect(taken).toBe(250);
    // 250 records a second: one every 4 ms.
    expect(limiter.waitMillis('s', 1, 10)).toBe(4);
    await clock.advance(1000);
    taken = 0;
    while (limiter.tryAcquire('s', 1, 10)) taken++;
    expect(taken).toBe(250);
    expect(() => limiter.setShare(0)).toThrow(RangeError);
    expect(() => limiter.setShare(1.5)).toThrow(RangeError);
  });

  it('cuts a shrinking share at once, so saved tokens cannot burst past the new share', () => {
    const clock = new FakeClock(0);
    const limiter = new ShardRateLimiter({ clock, rateLimitPercent: 100 });
    expect(limiter.tryAcquire('s', 1, 10)).toBe(true);
    limiter.setShare(0.1);
    let taken = 0;
    while (limiter.tryAcquire('s', 1, 10)) taken++;
    expect(taken).toBe(100);
  });

  it("halves a throttled shard's rate, down to a floor, and brings it back additively", async () => {
    const clock = new FakeClock(0);
    const limiter = new ShardRateLimiter({ clock, rateLimitPercent: 100 });
    limiter.throttled('s');
    // 500 records a second now: 2 ms a record once the (halved) bucket is spent.
    let taken = 0;
    while (limiter.tryAcquire('s', 1, 10)) taken++;
    expect(taken).toBe(500);
    expect(limiter.waitMillis('s', 1, 10)).toBe(2);
    for (let i = 0; i < 10; i++) limiter.throttled('s');
    expect(limiter.waitMillis('s', 1, 10)).toBe(Math.ceil(1000 / (1000 * THROTTLE_RATE_FLOOR)));
    // Another shard keeps its whole rate.
    expect(limiter.waitMillis('other', 1, 10)).toBe(0);
    // Recovery: a share of the budget a second, until the whole rate is back, and no further.
    await clock.advance(Math.ceil(1000 / THROTTLE_RATE_RECOVERY_PER_SECOND));
    while (limiter.tryAcquire('s', 1, 10));
    expect(limiter.waitMillis('s', 1, 10)).toBe(1);
    await clock.advance(1000);
    taken = 0;
    while (limiter.tryAcquire('s', 1, 10)) taken++;
    expect(taken).toBe(1000);
  });
});

describe('ShardRateLimiter: one cut per round trip, and a share that moves during a write', () => {
  it('cuts once for the refusals of entries sent before the last cut, again for one sent after it', async () => {
    const clock = new FakeClock(0);
    const limiter = new ShardRateLimiter({ clock, rateLimitPercent: 100 });
    // Five entries of one call, sent at 0 and refused together at 40.
    await clock.advance(40);
    for (let i = 0; i < 5; i++) limiter.throttled('s', 0);
    let taken = 0;
    while (limiter.tryAcquire('s', 1, 10)) taken++;
    // Halved once (500 a second), not five times.
    expect(taken).toBe(500);
    // An entry sent after that cut and refused too: the halved rate was still too much.
    await clock.advance(10);
    limiter.throttled('s', 45);
    while (limiter.tryAcquire('s', 1, 10));
    // 250 records a second now: one every 4 ms.
    expect(limiter.waitMillis('s', 1, 10)).toBe(4);
  });

  it('wakes whoever waits on the next share change when the share changes, and not before', async () => {
    const clock = new FakeClock(0);
    const limiter = new ShardRateLimiter({ clock, rateLimitPercent: 100 });
    let woken = 0;
    void limiter.nextShareChange.then(() => woken++);
    limiter.setShare(1);
    await Promise.resolve();
    expect(woken).toBe(0);
    limiter.setShare(0.5);
    await Promise.resolve();
    expect(woken).toBe(1);
    void limiter.nextShareChange.then(() => woken++);
    limiter.setShare(0.25);
    await Promise.resolve();
    expect(woken).toBe(2);
  });
});

describe('ShardRateLimiter sharing the budget: tokens only while this container holds messages', () => {
  it("starts a shard's buckets empty, since the shard's tokens are the other containers'", async () => {
    const clock = new FakeClock(0);
    const limiter = new ShardRateLimiter({ clock, rateLimitPercent: 100, sharesBudget: true });
    limiter.setShare(0.5);
    expect(limiter.tryAcquire('s', 1, 10)).toBe(false);
    // 500 records a second at this share: a record every 2 ms, and half a second fills the bucket.
    expect(limiter.waitMillis('s', 1, 10)).toBe(2);
    await clock.advance(500);
    let taken = 0;
    while (limiter.tryAcquire('s', 1, 10)) taken++;
    expect(taken).toBe(250);
    // A writer alone starts full, as the shard does.
    const alone = new ShardRateLimiter({ clock, rateLimitPercent: 100 });
    expect(alone.tryAcquire('s', 1000, 10)).toBe(true);
  });

  it('earns for half the time it is paused between batches, and fully again once resumed', async () => {
    const clock = new FakeClock(0);
    const limiter = new ShardRateLimiter({ clock, rateLimitPercent: 100, sharesBudget: true });
    await clock.advance(200);
    expect(limiter.tryAcquire('s', 200, 10)).toBe(false); // the bucket was made at 200, empty
    await clock.advance(100);
    expect(limiter.tryAcquire('s', 100, 10)).toBe(true);
    limiter.pause();
    await clock.advance(400);
    limiter.resume();
    // PAUSE_CREDIT of the 400 ms: 200 records, not 400.
    let taken = 0;
    while (limiter.tryAcquire('s', 1, 10)) taken++;
    expect(taken).toBe(400 * PAUSE_CREDIT);
    await clock.advance(300);
    taken = 0;
    while (limiter.tryAcquire('s', 1, 10)) taken++;
    expect(taken).toBe(300);
    // Using a paused limiter resumes it, with the same credit for the pause.
    limiter.pause();
    await clock.advance(100);
    taken = 0;
    while (limiter.tryAcquire('s', 1, 10)) taken++;
    expect(taken).toBe(100 * PAUSE_CREDIT);
  });

  it('keeps earning while "paused" when it writes alone', async () => {
    const clock = new FakeClock(0);
    const limiter = new ShardRateLimiter({ clock, rateLimitPercent: 100 });
    expect(limiter.tryAcquire('s', 1000, 10)).toBe(true);
    limiter.pause();
    await clock.advance(1000);
    limiter.resume();
    expect(limiter.tryAcquire('s', 1000, 10)).toBe(true);
  });
});
