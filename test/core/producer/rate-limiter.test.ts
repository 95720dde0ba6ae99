import { ShardRateLimiter, TokenBucket } from '../../../functions/core/producer/rate-limiter';
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
    const limiter = new ShardRateLimiter({ clock, recordsPerSecond: 10, bytesPerSecond: 100 });
    expect(limiter.tryAcquire('s', 1, 100)).toBe(true);
    expect(limiter.tryAcquire('s', 1, 1)).toBe(false);
    // Nine records are left: the refused request took none.
    let records = 0;
    while (limiter.tryAcquire('s', 1, 0)) records++;
    expect(records).toBe(9);
  });
});
