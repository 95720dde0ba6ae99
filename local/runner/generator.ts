import type { Order } from '../../bin/example-pipeline';
import type { ProducerClient, ProducerRecord } from '../../functions/core/producer';
import type { Clock, Random } from '../../functions/core/time/clock';
import { ConfigurationError } from '../../functions/core/errors';

export interface OrderGeneratorOptions {
  /** How many orders in all. */
  readonly count: number;
  /** Bytes of each order's JSON text. */
  readonly recordSizeBytes: number;
  /** The streams to spread orders over (each message names its stream). */
  readonly streams: readonly string[];
  readonly random: Random;
  /** Distinct customers, each a partition key. @default 100 */
  readonly customers?: number;
}

/** One generated order, ready for `ProducerClient.send`. */
export interface GeneratedRecord {
  readonly id: string;
  readonly record: ProducerRecord;
}

const ID_DIGITS = 7;

/**
 * Orders as the example's processor reads them (`orderId`, `amount`), each padded with a note to the
 * record size asked for, keyed by customer, and spread over the streams. The send time is stamped when
 * `next` is called, just before the send, so latency counts from when the order left its producer.
 */
export class OrderGenerator {
  private produced = 0;
  private readonly customers: number;

  constructor(private readonly options: OrderGeneratorOptions) {
    this.customers = options.customers ?? 100;
    const smallest = this.sizeWithoutNote();
    if (options.recordSizeBytes < smallest) {
      throw new ConfigurationError(
        `The record size is ${options.recordSizeBytes} bytes; an order needs at least ${smallest}.`,
        'recordSizeBytes',
      );
    }
  }

  get remaining(): number {
    return this.options.count - this.produced;
  }

  /** The next order, stamped with `now`; undefined once all are made. */
  next(now: number): GeneratedRecord | undefined {
    if (this.produced >= this.options.count) return undefined;
    const n = this.produced++;
    const { random, streams } = this.options;
    const orderId = `order-${String(n).padStart(ID_DIGITS, '0')}`;
    // Whole cents, so the JSON text of an amount is at most 7 characters.
    const amount = Math.round(random() * 99_999) / 100 + 0.01;
    const base: Order = { orderId, amount: Number(amount.toFixed(2)), sentAt: now };
    const order: Order = {
      ...base,
      note: pad(this.options.recordSizeBytes - jsonBytes({ ...base, note: '' })),
    };
    const stream = streams[Math.floor(random() * streams.length)] as string;
    return {
      id: orderId,
      record: {
        data: order,
        partitionKey: `customer-${Math.floor(random() * this.customers)}`,
        stream,
      },
    };
  }

  /** The bytes of the longest order with an empty note: the smallest record size that fits every order. */
  private sizeWithoutNote(): number {
    return jsonBytes({
      orderId: 'order-'.padEnd(6 + ID_DIGITS, '0'),
      amount: 999.99,
      sentAt: 9_999_999_999_999,
      note: '',
    } satisfies Order);
  }
}

function jsonBytes(value: unknown): number {
  return Buffer.byteLength(JSON.stringify(value));
}

function pad(bytes: number): string {
  return 'x'.repeat(Math.max(0, bytes));
}

export interface FeedOptions {
  readonly client: Pick<ProducerClient, 'send'>;
  readonly generator: OrderGenerator;
  /** Records per second at most. */
  readonly rate: number;
  readonly clock: Clock;
  readonly signal?: AbortSignal;
  /**
   * Each record about to be sent, with the time; told before the send so that a delivery can never
   * arrive for a record not yet known.
   */
  readonly onSending: (id: string, sentAt: number) => void;
  /** Records refused or not sent after the client's retries, and the first reason. */
  readonly onRejected: (ids: readonly string[], firstError: string) => void;
}

// Records handed to the client at once: enough for ten SendMessageBatch calls in parallel.
const CHUNK = 100;
const TICK_MILLIS = 20;

/**
 * Sends every generated record through `ProducerClient`, at most `rate` a second: on each tick the
 * records due by now go out in chunks of 100. Resolves when all are sent or the signal aborts.
 */
export async function feed(options: FeedOptions): Promise<void> {
  const { client, generator, rate, clock, signal } = options;
  const startedAt = clock.now();
  let sent = 0;
  while (generator.remaining > 0 && !signal?.aborted) {
    const due = Math.floor(((clock.now() - startedAt) * rate) / 1000) + 1 - sent;
    if (due <= 0) {
      try {
        await clock.sleep(TICK_MILLIS, signal);
      } catch {
        return;
      }
      continue;
    }
    const now = clock.now();
    const batch: GeneratedRecord[] = [];
    for (let i = 0; i < Math.min(due, CHUNK); i++) {
      const next = generator.next(now);
      if (!next) break;
      batch.push(next);
    }
    sent += batch.length;
    for (const { id } of batch) options.onSending(id, now);
    const result = await client.send(batch.map((b) => b.record));
    const rejected: string[] = [];
    let firstError = '';
    result.outcomes.forEach((outcome, i) => {
      if (outcome.accepted) return;
      rejected.push((batch[i] as GeneratedRecord).id);
      firstError ||= `${outcome.code}: ${outcome.error}`;
    });
    if (rejected.length > 0) options.onRejected(rejected, firstError);
  }
}
