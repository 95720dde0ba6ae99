import type { Clock } from '../../functions/core/time/clock';
import { sqsError } from './errors';
import { show } from './input';
import { SQS_LIMITS } from './limits';
import type { MessageAttributes } from './message-attributes';
import { MinHeap } from './min-heap';
import { parseRedrivePolicy } from './queue-attributes';
import { decodeReceiptHandle, encodeReceiptHandle } from './receipt-handle';

/** A message as the queue holds it. */
export interface StoredMessage {
  readonly messageId: string;
  readonly body: string;
  readonly md5OfBody: string;
  readonly attributes: MessageAttributes;
  readonly systemAttributes: MessageAttributes;
  readonly sentTimestamp: number;
  readonly senderId: string;
  readonly groupId?: string;
  readonly deduplicationId?: string;
  readonly sequenceNumber?: string;
  /** Set when the message was moved here from a source queue's redrive. */
  readonly deadLetterQueueSourceArn?: string;
  /** Retention counts from here. */
  readonly enqueuedAt: number;
  /** Arrival order within this queue. */
  readonly order: number;
  /** When the message can next be received: the end of its delay or of its visibility timeout. */
  availableAt: number;
  /** It has been received at least once, so a future `availableAt` means in flight rather than delayed. */
  received: boolean;
  /** Start of the current visibility window; the 12-hour cap counts from here. */
  receivedAt: number;
  receiveCount: number;
  firstReceiveAt?: number;
  /** Number of the latest receipt; only its handle is current. */
  receipt: number;
  removed: boolean;
  /** Bumped on every visibility change so stale timer entries can be told apart. */
  version: number;
}

export type MessageState = 'visible' | 'inflight' | 'delayed';

/** A message to enqueue, already validated. */
export interface NewMessage {
  readonly body: string;
  readonly md5OfBody: string;
  readonly attributes: MessageAttributes;
  readonly systemAttributes: MessageAttributes;
  readonly senderId: string;
  readonly delaySeconds: number;
  readonly groupId?: string;
  readonly deduplicationId?: string;
}

export interface SendOutcome {
  readonly messageId: string;
  readonly sequenceNumber?: string;
  /** A FIFO deduplication hit: accepted, not enqueued again. */
  readonly duplicate: boolean;
}

export interface MessageCounts {
  readonly visible: number;
  readonly inflight: number;
  readonly delayed: number;
}

/** What a queue needs from the server it lives in. */
export interface QueueEnvironment {
  readonly clock: Clock;
  /** The live queue with this ARN, for redrive. */
  queueByArn(arn: string): LocalQueue | undefined;
  readonly maxInflightMessages: number;
  newMessageId(): string;
}

interface Timer {
  readonly at: number;
  readonly message: StoredMessage;
  readonly version: number;
}

interface DedupRecord {
  readonly messageId: string;
  readonly sequenceNumber?: string;
  readonly expiresAt: number;
}

// Sequence numbers are large and increasing, like SQS's 20-digit ones.
const SEQUENCE_BASE = 18_000_000_000_000_000_000n;

/**
 * One queue's state: messages, visibility, FIFO groups and deduplication, and the long pollers waiting on
 * it. Time is read from the injected clock and never stored as timers of its own, so a FakeClock drives
 * visibility, delays, retention and the deduplication window.
 */
export class LocalQueue {
  readonly createdAt: number;
  lastModifiedAt: number;
  lastPurgeAt?: number;
  deleted = false;

  private readonly messages = new Map<string, StoredMessage>();
  // Standard queues: messages ready to receive, in order, and a heap of when the others come back.
  private readonly ready = new Map<string, StoredMessage>();
  private readonly timers = new MinHeap<Timer>((t) => t.at);
  private readonly inflight = new Set<StoredMessage>();
  // FIFO queues: each group's messages in order; a group with a message in flight is locked.
  private readonly groups = new Map<string, StoredMessage[]>();
  private readonly dedup = new Map<string, DedupRecord>();

