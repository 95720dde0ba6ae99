import type { Clock } from '../../functions/core/time/clock';

/**
 * Accepts at most `perSecond` calls in any window of 1,000 ms of `clock` time, so a test on a fake
 * clock sees exactly which call is throttled.
 */
export class WindowRateLimiter {
  private readonly accepted: number[] = [];

  constructor(
    private readonly perSecond: number,
    private readonly clock: Clock,
  ) {}

  /** Records a call and returns true, or returns false when the window is full. */
  tryAcquire(): boolean {
    const now = this.clock.now();
    while (this.accepted.length > 0 && (this.accepted[0] ?? now) <= now - 1000) this.accepted.shift();
    if (this.accepted.length >= this.perSecond) return false;
    this.accepted.push(now);
    return true;
  }
}
