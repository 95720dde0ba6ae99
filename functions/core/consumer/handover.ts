import type { Logger } from '@aws-lambda-powertools/logger';
import { handoffOwner, type SubtaskLease } from '../checkpoints/checkpoint-store';
import { describeError, LeaseHeldError } from '../errors';
import type { Clock } from '../time/clock';

// Continuous mode: an invocation starts its successor before its time budget ends and hands the lease
// over to it after its final checkpoint, so a subtask always has a reader; a lease with a short expiry,
// renewed by heartbeat, lets whoever runs next take over a crashed invocation's subtask within seconds.
// The lease (and its fencing token, with DynamoDB) stays the one authority on who reads and writes.

/**
 * How long before a lease's expiry its holder stops reading when it could not renew it, and how long
 * a successor's claim must have before the handoff expires. It covers the clocks of two invocations
 * disagreeing (Lambda's are NTP-synchronised: milliseconds) twice over, a GetRecords call already sent,
 * and the SSM lease's settle delay (2 s), within which every lease write must land.
 */
export const LEASE_EXPIRY_MARGIN_MILLIS = 3000;

/** The holder renews its lease this many times per expiry period (so two renewals may fail in a row). */
export const LEASE_RENEWALS_PER_EXPIRY = 3;

/**
 * How often a successor looks for its handoff once the predecessor's time budget is over. The
 * predecessor's final checkpoint and handoff take a few store calls (tens of ms), so a handover costs
 * a handful of polls; each poll is one store call, and this delay is added to the boundary's gap.
 */
export const HANDOFF_POLL_MILLIS = 25;

/** At most one heartbeat metric per subtask per this period: the heartbeat alarm's period is a minute. */
export const HEARTBEAT_METRIC_INTERVAL_MILLIS = 20_000;

/** What a predecessor puts in its successor's event: which handoff to claim, and when to expect it. */
export interface HandoffEvent {
  /** A random token only the successor's event carries; the lease names it once handed over. */
  readonly token: string;
  /** The predecessor's invocation id (lease owner). */
  readonly from: string;
  /** Epoch ms at which the predecessor stops reading; the handoff follows its final checkpoint. */
  readonly at: number;
  /** Epoch ms after which the predecessor can no longer hand over (its hard end). */
  readonly until: number;
}

/** The event of a successor invocation: the schedule's event plus the handoff. */
export interface SuccessorEvent {
  readonly subtaskIndex: number;
  readonly parallelism: number;
  readonly handoff: HandoffEvent;
}

/** Starts the next invocation of this function with `event`, asynchronously (it does not wait for it). */
export type SuccessorStarter = (event: SuccessorEvent) => Promise<void>;

/**
 * The successor's side of a handover: waits until the predecessor's budget is over, then claims the
 * handed-over lease as soon as it is offered. If the predecessor let the lease go instead (released
 * it, or crashed and let it expire) the successor takes it the ordinary way; if someone else holds it
 * (a duplicate successor won, or the watchdog took over), or the predecessor's hard end passes, it
 * throws LeaseHeldError and does not read. Resolves with the expiry of the lease it now holds.
 */
export async function takeHandedOverLease(options: {
  readonly lease: SubtaskLease;
  readonly handoff: HandoffEvent;
  readonly clock: Clock;
  readonly expiryMillis: number;
  readonly signal?: AbortSignal;
}): Promise<number> {
  const { lease, handoff, clock, expiryMillis, signal } = options;
  const offered = handoffOwner(handoff.token);
  const wait = handoff.at - clock.now();
  if (wait > 0) await clock.sleep(wait, signal);
  for (;;) {
    const expiresAt = clock.now() + expiryMillis;
    const claim = lease.acceptHandover
      ? await lease.acceptHandover(handoff.token, expiresAt)
      : { taken: false as const, holder: undefined };
    if (claim.taken) return expiresAt;
    const holder = claim.holder;
    const now = clock.now();
    if (!holder || holder.expiresAt <= now) {
      // Released, or expired after a crash: nobody reads, so take it as any invocation would.
      await lease.acquire(expiresAt);
      return expiresAt;
    }
    if (holder.owner !== handoff.from && holder.owner !== offered) {
      throw new LeaseHeldError(
        `The lease was handed to invocation ${holder.owner}, not to this one (handoff ${handoff.token}); ` +
          'this invocation does not read.',
      );
    }
    // The predecessor renews its lease until its hard end at most, so by then plus one expiry it has
    // either handed over or let the lease lapse (dead): either way this loop ends before.
    if (now > handoff.until + expiryMillis) {
      throw new LeaseHeldError(
        `Invocation ${handoff.from} did not hand its lease over by its end (${new Date(handoff.until).toISOString()}); ` +
          'this invocation does not read: the schedule takes the subtask over once the lease expires.',
      );
    }
    await clock.sleep(HANDOFF_POLL_MILLIS, signal);
  }
}

export interface LeaseKeeperOptions {
  readonly lease: SubtaskLease & { renew(expiresAt: number): Promise<boolean> };
  readonly clock: Clock;
  readonly expiryMillis: number;
  readonly logger: Logger;
  /** The lease is someone else's now: stop reading and write nothing. */
  readonly onLost: () => void;
  /** The lease could not be renewed before its expiry less the margin: stop reading. */
  readonly onExpiring: () => void;
  /** Each successful renewal (and the first taking): the subtask has a reader. */
  readonly onHeld?: () => void;
}

