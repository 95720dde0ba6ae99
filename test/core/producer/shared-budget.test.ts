// The deployment-wide budget as a design, on a fake clock: ten producer containers (separate Producer
// instances, each with its own limiter and its own share from the queue's in-flight count) drain one
// backlog into a 2-shard stream of the Kinesis model, which enforces Kinesis's write limits. Nothing
// here waits for real time, so the figures do not depend on the machine's load; the producer-scale
// bench runs the same shape with real processes and the local Kinesis.
import { QueueInFlightShare } from '../../../functions/core/producer/budget-share';
import type { ProducerMessage } from '../../../functions/core/producer/message-contract';
import { Producer } from '../../../functions/core/producer/producer';
import { FakeClock, seededRandom } from '../../../functions/core/time/clock';
import { KinesisShardModel } from '../../support/kinesis-shard-model';

const SHARDS = 2;
const BATCH_SIZE = 100;
const RECORD_BYTES = 2048;
/** A PutRecords call's round trip, in fake milliseconds, and up to this much more for some calls. */
const CALL_MILLIS = 25;
const CALL_JITTER_MILLIS = 100;
/** Fake milliseconds a DeleteMessageBatch of a finished batch takes. */
const DELETE_MILLIS = 20;
/** Containers start this far apart, as an event source mapping scales up. */
const START_STAGGER_MILLIS = 100;

interface Run {
  readonly throttled: number;
  readonly attempted: number;
  /** Bytes accepted over both shards' byte limits, from the first write to the last. */
  readonly utilisation: number;
  readonly written: number;
}

interface Shape {
  readonly containers: number;
  readonly records: number;
  /** Whether the containers share the budget, or each takes all of it. */
  readonly shared: boolean;
  /** Fake milliseconds one receive of a poller takes (ten messages). */
  readonly receiveMillis: number;
}

async function drain({ containers, records, shared, receiveMillis }: Shape): Promise<Run> {
  const clock = new FakeClock(1_000_000, { autoAdvance: true });
  const model = new KinesisShardModel({
    clock,
    latencyMillis: CALL_MILLIS,
    latencyJitterMillis: CALL_JITTER_MILLIS,
    random: seededRandom(99),
  });
  model.createStream('events', SHARDS);
  const pad = 'x'.repeat(RECORD_BYTES - 40);
  const backlog: ProducerMessage[] = Array.from({ length: records }, (_, n) => ({
    messageId: `m-${n}`,
    body: JSON.stringify({ data: { n, pad } }),
    sentTimestamp: clock.now(),
  }));
  // The queue's in-flight messages: those gathered by a poller or held by a container.
  let inFlight = 0;
  const sqs = {
    send: async () => ({ Attributes: { ApproximateNumberOfMessagesNotVisible: String(inFlight) } }),
  };
  let written = 0;
  const container = async (id: number) => {
    const producer = new Producer(
      { defaultStream: 'events' },
      {
        kinesis: model,
        clock,
        random: seededRandom(id + 1),
        ...(shared
          ? { budgetShare: new QueueInFlightShare({ sqs: sqs as never, queueUrl: 'q', clock }) }
          : {}),
      },
    );
    await clock.sleep(id * START_STAGGER_MILLIS);
    while (backlog.length > 0) {
      // A poller gathers a batch ten messages a receive; they are in flight from their receive, which
      // SQS stamps on a first delivery (ApproximateFirstReceiveTimestamp).
      const batch: ProducerMessage[] = [];
      while (batch.length < BATCH_SIZE && backlog.length > 0) {
        await clock.sleep(receiveMillis);
        const got = backlog.splice(0, 10).map((m) => ({
          ...m,
          receiveCount: (m.receiveCount ?? 0) + 1,
          firstReceivedAt: m.firstReceivedAt ?? clock.now(),
        }));
        batch.push(...got);
        inFlight += got.length;
      }
      const result = await producer.process(batch);
      written += result.written;
      // The mapping deletes the batch after the invocation: its messages stay in flight until then.
      await clock.sleep(DELETE_MILLIS);
      inFlight -= batch.length;
      // Failed messages come back to the queue (here at once; SQS after the visibility timeout).
      const failed = new Set(result.failures);
      backlog.push(...batch.filter((m) => failed.has(m.messageId)));
    }
  };
  await Promise.all(Array.from({ length: containers }, (_, id) => container(id)));
  const times = model.calls.map((c) => c.at);
  const span = (Math.max(...times) + CALL_MILLIS - Math.min(...times)) / 1000;
  let bytes = 0;
  let accepted = 0;
  for (const shardId of model.shardIds('events')) {
    for (const r of model.records('events', shardId)) {
      bytes += r.data.length + Buffer.byteLength(r.partitionKey);
      accepted++;
    }
  }
  return {
    throttled: model.throttledEntries,
    attempted: model.throttledEntries + accepted,
    utilisation: bytes / (SHARDS * 1024 * 1024 * span),
    written,
  };
}

describe("containers sharing each shard's budget, on a fake clock", () => {
  // Quick gathers, as on a quiet machine (50 ms a batch), and slow ones (600 ms), where a container
  // spends much of its time between batches.
  it.each([5, 60])(
    'ten containers use at least 90 %% of the budget with at most 1 %% throttled, receives of %d ms',
    async (receiveMillis) => {
      const shape = { containers: 10, records: 16_000, receiveMillis };
      const shared = await drain({ ...shape, shared: true });
      const alone = await drain({ ...shape, shared: false });
      expect(shared.written).toBe(shape.records);
      expect(alone.written).toBe(shape.records);
      // The model discriminates: ten containers that each take the whole budget are throttled often.
      expect(alone.throttled / alone.attempted).toBeGreaterThan(0.05);
      expect(shared.throttled / shared.attempted).toBeLessThanOrEqual(0.01);
      expect(shared.utilisation).toBeGreaterThanOrEqual(0.9);
    },
    60_000,
  );
});