  private order = 0;
  private receipts = 0;
  private sequence = 0n;
  private readonly wakers = new Set<() => void>();
  private pollers = 0;
  private pollerWatches: { done: (pollers: number) => boolean; resolve: () => void }[] = [];

  constructor(
    readonly name: string,
    readonly arn: string,
    readonly url: string,
    readonly fifo: boolean,
    private readonly attributes: Map<string, string>,
    private readonly env: QueueEnvironment,
  ) {
    this.createdAt = env.clock.now();
    this.lastModifiedAt = this.createdAt;
  }

  /** A stored attribute in its string form, as GetQueueAttributes returns it. */
  attribute(name: string): string | undefined {
    return this.attributes.get(name);
  }

  /** A numeric attribute; every one read this way has a default. */
  seconds(
    name: 'DelaySeconds' | 'VisibilityTimeout' | 'ReceiveMessageWaitTimeSeconds' | 'MessageRetentionPeriod',
  ): number {
    return Number(this.attributes.get(name));
  }

  get maximumMessageSize(): number {
    return Number(this.attributes.get('MaximumMessageSize'));
  }

  get contentBasedDeduplication(): boolean {
    return this.attributes.get('ContentBasedDeduplication') === 'true';
  }

  storedAttributes(): ReadonlyMap<string, string> {
    return this.attributes;
  }

  /** Applies normalised attributes; an empty string removes an optional one. */
  setAttributes(changes: ReadonlyMap<string, string>): void {
    for (const [name, value] of changes) {
      if (value === '') this.attributes.delete(name);
      else this.attributes.set(name, value);
    }
    this.lastModifiedAt = this.env.clock.now();
    this.notify();
  }

  send(message: NewMessage): SendOutcome {
    const now = this.env.clock.now();
    let dedupKey: string | undefined;
    if (this.fifo) {
      this.sweepDeduplication(now);
      dedupKey =
        this.attributes.get('DeduplicationScope') === 'messageGroup'
          ? `${message.groupId ?? ''}\u0000${message.deduplicationId ?? ''}`
          : (message.deduplicationId ?? '');
      const seen = this.dedup.get(dedupKey);
      if (seen) return { messageId: seen.messageId, sequenceNumber: seen.sequenceNumber, duplicate: true };
    }
    const stored: StoredMessage = {
      messageId: this.env.newMessageId(),
      body: message.body,
      md5OfBody: message.md5OfBody,
      attributes: message.attributes,
      systemAttributes: message.systemAttributes,
      sentTimestamp: now,
      senderId: message.senderId,
      groupId: message.groupId,
      deduplicationId: message.deduplicationId,
      sequenceNumber: this.fifo ? this.nextSequence() : undefined,
      enqueuedAt: now,
      order: ++this.order,
      availableAt: now + message.delaySeconds * 1000,
      received: false,
      receivedAt: 0,
      receiveCount: 0,
      receipt: 0,
      removed: false,
      version: 0,
    };
    if (dedupKey !== undefined) {
      this.dedup.set(dedupKey, {
        messageId: stored.messageId,
        sequenceNumber: stored.sequenceNumber,
        expiresAt: now + SQS_LIMITS.deduplicationWindowMillis,
      });
    }
    this.add(stored, now);
    return { messageId: stored.messageId, sequenceNumber: stored.sequenceNumber, duplicate: false };
  }

  /**
   * Receives up to `max` messages, hiding each for `visibilityMillis`. On the way, expired messages are
   * dropped and those received more than the RedrivePolicy's maxReceiveCount move to the dead-letter queue.
   */
  receive(max: number, visibilityMillis: number): { message: StoredMessage; receiptHandle: string }[] {
    const now = this.env.clock.now();
    this.dropExpired(now);
    const delivered = this.fifo
      ? this.receiveFifo(max, visibilityMillis, now)
      : this.receiveStandard(max, visibilityMillis, now);
    return delivered.map((message) => ({
      message,
      receiptHandle: encodeReceiptHandle({
        queueName: this.name,
        messageId: message.messageId,
        receipt: message.receipt,
      }),
    }));
  }