/**
 * The holder's heartbeat: renews the lease every third of its expiry, and calls `onExpiring` at the
 * expiry less LEASE_EXPIRY_MARGIN_MILLIS if no renewal has succeeded by then, even while a renewal is
 * still in flight on a slow store, so the holder has stopped reading before anyone may take over.
 */
export class LeaseKeeper {
  private readonly stopping = new AbortController();
  private loop: Promise<void> | undefined;
  private until = 0;
  /** The renewal whose write may still land, even one the loop gave up waiting for. */
  private inFlight: Promise<unknown> | undefined;

  constructor(private readonly options: LeaseKeeperOptions) {}

  /** Epoch ms until which the lease is surely ours (its expiry less the margin). */
  get safeUntil(): number {
    return this.until - LEASE_EXPIRY_MARGIN_MILLIS;
  }

  /** Starts renewing a lease taken until `expiresAt`. */
  start(expiresAt: number): void {
    this.until = expiresAt;
    this.options.onHeld?.();
    this.loop = this.run();
  }

  /**
   * Stops renewing, and waits for a renewal still in flight to settle (at most until the lease is no
   * longer surely ours): a renewal's write that lands after the holder hands the lease over or releases
   * it names the holder again, and its successor waits out the whole expiry.
   */
  async stop(): Promise<void> {
    this.stopping.abort();
    await this.loop;
    const inFlight = this.inFlight;
    if (!inFlight) return;
    const { clock } = this.options;
    const expired = new AbortController();
    await Promise.race([
      inFlight,
      clock.sleep(Math.max(0, this.safeUntil - clock.now()), expired.signal).catch(() => undefined),
    ]);
    expired.abort();
  }

  private async run(): Promise<void> {
    const { clock, expiryMillis } = this.options;
    const interval = Math.floor(expiryMillis / LEASE_RENEWALS_PER_EXPIRY);
    const signal = this.stopping.signal;
    // Renewals keep time from when the lease's expiry was set (before the taking, which may have waited
    // out the SSM settle delay), not from now.
    let renewedAt = this.until - expiryMillis;
    while (!signal.aborted) {
      const dueIn = renewedAt + interval - clock.now();
      if (dueIn > 0 && !(await this.sleepUntilSafe(dueIn))) return;
      if (signal.aborted) return;
      if (clock.now() >= this.safeUntil) return this.expiring();
      const startedAt = clock.now();
      const expiresAt = startedAt + expiryMillis;
      const renewal = this.options.lease.renew(expiresAt).then(
        (held) => {
          // Also when the loop stopped waiting for it: the lease now lasts until `expiresAt`.
          if (held) this.until = Math.max(this.until, expiresAt);
          return { held };
        },
        (error: unknown) => ({ error }),
      );
      this.inFlight = renewal;
      void renewal.then(() => {
        if (this.inFlight === renewal) this.inFlight = undefined;
      });
      const outcome = await this.raceSafeUntil(renewal);
      if (outcome === 'expiring') return this.expiring();
      if (outcome === 'stopped') return;
      if ('error' in outcome) {
        // A store error is not a lost lease: try again soon, until the margin says stop.
        this.options.logger.info('Lease renewal failed; trying again', {
          error: describeError(outcome.error),
        });
        renewedAt = clock.now() - interval + Math.min(interval, 1000);
        continue;
      }
      if (!outcome.held) {
        this.options.onLost();
        return;
      }
      renewedAt = startedAt;
      this.options.onHeld?.();
    }
  }

  /** Sleeps `ms`, or until the lease is no longer surely ours; false when stopped or expiring. */
  private async sleepUntilSafe(ms: number): Promise<boolean> {
    const { clock } = this.options;
    const left = this.safeUntil - clock.now();
    try {
      await clock.sleep(Math.max(0, Math.min(ms, left)), this.stopping.signal);
    } catch {
      return false;
    }
    if (this.stopping.signal.aborted) return false;
    if (clock.now() >= this.safeUntil) {
      this.expiring();
      return false;
    }
    return true;
  }

  private async raceSafeUntil<T>(work: Promise<T>): Promise<T | 'expiring' | 'stopped'> {
    const { clock } = this.options;
    const timer = new AbortController();
    const onStop = () => timer.abort();
    this.stopping.signal.addEventListener('abort', onStop, { once: true });
    const deadline = clock
      .sleep(Math.max(0, this.safeUntil - clock.now()), timer.signal)
      .then(() => (this.stopping.signal.aborted ? ('stopped' as const) : ('expiring' as const)))
      .catch(() => 'stopped' as const);
    try {
      return await Promise.race([work, deadline]);
    } finally {
      timer.abort();
      this.stopping.signal.removeEventListener('abort', onStop);
    }
  }

  private expiring(): void {
    this.options.logger.warn(
      'The subtask lease could not be renewed in time; stopping reading before it expires',
      {
        safeUntil: new Date(this.safeUntil).toISOString(),
      },
    );
    this.options.onExpiring();
  }
}
