// The consumer reading with enhanced fan-out through the local EFO server, in the failure cases EFO
// readers get wrong: each ends with every record delivered once, or with a clear error, never a stall.
import {
  DeregisterStreamConsumerCommand,
  KinesisClient,
  RegisterStreamConsumerCommand,
  type RegisterStreamConsumerCommandOutput,
} from '@aws-sdk/client-kinesis';
import { useLocalAws } from '../support/local-aws';
import {
  createStream as createStreamWithArn,
  stockKinesisClient,
  subscribe,
} from '../local/kinesis/efo-test-kit';
import { getEventListeners } from 'node:events';
import type { RunSummary } from '../../functions/core/consumer/engine';
import { enhancedFanOut } from '../../functions/core/consumer/efo/enhanced-fan-out';
import { kinesisReadApi } from '../../functions/core/consumer/kinesis-api';
import { seededRandom, systemClock } from '../../functions/core/time/clock';
import { silentLogger } from '../core/consumer/helpers';
import {
  Collector,
  putRecords,
  ssmStore,
  testConsumer,
  testEfoConfig,
  type TestConsumerOptions,
} from './consumer-support';

const aws = useLocalAws({ kinesis: { enhancedFanOut: { consumerTransitionMillis: 200 } }, ssm: true });
const kinesis = () => aws().clients.client('kinesis', KinesisClient);
let stock: KinesisClient;
beforeAll(() => {
  stock = stockKinesisClient(aws().endpoints.kinesis as string);
});
afterAll(() => stock.destroy());
afterEach(() => aws().efo.whenNoSubscriptions());

const SHARD = 'shardId-000000000000';