  deleteMessage(handle: string): void {
    const { message, current } = this.lookup(handle);
    if (!message) return; // already deleted, expired or moved: SQS reports success
    if (!current || (this.fifo && this.state(message, this.env.clock.now()) !== 'inflight')) {
      if (this.fifo) {
        throw sqsError(
          'ReceiptHandleIsInvalid',
          `The receipt handle ${show(handle)} has expired: the message became visible again. Receive it again and use the new handle.`,
        );
      }
      return; // a standard queue accepts an old handle but the message may stay, as SQS documents
    }
    this.remove(message);
  }

  changeVisibility(handle: string, seconds: number): void {
    const { message, current } = this.lookup(handle);
    if (!message || !current) {
      throw sqsError(
        'InvalidParameterValue',
        `Value ${show(handle)} for parameter ReceiptHandle is invalid: the message does not exist or was received again since.`,
      );
    }
    const now = this.env.clock.now();
    if (this.state(message, now) !== 'inflight') {
      throw sqsError(
        'MessageNotInflight',
        `Message ${message.messageId} is not in flight: its visibility timeout has already expired.`,
      );
    }
    const until = now + seconds * 1000;
    const limitMillis = SQS_LIMITS.maxVisibilityTimeoutSeconds * 1000;
    if (until - message.receivedAt > limitMillis) {
      throw sqsError(
        'InvalidParameterValue',
        `Value ${seconds} for parameter VisibilityTimeout is invalid: the message would stay invisible more than ${SQS_LIMITS.maxVisibilityTimeoutSeconds} s after it was received.`,
      );
    }
    message.availableAt = until;
    message.version++;
    if (!this.fifo) {
      if (seconds === 0) {
        this.inflight.delete(message);
        this.ready.set(message.messageId, message);
      } else {
        this.timers.push({ at: until, message, version: message.version });
      }
    }
    this.notify();
  }

  /** Takes a message that exceeded a source queue's maxReceiveCount. */
  acceptDeadLetter(source: StoredMessage, sourceArn: string): void {
    const now = this.env.clock.now();
    const moved: StoredMessage = {
      ...source,
      sequenceNumber: this.fifo ? this.nextSequence() : undefined,
      deadLetterQueueSourceArn: sourceArn,
      // A standard queue keeps the original enqueue time for retention; a FIFO queue starts it afresh.
      enqueuedAt: this.fifo ? now : source.enqueuedAt,
      order: ++this.order,
      availableAt: now,
      received: false,
      receivedAt: 0,
      receipt: 0,
      removed: false,
      version: 0,
    };
    this.add(moved, now);
  }

  purge(): void {
    for (const message of this.messages.values()) message.removed = true;
    this.messages.clear();
    this.ready.clear();
    this.timers.clear();
    this.inflight.clear();
    this.groups.clear();
    this.lastPurgeAt = this.env.clock.now();
    this.notify();
  }

  counts(): MessageCounts {
    const now = this.env.clock.now();
    this.dropExpired(now);
    if (!this.fifo) {
      // Once the due timers are promoted, a standard queue's sets are its states: ready is visible, the
      // in-flight set is in flight, and the rest wait out a delay. Counted from the sets, not message by
      // message, since producers ask once a second per container of a queue holding a backlog.
      this.promote(now);
      const visible = this.ready.size;
      const inflight = this.inflight.size;
      return { visible, inflight, delayed: this.messages.size - visible - inflight };
    }
    let visible = 0;
    let inflight = 0;
    let delayed = 0;
    for (const message of [...this.messages.values()]) {
      if (this.expired(message, now)) {
        this.remove(message);
        continue;
      }
      const state = this.state(message, now);
      if (state === 'visible') visible++;
      else if (state === 'inflight') inflight++;
      else delayed++;
    }
    return { visible, inflight, delayed };
  }

