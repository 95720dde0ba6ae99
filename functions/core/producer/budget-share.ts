import { GetQueueAttributesCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { describeError } from '../errors';
import { systemClock, type Clock } from '../time/clock';
import type { ProducerLogger } from './logger';
import type { ProducerMessage } from './message-contract';
import { PAUSE_CREDIT } from './rate-limiter';

/** How long one count of the queue's in-flight messages is used before it is asked again. */
export const BUDGET_SHARE_REFRESH_MILLIS = 1000;
/**
 * The least share a container takes, whatever the count says: Lambda runs at most 1,000 concurrent
 * invocations of an event source mapping, so no container's fair share is ever smaller.
 */
export const MIN_BUDGET_SHARE = 1 / 1000;

/** Tells a container which share of each shard's budget (RateLimit of its limits) is its own. */
export interface BudgetShare {
  /** This container's share, in (0, 1], while it holds `inFlight` messages of the deployment's queue. */
  shareFor(inFlight: number): Promise<number>;
}

export interface QueueInFlightShareOptions {
  readonly sqs: Pick<SQSClient, 'send'>;
  /** The queue the event source mapping feeds the producer from. */
  readonly queueUrl: string;
  readonly clock?: Clock;
  readonly logger?: ProducerLogger;
}

/**
 * A container's share as its part of the messages the whole deployment holds: every container works on
 * the batch it received, and those messages are exactly the queue's in-flight ones
 * (ApproximateNumberOfMessagesNotVisible), so `mine / inFlight` summed over the containers is 1,
 * however many there are and however fast that changes. One GetQueueAttributes call a second per
 * container keeps the count fresh. When the count cannot be had, the last one is used; before the
 * first, the container takes the whole budget and the limiter's throttle feedback corrects it.
 *
 * A new container's first share waits one refresh period: the others' shares come from counts up to a
 * period old that do not hold its messages yet, so until each has counted again they sum past 1 with
 * its own. Containers starting together are the worst case: each counts while the others are still
 * receiving their batches and sees a share several times too large. After the wait its count holds
 * every container that started with it, and theirs hold it.
 */
export class QueueInFlightShare implements BudgetShare {
  private readonly clock: Clock;
  private count: number | undefined;
  private countedAt = Number.NEGATIVE_INFINITY;
  private pending: Promise<void> | undefined;
  private warmUp: Promise<void> | undefined;
  private warm = false;
  private warned = false;

  constructor(private readonly options: QueueInFlightShareOptions) {
    this.clock = options.clock ?? systemClock;
  }

  async shareFor(inFlight: number): Promise<number> {
    if (!this.warm) {
      this.warmUp ??= this.clock.sleep(BUDGET_SHARE_REFRESH_MILLIS).then(() => {
        this.warm = true;
      });
      await this.warmUp;
    }
    if (this.clock.now() - this.countedAt >= BUDGET_SHARE_REFRESH_MILLIS) {
      this.pending ??= this.refresh().finally(() => (this.pending = undefined));
      await this.pending;
    }
    const mine = Math.max(1, inFlight);
    if (this.count === undefined) return 1;
    return Math.min(1, Math.max(MIN_BUDGET_SHARE, mine / Math.max(mine, this.count)));
  }

  private async refresh(): Promise<void> {
    try {
      const output = await this.options.sqs.send(
        new GetQueueAttributesCommand({
          QueueUrl: this.options.queueUrl,
          AttributeNames: ['ApproximateNumberOfMessagesNotVisible'],
        }),
      );
      const count = Number(output.Attributes?.ApproximateNumberOfMessagesNotVisible);
      if (Number.isFinite(count) && count >= 0) this.count = count;
      this.countedAt = this.clock.now();
    } catch (error) {
      // Asked again next batch; until then the last count (or the whole budget) holds.
      if (!this.warned) {
        this.options.logger?.warn("Cannot count the queue's in-flight messages; keeping the last share.", {
          queueUrl: this.options.queueUrl,
          error: describeError(error),
        });
        this.warned = true;
      }
    }
  }
}

/**
 * The part of the pause from `pausedAt` to `now` this container's messages were in the queue's in-flight
 * count, from the batch's first-receive times: its last batch until the first of this batch's messages
 * was received (that batch is deleted just before the poller gathers the next), then this batch as its
 * messages came. Messages received before the pause (a poller that gathered ahead) count from its start.
 * A batch with no first-receive times (redeliveries, or not from SQS) gets PAUSE_CREDIT.
 */
export function heldPartOfPause(messages: readonly ProducerMessage[], pausedAt: number, now: number): number {
  const gap = now - pausedAt;
  if (gap <= 0 || messages.length === 0) return 1;
  let first = Number.POSITIVE_INFINITY;
  let heldMillis = 0;
  for (const message of messages) {
    const at = message.receiveCount === 1 ? message.firstReceivedAt : undefined;
    // A redelivered message's first receive was an earlier delivery's: it counts from now, as if new.
    const receivedAt = at === undefined ? now : Math.min(now, Math.max(pausedAt, at));
    if (at !== undefined) first = Math.min(first, receivedAt);
    heldMillis += now - receivedAt;
  }
  if (!Number.isFinite(first)) return PAUSE_CREDIT;
  return Math.min(1, (first - pausedAt + heldMillis / messages.length) / gap);
}
