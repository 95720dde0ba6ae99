import {
  BUDGET_SHARE_REFRESH_MILLIS,
  heldPartOfPause,
  QueueInFlightShare,
} from '../../../functions/core/producer/budget-share';
import { PAUSE_CREDIT } from '../../../functions/core/producer/rate-limiter';
import { FakeClock } from '../../../functions/core/time/clock';

/** A queue whose in-flight count the test sets, recording when it was asked. (SQS's count, stubbed: the
 * e2e and bench runs count on the local SQS server.) */
function queue(clock: FakeClock) {
  const state = { inFlight: 0, askedAt: [] as number[] };
  const sqs = {
    send: async () => {
      state.askedAt.push(clock.now());
      return { Attributes: { ApproximateNumberOfMessagesNotVisible: String(state.inFlight) } };
    },
  };
  return { state, share: new QueueInFlightShare({ sqs: sqs as never, queueUrl: 'q', clock }) };
}

describe('QueueInFlightShare', () => {
  it("waits one refresh period before a new container's first share, so the count holds the others that started with it", async () => {
    const clock = new FakeClock(0, { autoAdvance: true });
    const { state, share } = queue(clock);
    // Alone in the queue when it starts; nine more batches arrive while it waits.
    state.inFlight = 100;
    const first = share.shareFor(100);
    state.inFlight = 1000;
    expect(await first).toBe(0.1);
    expect(state.askedAt).toEqual([BUDGET_SHARE_REFRESH_MILLIS]);
    // Afterwards a share is at once, counted again once a period has passed.
    state.inFlight = 500;
    expect(await share.shareFor(100)).toBe(0.1);
    await clock.advance(BUDGET_SHARE_REFRESH_MILLIS);
    expect(await share.shareFor(100)).toBe(0.2);
    expect(state.askedAt).toHaveLength(2);
  });

  it('takes the whole budget when the count cannot be had, and never less than its own messages say', async () => {
    const clock = new FakeClock(0, { autoAdvance: true });
    const failing = new QueueInFlightShare({
      sqs: { send: async () => Promise.reject(new Error('no')) } as never,
      queueUrl: 'q',
      clock,
    });
    expect(await failing.shareFor(100)).toBe(1);
    const { state, share } = queue(clock);
    state.inFlight = 50; // a lagging count below this container's own batch
    expect(await share.shareFor(100)).toBe(1);
  });
});

describe('heldPartOfPause: how long a container held messages between two batches', () => {
  const received = (at: number | undefined, receiveCount = 1) => ({
    messageId: `m-${at}`,
    body: '{}',
    receiveCount,
    ...(at !== undefined ? { firstReceivedAt: at } : {}),
  });

  it('counts its last batch until the first receive, then this batch as its messages came', () => {
    // Paused at 1,000 and resumed at 2,000; the last batch was deleted and the first message of this
    // one received at 1,200, the second at 1,800: 200 ms, then on average (800 + 200) / 2 = 500 ms.
    expect(heldPartOfPause([received(1200), received(1800)], 1000, 2000)).toBeCloseTo(0.7);
  });

  it('counts messages gathered before the pause from its start, and never more than all of it', () => {
    expect(heldPartOfPause([received(500), received(900)], 1000, 2000)).toBe(1);
  });

  it('gives no credit for redelivered messages, whose first receive was an earlier delivery', () => {
    expect(heldPartOfPause([received(1500), received(100, 3)], 1000, 2000)).toBeCloseTo(0.75);
  });

  it('falls back to PAUSE_CREDIT when no message says when it was received', () => {
    expect(heldPartOfPause([received(undefined), received(100, 2)], 1000, 2000)).toBe(PAUSE_CREDIT);
    expect(heldPartOfPause([received(1500)], 2000, 2000)).toBe(1);
  });
});
