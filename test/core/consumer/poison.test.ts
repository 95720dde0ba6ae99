import type { ShardCheckpoint } from '../../../functions/core/checkpoints/checkpoint-store';
import { ShardDelivery, type DeliverySettings } from '../../../functions/core/consumer/delivery';
import type { FailedRecord, OnFailureDestination } from '../../../functions/core/consumer/on-failure';
import type { BatchHandler, ConsumerRecord } from '../../../functions/core/consumer/types';
import { DeliveryFailedError, OnFailureSendError } from '../../../functions/core/errors';
import { FakeClock } from '../../../functions/core/time/clock';
import { silentLogger } from './helpers';

const RETRIES = 3;
const settings = (overrides: Partial<DeliverySettings> = {}): DeliverySettings => ({
  batchSize: 100_000,
  maxBatchingMillis: 0,
  backoff: { maxRetries: RETRIES, baseMillis: 100, maxMillis: 1000, expConst: 2 },
  ...overrides,
});

const seq = (i: number) => String(100_000 + i);
const at = (i: number): ShardCheckpoint => ({ kind: 'sequence', sequenceNumber: seq(i) });

function record(i: number): ConsumerRecord<string> {
  return {
    stream: 'orders',
    shardId: 'shardId-000000000004',
    sequenceNumber: seq(i),
    partitionKey: `key-${i % 13}`,
    approximateArrivalTimestamp: new Date(Date.UTC(2026, 0, 1, 0, 0, i % 60)),
    eventTime: new Date(0),
    data: `r-${i}`,
  };
}

class MemoryDestination implements OnFailureDestination {
  readonly sent: FailedRecord[] = [];
  failing = false;
  async send(records: readonly FailedRecord[]): Promise<void> {
    if (this.failing) throw Object.assign(new Error('queue unavailable'), { name: 'QueueDoesNotExist' });
    this.sent.push(...records);
  }
}

interface Setup {
  readonly delivery: ShardDelivery<string>;
  readonly destination: MemoryDestination;
  /** Every record the handler took in a call that succeeded, in order. */
  readonly delivered: string[];
  calls: number;
}

function setup(
  poison: ReadonlySet<string>,
  options: {
    settings?: Partial<DeliverySettings>;
    destination?: boolean;
    handler?: BatchHandler<string>;
  } = {},
): Setup {
  const destination = new MemoryDestination();
  const s: Setup = {
    destination,
    delivered: [],
    calls: 0,
    delivery: undefined as unknown as ShardDelivery<string>,
  };
  const handler: BatchHandler<string> =
    options.handler ??
    ((records) => {
      s.calls++;
      const bad = records.find((r) => poison.has(r.data));
      if (bad) throw new TypeError(`cannot process ${bad.data}`);
      s.delivered.push(...records.map((r) => r.data));
    });
  (s as { delivery: ShardDelivery<string> }).delivery = new ShardDelivery<string>({
    stream: 'orders',
    shardId: 'shardId-000000000004',
    subtaskIndex: 2,
    handler,
    settings: settings(options.settings),
    clock: new FakeClock(0, { autoAdvance: true }),
    random: () => 0.5,
    logger: silentLogger(),
    signal: new AbortController().signal,
    ...(options.destination === false ? {} : { onFailure: destination }),
  });
  return s;
}

async function feed(delivery: ShardDelivery<string>, count: number): Promise<void> {
  for (let i = 0; i < count; i++) {
    const text = `r-${i}`;
    await delivery.add(record(i), at(i), new TextEncoder().encode(text));
  }
  await delivery.flush();
}