  /** The earliest future time at which a message may become receivable, if any. */
  nextChangeAt(): number | undefined {
    const now = this.env.clock.now();
    if (!this.fifo) {
      this.promote(now);
      return this.timers.peek()?.at;
    }
    let next: number | undefined;
    for (const group of this.groups.values()) {
      for (const message of group.slice(0, SQS_LIMITS.maxReceiveMessages)) {
        if (message.availableAt > now && (next === undefined || message.availableAt < next)) {
          next = message.availableAt;
        }
      }
    }
    return next;
  }

  /**
   * Waits up to `millis` of the clock's time, returning early when anything on the queue changes or the
   * signal aborts. Every long poll waits here, which is how tests see it waiting.
   */
  async waitForChange(millis: number, signal: AbortSignal): Promise<void> {
    const stop = new AbortController();
    const wake = () => stop.abort();
    this.wakers.add(wake);
    signal.addEventListener('abort', wake, { once: true });
    this.pollers++;
    this.checkPollerWatches();
    try {
      await this.env.clock.sleep(Math.max(0, millis), stop.signal);
    } catch {
      // Woken early: the caller looks at the queue again.
    } finally {
      this.wakers.delete(wake);
      signal.removeEventListener('abort', wake);
      this.pollers--;
      this.checkPollerWatches();
    }
  }

  /** How many ReceiveMessage calls are long-polling this queue right now. */
  get pollerCount(): number {
    return this.pollers;
  }

  /** Resolves once the number of long-polling ReceiveMessage calls satisfies `done`. */
  whenPollers(done: (pollers: number) => boolean): Promise<void> {
    if (done(this.pollers)) return Promise.resolve();
    return new Promise((resolve) => this.pollerWatches.push({ done, resolve }));
  }

  /** Wakes every long poller so it looks at the queue again. */
  notify(): void {
    for (const wake of [...this.wakers]) wake();
  }

  private checkPollerWatches(): void {
    const due = this.pollerWatches.filter((w) => w.done(this.pollers));
    this.pollerWatches = this.pollerWatches.filter((w) => !w.done(this.pollers));
    for (const watch of due) watch.resolve();
  }

  private receiveStandard(max: number, visibilityMillis: number, now: number): StoredMessage[] {
    this.promote(now);
    const room = this.env.maxInflightMessages - this.inflight.size;
    if (room <= 0) {
      throw sqsError(
        'OverLimit',
        `Queue ${this.name} has ${this.inflight.size} messages in flight, the most a standard queue allows. Delete messages before receiving more.`,
      );
    }
    const redrive = this.redrive();
    const out: StoredMessage[] = [];
    for (const message of this.ready.values()) {
      if (out.length >= Math.min(max, room)) break;
      if (this.expired(message, now)) {
        this.remove(message);
        continue;
      }
      if (redrive(message)) continue;
      this.ready.delete(message.messageId);
      this.deliver(message, now, visibilityMillis);
      this.inflight.add(message);
      this.timers.push({ at: message.availableAt, message, version: message.version });
      out.push(message);
    }
    return out;
  }

  private receiveFifo(max: number, visibilityMillis: number, now: number): StoredMessage[] {
    const redrive = this.redrive();
    const out: StoredMessage[] = [];
    // Oldest group first, and as many of one group's messages as fit before the next group, as SQS does.
    const groups = [...this.groups.values()].sort((a, b) => (a[0]?.order ?? 0) - (b[0]?.order ?? 0));
    for (const group of groups) {
      if (out.length >= max) break;
      if (this.groupLocked(group, now)) continue;
      let i = 0;
      while (i < group.length && out.length < max) {
        const message = group[i] as StoredMessage;
        if (this.expired(message, now)) {
          this.remove(message);
          continue;
        }
        if (message.availableAt > now) break; // a delayed message holds back the rest of its group
        if (redrive(message)) continue;
        this.deliver(message, now, visibilityMillis);
        out.push(message);
        i++;
      }
    }
    return out;
  }

