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
import { Collector, putRecords, ssmStore, testConsumer } from './consumer-support';

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

/** Runs subtask 0 of 1 until the controller aborts; the deadline is a backstop. */
function runUntilAborted(engine: ReturnType<typeof testConsumer>, controller: AbortController) {
  return engine.run({
    subtaskIndex: 0,
    parallelism: 1,
    deadline: Date.now() + 30_000,
    signal: controller.signal,
  });
}

it('registers its consumer lazily, waits while it is CREATING, then reads every record once in order', async () => {
  const stream = 'efo-lazy';
  await createStreamWithArn(kinesis(), stream, 2);
  const sent = await putRecords(kinesis(), stream, 300, { keys: 10 });
  const collector = new Collector();
  const controller = new AbortController();
  const run = runUntilAborted(
    testConsumer({
      aws: aws(),
      store: ssmStore(aws()),
      collector,
      streams: [stream],
      readerKind: 'EFO',
      efoConsumerName: 'lazy',
    }),
    controller,
  );
  await collector.whenUnique(300);
  const more = await putRecords(kinesis(), stream, 100, { keys: 10, from: 300 });
  await collector.whenUnique(400);
  controller.abort();
  const summary = await run;
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
  const collector = new Collector();
  const controller = new AbortController();
  const run = runUntilAborted(
    testConsumer({
      aws: aws(),
      store: ssmStore(aws()),
      collector,
      streams: [stream],
      readerKind: 'EFO',
      efoConsumerName: 'shared',
    }),
    controller,
  );
  await until(
    () => aws().efo.callCount('SubscribeToShard') >= before + 3,
    'the reader has been refused three times',
  );
  expect(collector.unique).toBe(0);
  other.close();
  await collector.whenUnique(100);
  const more = await putRecords(kinesis(), stream, 50, { keys: 5, from: 100 });
  await collector.whenUnique(150);
  controller.abort();
  expect((await run).error).toBeUndefined();
  expect(collector.missing([...sent, ...more])).toEqual([]);
  expect(collector.duplicates).toEqual([]);
});

it('renews a subscription that ends early or errors mid-stream from its continuation, losing and repeating nothing', async () => {
  const stream = 'efo-renew';
  await createStreamWithArn(kinesis(), stream, 1);
  const collector = new Collector();
  const controller = new AbortController();
  const run = runUntilAborted(
    testConsumer({
      aws: aws(),
      store: ssmStore(aws()),
      collector,
      streams: [stream],
      readerKind: 'EFO',
      efoConsumerName: 'renew',
    }),
    controller,
  );
  const sent = await putRecords(kinesis(), stream, 100, { keys: 5 });
  await collector.whenUnique(100);
  expect(aws().efo.endSubscriptions({ code: 'InternalFailureException' })).toBe(1);
  sent.push(...(await putRecords(kinesis(), stream, 100, { keys: 5, from: 100 })));
  await collector.whenUnique(200);
  await until(() => aws().efo.subscriptions().length === 1, 'the reader has subscribed again');
  expect(aws().efo.endSubscriptions()).toBe(1);
  sent.push(...(await putRecords(kinesis(), stream, 100, { keys: 5, from: 200 })));
  await collector.whenUnique(300);
  controller.abort();
  expect((await run).error).toBeUndefined();
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
  const collector = new Collector();
  const controller = new AbortController();
  const run = runUntilAborted(
    testConsumer({
      aws: aws(),
      store: ssmStore(aws()),
      collector,
      streams: [stream],
      readerKind: 'EFO',
      efoConsumerName: 'throttled',
    }),
    controller,
  );
  await collector.whenUnique(50);
  controller.abort();
  expect((await run).error).toBeUndefined();
  expect(aws().efo.refusedCount - refusedBefore).toBe(3);
  expect(collector.missing(sent)).toEqual([]);

  aws().efo.refuseSubscriptions('LimitExceededException', 5);
  const failing = await testConsumer({
    aws: aws(),
    store: ssmStore(aws()),
    collector: new Collector(),
    streams: [stream],
    readerKind: 'EFO',
    efoConsumerName: 'throttled',
    efo: {
      subscribeToShard: {
        backoff: { maxRetries: 2, baseMillis: 10, maxMillis: 20, expConst: 1.5 },
        timeoutMillis: 10_000,
      },
    },
  }).run({ subtaskIndex: 0, parallelism: 1, deadline: Date.now() + 30_000 });
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
  const collector = new Collector();
  const controller = new AbortController();
  const run = runUntilAborted(
    testConsumer({
      aws: aws(),
      store: ssmStore(aws()),
      collector,
      streams: [stream],
      readerKind: 'EFO',
      efoConsumerName: 'gone',
    }),
    controller,
  );
  const sent = await putRecords(kinesis(), stream, 50, { keys: 5 });
  await collector.whenUnique(50);
  await stock.send(new DeregisterStreamConsumerCommand({ StreamARN: streamArn, ConsumerName: 'gone' }));
  sent.push(...(await putRecords(kinesis(), stream, 50, { keys: 5, from: 50 })));
  await collector.whenUnique(100);
  controller.abort();
  expect((await run).error).toBeUndefined();
  expect(collector.missing(sent)).toEqual([]);
  expect(collector.duplicates).toEqual([]);
  expect(aws().efo.callCount('RegisterStreamConsumer')).toBeGreaterThanOrEqual(2);

  const { Consumer } = await stock.send(
    new RegisterStreamConsumerCommand({ StreamARN: streamArn, ConsumerName: 'fixed' }),
  );
  const arn = Consumer?.ConsumerARN as string;
  await stock.send(new DeregisterStreamConsumerCommand({ ConsumerARN: arn }));
  const failing = await testConsumer({
    aws: aws(),
    store: ssmStore(aws()),
    collector: new Collector(),
    streams: [stream],
    readerKind: 'EFO',
    efo: { registration: 'NONE', consumerArns: { [stream]: arn } },
  }).run({ subtaskIndex: 0, parallelism: 1, deadline: Date.now() + 30_000 });
  expect(failing.stoppedBy).toBe('failure');
  expect(failing.error?.name).toBe('ResourceNotFoundException');
});