describe('poison records', () => {
  it.each([1024, 4096, 16384])(
    'isolates one poison record among %i in a logarithmic number of handler calls and moves on',
    async (n) => {
      const poisonIndex = Math.floor(n * 0.61);
      const s = setup(new Set([`r-${poisonIndex}`]));
      await feed(s.delivery, n);
      // Whole batch with its retries, then two calls per halving, then the record alone with its retries.
      const bound = 2 * (RETRIES + 1) + 2 * Math.ceil(Math.log2(n));
      expect(s.calls).toBeLessThanOrEqual(bound);
      expect(s.calls).toBe(s.delivery.handlerCalls);
      expect(s.delivered).toEqual(
        Array.from({ length: n }, (_, i) => `r-${i}`).filter((d) => d !== `r-${poisonIndex}`),
      );
      expect(s.destination.sent).toHaveLength(1);
      const failed = s.destination.sent[0] as FailedRecord;
      expect(failed).toMatchObject({
        stream: 'orders',
        shardId: 'shardId-000000000004',
        sequenceNumber: seq(poisonIndex),
        partitionKey: `key-${poisonIndex % 13}`,
        approximateArrivalTimestamp: record(poisonIndex).approximateArrivalTimestamp,
        stage: 'deliver',
        attempts: RETRIES + 1,
        subtaskIndex: 2,
      });
      expect(new TextDecoder().decode(failed.data)).toBe(`r-${poisonIndex}`);
      expect(failed.error).toBeInstanceOf(TypeError);
      expect(s.delivery.committed).toEqual(at(n - 1));
      expect(s.delivery).toMatchObject({
        recordsDelivered: n - 1,
        recordsFailed: 1,
        recordsSentToOnFailure: 1,
      });
    },
  );

  it('isolates several poison records, each to the queue in shard order', async () => {
    const s = setup(new Set(['r-3', 'r-700', 'r-701', 'r-1999']));
    await feed(s.delivery, 2000);
    expect(s.destination.sent.map((f) => f.sequenceNumber)).toEqual([seq(3), seq(700), seq(701), seq(1999)]);
    expect(s.delivered).toHaveLength(1996);
    expect(s.delivery.committed).toEqual(at(1999));
  });

  it('does not condemn a record that failed only once: a single record gets the full retry policy', async () => {
    let failuresLeft = 2;
    const delivered: string[] = [];
    const s = setup(new Set(), {
      handler: (records) => {
        if (records.some((r) => r.data === 'r-5') && failuresLeft-- > 0) throw new Error('blip');
        delivered.push(...records.map((r) => r.data));
      },
    });
    await feed(s.delivery, 8);
    expect(delivered).toEqual(Array.from({ length: 8 }, (_, i) => `r-${i}`));
    expect(s.destination.sent).toEqual([]);
  });

  it('with failOnError stops after the retries without isolating, and nothing is reported', async () => {
    const s = setup(new Set(['r-40']), { settings: { failOnError: true } });
    await expect(feed(s.delivery, 100)).rejects.toThrow(DeliveryFailedError);
    expect(s.calls).toBe(RETRIES + 1);
    expect(s.destination.sent).toEqual([]);
    expect(s.delivery.committed).toBeUndefined();
  });

  it('without bisection sends the whole failing batch to the queue', async () => {
    const s = setup(new Set(['r-2']), { settings: { bisect: false, batchSize: 5 } });
    await feed(s.delivery, 10);
    expect(s.destination.sent.map((f) => f.sequenceNumber)).toEqual([0, 1, 2, 3, 4].map(seq));
    expect(s.delivered).toEqual(['r-5', 'r-6', 'r-7', 'r-8', 'r-9']);
    expect(s.delivery.committed).toEqual(at(9));
  });

  it('stops before the record when the queue cannot take it, never skipping it', async () => {
    const s = setup(new Set(['r-6']));
    s.destination.failing = true;
    await expect(feed(s.delivery, 10)).rejects.toThrow(OnFailureSendError);
    expect(s.delivered).toEqual(['r-0', 'r-1', 'r-2', 'r-3', 'r-4', 'r-5']);
    expect(s.delivery.committed).toEqual(at(5));
  });

  it('takes a partial-failure answer: the records before the first reported one count as delivered', async () => {
    const calls: string[][] = [];
    const s = setup(new Set(), {
      handler: (records) => {
        calls.push(records.map((r) => r.data));
        const bad = records.findIndex((r) => r.data === 'r-300');
        return bad < 0
          ? undefined
          : { batchItemFailures: [{ itemIdentifier: records[bad]!.sequenceNumber }] };
      },
    });
    await feed(s.delivery, 1000);
    // One call, three retries from r-300, then r-300 alone with its retries, then the rest at once.
    expect(calls.map((c) => [c[0], c.length])).toEqual([
      ['r-0', 1000],
      ['r-300', 700],
      ['r-300', 700],
      ['r-300', 700],
      ['r-300', 1],
      ['r-300', 1],
      ['r-300', 1],
      ['r-300', 1],
      ['r-301', 699],
    ]);
    expect(s.destination.sent.map((f) => f.sequenceNumber)).toEqual([seq(300)]);
    expect(s.delivery.recordsDelivered).toBe(999);
  });

  it('treats a partial-failure answer naming a record not in the batch as a whole-batch failure', async () => {
    let calls = 0;
    const s = setup(new Set(), {
      settings: { batchSize: 2 },
      handler: () => {
        calls++;
        return calls === 1 ? { batchItemFailures: [{ itemIdentifier: 'not-a-record' }] } : undefined;
      },
    });
    await feed(s.delivery, 2);
    expect(calls).toBe(2);
    expect(s.delivery.recordsDelivered).toBe(2);
  });

  it('reports a record whose deserializer threw, after delivering what came before it', async () => {
    const s = setup(new Set());
    await s.delivery.add(record(0), at(0), new Uint8Array([1]));
    await s.delivery.reject(
      {
        stream: 'orders',
        shardId: 'shardId-000000000004',
        sequenceNumber: seq(1),
        partitionKey: 'k',
        approximateArrivalTimestamp: new Date(0),
        data: new Uint8Array([0xff]),
      },
      at(1),
      new SyntaxError('not JSON'),
    );
    expect(s.delivered).toEqual(['r-0']);
    expect(s.destination.sent).toMatchObject([{ sequenceNumber: seq(1), stage: 'deserialize', attempts: 0 }]);
    expect(s.delivery.committed).toEqual(at(1));
  });
});

describe('a poison record that is the last of its batch, named by a partial-failure answer', () => {
  it('is retried alone and reported without calling the handler with an empty batch', async () => {
    const sizes: number[] = [];
    const s = setup(new Set(), {
      settings: { batchSize: 4 },
      handler: (records) => {
        sizes.push(records.length);
        const bad = records.find((r) => r.data === 'r-3');
        return bad ? { batchItemFailures: [{ itemIdentifier: bad.sequenceNumber }] } : undefined;
      },
    });
    await feed(s.delivery, 4);
    expect(sizes).toEqual([4, 1, 1, 1, 1, 1, 1, 1]);
    expect(s.destination.sent.map((f) => f.sequenceNumber)).toEqual([seq(3)]);
  });
});