/** Resolves once `condition` holds, looking every 10 ms of real time, for at most 20 s. */
async function until(condition: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting until ${what}.`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** An EFO consumer of `stream` on the local stack, as the stream consumer `efoConsumerName` (or `efo`'s). */
function efoConsumer(
  stream: string,
  options: { efoConsumerName?: string; efo?: TestConsumerOptions['efo']; collector?: Collector } = {},
) {
  const { collector = new Collector(), ...efo } = options;
  return testConsumer({
    aws: aws(),
    store: ssmStore(aws()),
    collector,
    streams: [stream],
    readerKind: 'EFO',
    ...efo,
  });
}

/** Starts subtask 0 of 1 reading `stream`; `stop` ends the run and returns its summary. */
function startEfoConsumer(stream: string, efoConsumerName: string) {
  const collector = new Collector();
  const controller = new AbortController();
  const run = efoConsumer(stream, { efoConsumerName, collector }).run({
    subtaskIndex: 0,
    parallelism: 1,
    // A backstop: every test stops its consumer long before.
    deadline: Date.now() + 30_000,
    signal: controller.signal,
  });
  return {
    collector,
    stop: (): Promise<RunSummary> => {
      controller.abort();
      return run;
    },
  };
}

/** Runs subtask 0 of 1 until it ends by itself: here, by failing. */
function runToFailure(stream: string, options: Parameters<typeof efoConsumer>[1]): Promise<RunSummary> {
  return efoConsumer(stream, options).run({ subtaskIndex: 0, parallelism: 1, deadline: Date.now() + 30_000 });
}

it('registers its consumer lazily, waits while it is CREATING, then reads every record once in order', async () => {
  const stream = 'efo-lazy';
  await createStreamWithArn(kinesis(), stream, 2);
  const sent = await putRecords(kinesis(), stream, 300, { keys: 10 });
  const { collector, stop } = startEfoConsumer(stream, 'lazy');
  await collector.whenUnique(300);
  const more = await putRecords(kinesis(), stream, 100, { keys: 10, from: 300 });
  await collector.whenUnique(400);
  const summary = await stop();
  expect(summary.error).toBeUndefined();
  expect(collector.missing([...sent, ...more])).toEqual([]);
  expect(collector.duplicates).toEqual([]);
  expect(collector.orderViolations).toEqual([]);
  // Registered once (CREATING for 200 ms) and described until ACTIVE.
  expect(aws().efo.callCount('RegisterStreamConsumer')).toBeGreaterThanOrEqual(1);
  expect(aws().efo.callCount('SubscribeToShard')).toBeGreaterThanOrEqual(2);
});

it('waits out ResourceInUseException while another subscription holds the shard, then reads on (no zombie reader)', async () => {
  const stream = 'efo-in-use';
  const streamArn = await createStreamWithArn(kinesis(), stream, 1);
  const { Consumer } = (await stock.send(
    new RegisterStreamConsumerCommand({ StreamARN: streamArn, ConsumerName: 'shared' }),
  )) as RegisterStreamConsumerCommandOutput;
  const sent = await putRecords(kinesis(), stream, 100, { keys: 5 });
  // Another reader (an earlier invocation, say) holds the one subscription of this consumer and shard.
  let other: Awaited<ReturnType<typeof subscribe>>;
  for (;;) {
    try {
      other = await subscribe(stock, {
        ConsumerARN: Consumer?.ConsumerARN,
        ShardId: SHARD,
        StartingPosition: { Type: 'LATEST' },
      });
      break;
    } catch (error) {
      if ((error as Error).name !== 'ResourceInUseException') throw error; // still CREATING
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
  const before = aws().efo.callCount('SubscribeToShard');
  const { collector, stop } = startEfoConsumer(stream, 'shared');
  await until(
    () => aws().efo.callCount('SubscribeToShard') >= before + 3,
    'the reader has been refused three times',
  );
  expect(collector.unique).toBe(0);
  other.close();
  await collector.whenUnique(100);
  const more = await putRecords(kinesis(), stream, 50, { keys: 5, from: 100 });
  await collector.whenUnique(150);
  expect((await stop()).error).toBeUndefined();
  expect(collector.missing([...sent, ...more])).toEqual([]);
  expect(collector.duplicates).toEqual([]);
});

it('renews a subscription that ends early or errors mid-stream from its continuation, losing and repeating nothing', async () => {
  const stream = 'efo-renew';
  await createStreamWithArn(kinesis(), stream, 1);
  const { collector, stop } = startEfoConsumer(stream, 'renew');
  const sent = await putRecords(kinesis(), stream, 100, { keys: 5 });
  await collector.whenUnique(100);
  expect(aws().efo.endSubscriptions({ code: 'InternalFailureException' })).toBe(1);
  sent.push(...(await putRecords(kinesis(), stream, 100, { keys: 5, from: 100 })));
  await collector.whenUnique(200);
  await until(() => aws().efo.subscriptions().length === 1, 'the reader has subscribed again');
  expect(aws().efo.endSubscriptions()).toBe(1);
  sent.push(...(await putRecords(kinesis(), stream, 100, { keys: 5, from: 200 })));
  await collector.whenUnique(300);
  expect((await stop()).error).toBeUndefined();
  expect(collector.missing(sent)).toEqual([]);
  expect(collector.duplicates).toEqual([]);
  expect(collector.orderViolations).toEqual([]);
  expect(aws().efo.endedCount('failed')).toBeGreaterThanOrEqual(1);
});

it('backs off throttled SubscribeToShard calls and reads on; fails the shard clearly when the retries run out', async () => {
  const stream = 'efo-throttled';
  await createStreamWithArn(kinesis(), stream, 1);
  const sent = await putRecords(kinesis(), stream, 50, { keys: 5 });
  aws().efo.refuseSubscriptions('LimitExceededException', 3);
  const refusedBefore = aws().efo.refusedCount;
  const { collector, stop } = startEfoConsumer(stream, 'throttled');
  await collector.whenUnique(50);
  expect((await stop()).error).toBeUndefined();
  expect(aws().efo.refusedCount - refusedBefore).toBe(3);
  expect(collector.missing(sent)).toEqual([]);

  aws().efo.refuseSubscriptions('LimitExceededException', 5);
  const failing = await runToFailure(stream, {
    efoConsumerName: 'throttled',
    efo: {
      subscribeToShard: {
        backoff: { maxRetries: 2, baseMillis: 10, maxMillis: 20, expConst: 1.5 },
        timeoutMillis: 10_000,
      },
    },
  });
  expect(failing.stoppedBy).toBe('failure');
  expect(failing.error?.name).toBe('RetriesExhaustedError');
  expect(failing.error?.message).toMatch(
    /SubscribeToShard on efo-throttled\/shardId-000000000000 failed after 3 attempt/,
  );
  aws().efo.refuseSubscriptions('LimitExceededException', 0);
});

it('registers a deregistered consumer again (LAZY) and reads on; with a configured ARN it fails the shard clearly', async () => {
  const stream = 'efo-deregistered';
  const streamArn = await createStreamWithArn(kinesis(), stream, 1);
  const { collector, stop } = startEfoConsumer(stream, 'gone');
  const sent = await putRecords(kinesis(), stream, 50, { keys: 5 });
  await collector.whenUnique(50);
  await stock.send(new DeregisterStreamConsumerCommand({ StreamARN: streamArn, ConsumerName: 'gone' }));
  sent.push(...(await putRecords(kinesis(), stream, 50, { keys: 5, from: 50 })));
  await collector.whenUnique(100);
  expect((await stop()).error).toBeUndefined();
  expect(collector.missing(sent)).toEqual([]);
  expect(collector.duplicates).toEqual([]);
  expect(aws().efo.callCount('RegisterStreamConsumer')).toBeGreaterThanOrEqual(2);

  const { Consumer } = await stock.send(
    new RegisterStreamConsumerCommand({ StreamARN: streamArn, ConsumerName: 'fixed' }),
  );
  const arn = Consumer?.ConsumerARN as string;
  await stock.send(new DeregisterStreamConsumerCommand({ ConsumerARN: arn }));
  const failing = await runToFailure(stream, {
    efo: { registration: 'NONE', consumerArns: { [stream]: arn } },
  });
  expect(failing.stoppedBy).toBe('failure');
  expect(failing.error?.name).toBe('ResourceNotFoundException');
});

it('keeps one listener on its stop signal however often it subscribes again', async () => {
  // Each subscription once left a listener on the stop signal it was opened under: a shard renewed
  // every 5 minutes, and a run's shards together, piled them up (Node warns past ten on one signal).
  const stream = 'efo-listeners';
  await createStreamWithArn(kinesis(), stream, 1);
  const stop = new AbortController();
  const { api } = enhancedFanOut({
    subscriber: aws().clients.http2Client('kinesis', KinesisClient),
    control: kinesis(),
    efo: testEfoConfig('listeners'),
    clock: systemClock,
    random: seededRandom(3),
    logger: silentLogger(),
  })({
    shard: {
      streamName: stream,
      shardId: SHARD,
      startingHashKey: '0',
      endingHashKey: '1',
      startingSequenceNumber: '0',
    },
    polling: kinesisReadApi(kinesis()),
    dueAt: () => undefined,
    stop: stop.signal,
    logger: silentLogger(),
  });
  let { ShardIterator: iterator } = await api.getShardIterator({
    StreamName: stream,
    ShardId: SHARD,
    ShardIteratorType: 'TRIM_HORIZON',
  });
  const read: string[] = [];
  for (const round of [0, 1, 2]) {
    await putRecords(kinesis(), stream, 5, { from: round * 5 });
    while (read.length < (round + 1) * 5) {
      const page = await api.getRecords({ ShardIterator: iterator });
      read.push(...(page.Records ?? []).map((r) => new TextDecoder().decode(r.Data)));
      iterator = page.NextShardIterator;
    }
    // Ended by the server: the next read subscribes again from the continuation.
    expect(aws().efo.endSubscriptions()).toBe(1);
    expect(getEventListeners(stop.signal, 'abort')).toHaveLength(1);
  }
  expect(read).toEqual(Array.from({ length: 15 }, (_, i) => `r-${i}`));
  stop.abort();
});