  /** A group is locked while any of its messages is in flight; those are always among its first ten. */
  private groupLocked(group: readonly StoredMessage[], now: number): boolean {
    const end = Math.min(group.length, SQS_LIMITS.maxReceiveMessages);
    for (let i = 0; i < end; i++) {
      if (this.state(group[i] as StoredMessage, now) === 'inflight') return true;
    }
    return false;
  }

  /** A function that moves a message to the dead-letter queue when this receive would exceed its limit. */
  private redrive(): (message: StoredMessage) => boolean {
    const policy = parseRedrivePolicy(this.attributes.get('RedrivePolicy'));
    const target = policy ? this.env.queueByArn(policy.deadLetterTargetArn) : undefined;
    if (!policy || !target || target === this || target.deleted) return () => false;
    return (message) => {
      if (message.receiveCount < policy.maxReceiveCount) return false;
      this.remove(message);
      target.acceptDeadLetter(message, this.arn);
      return true;
    };
  }

  private deliver(message: StoredMessage, now: number, visibilityMillis: number): void {
    message.receiveCount++;
    message.firstReceiveAt ??= now;
    message.received = true;
    message.receivedAt = now;
    message.availableAt = now + visibilityMillis;
    message.receipt = ++this.receipts;
    message.version++;
  }

  private add(message: StoredMessage, now: number): void {
    this.messages.set(message.messageId, message);
    if (this.fifo) {
      const groupId = message.groupId ?? '';
      const group = this.groups.get(groupId);
      if (group) group.push(message);
      else this.groups.set(groupId, [message]);
    } else if (message.availableAt <= now) {
      this.ready.set(message.messageId, message);
    } else {
      this.timers.push({ at: message.availableAt, message, version: message.version });
    }
    this.notify();
  }

  private remove(message: StoredMessage): void {
    if (message.removed) return;
    message.removed = true;
    this.messages.delete(message.messageId);
    if (this.fifo) {
      const groupId = message.groupId ?? '';
      const group = this.groups.get(groupId);
      const index = group ? group.indexOf(message) : -1;
      if (group && index >= 0) group.splice(index, 1);
      if (group?.length === 0) this.groups.delete(groupId);
    } else {
      this.ready.delete(message.messageId);
      this.inflight.delete(message);
    }
    // A deletion can unlock a FIFO group, so pollers look again.
    this.notify();
  }

  /** Standard queues: moves messages whose delay or visibility timeout has ended to the ready list. */
  private promote(now: number): void {
    for (let top = this.timers.peek(); top && top.at <= now; top = this.timers.peek()) {
      this.timers.pop();
      const { message, version } = top;
      if (message.removed || message.version !== version) continue;
      this.inflight.delete(message);
      this.ready.set(message.messageId, message);
    }
  }

  private lookup(handle: string): { message?: StoredMessage; current: boolean } {
    const receipt = decodeReceiptHandle(handle);
    if (!receipt || receipt.queueName !== this.name) {
      throw sqsError(
        'ReceiptHandleIsInvalid',
        `The receipt handle ${show(handle)} is not valid for queue ${this.name}; use a handle that ReceiveMessage returned for it.`,
      );
    }
    const message = this.messages.get(receipt.messageId);
    return { message, current: message?.receipt === receipt.receipt };
  }

  state(message: StoredMessage, now: number): MessageState {
    if (message.availableAt <= now) return 'visible';
    return message.received ? 'inflight' : 'delayed';
  }

  private expired(message: StoredMessage, now: number): boolean {
    return now >= message.enqueuedAt + this.seconds('MessageRetentionPeriod') * 1000;
  }

  /** Drops expired messages from the front of the arrival order (the oldest ones). */
  private dropExpired(now: number): void {
    for (const message of this.messages.values()) {
      if (!this.expired(message, now)) break;
      this.remove(message);
    }
  }

  private sweepDeduplication(now: number): void {
    for (const [key, record] of this.dedup) {
      if (record.expiresAt > now) break;
      this.dedup.delete(key);
    }
  }

  private nextSequence(): string {
    this.sequence++;
    return (SEQUENCE_BASE + this.sequence).toString();
  }
}
