// The local EFO server, driven by the unmodified SDK v3 Kinesis client with its stock HTTP/2 handler.
import {
  DeregisterStreamConsumerCommand,
  DescribeStreamConsumerCommand,
  KinesisClient,
  LimitExceededException,
  ListShardsCommand,
  ListStreamConsumersCommand,
  PutRecordsCommand,
  RegisterStreamConsumerCommand,
  ResourceInUseException,
  ResourceNotFoundException,
  SplitShardCommand,
  SubscribeToShardCommand,
} from '@aws-sdk/client-kinesis';
import { FakeClock } from '../../../functions/core/time/clock';
import { SUBSCRIPTION_LIFETIME_MILLIS } from '../../../local/kinesis/efo/subscription';
import { localStreamArn, OTHER_LOCAL_ACCOUNT_ID } from '../../../local/kinesis/accounts';
import { createStreamAndWait, waitForStreamActive } from '../../../local/kinesis/streams';
import { useLocalAws } from '../../support/local-aws';
import { createStream, dataOf, put, registerConsumer, stockKinesisClient, subscribe } from './efo-test-kit';
import { rejectionOf } from '../../support/rejection-of';

const SHARD = 'shardId-000000000000';
const TRANSITION_MILLIS = 2000;
const clock = new FakeClock(Date.now());
const aws = useLocalAws({
  kinesis: { enhancedFanOut: { consumerTransitionMillis: TRANSITION_MILLIS } },
  clock,
});
let kinesis: KinesisClient;
let streams = 0;

beforeAll(() => {
  kinesis = stockKinesisClient(aws().endpoints.kinesis as string);
});
afterAll(() => kinesis.destroy());

/** A new stream with an ACTIVE consumer. */
async function streamWithConsumer(
  shards = 1,
): Promise<{ stream: string; streamArn: string; consumerArn: string }> {
  const stream = `efo-${++streams}`;
  const streamArn = await createStream(kinesis, stream, shards);
  const consumerArn = await registerConsumer(kinesis, streamArn, 'reader');
  await clock.advance(TRANSITION_MILLIS);
  return { stream, streamArn, consumerArn };
}

function noOpenSubscriptions(): Promise<void> {
  return aws().efo.whenNoSubscriptions();
}

describe('consumer lifecycle', () => {
  it('registers a consumer CREATING with an ARN in AWS format, ACTIVE after the transition, listed, then DELETING and gone', async () => {
    const streamArn = await createStream(kinesis, `efo-${++streams}`);
    const { Consumer } = await kinesis.send(
      new RegisterStreamConsumerCommand({ StreamARN: streamArn, ConsumerName: 'app' }),
    );
    expect(Consumer?.ConsumerStatus).toBe('CREATING');
    const seconds = Math.floor(clock.now() / 1000);
    expect(Consumer?.ConsumerARN).toBe(`${streamArn}/consumer/app:${seconds}`);
    expect(Consumer?.ConsumerCreationTimestamp?.getTime()).toBe(seconds * 1000);

    const describe = () =>
      kinesis.send(new DescribeStreamConsumerCommand({ StreamARN: streamArn, ConsumerName: 'app' }));
    expect((await describe()).ConsumerDescription?.ConsumerStatus).toBe('CREATING');
    await clock.advance(TRANSITION_MILLIS);
    const { ConsumerDescription } = await kinesis.send(
      new DescribeStreamConsumerCommand({ ConsumerARN: Consumer?.ConsumerARN }),
    );
    expect(ConsumerDescription).toMatchObject({
      ConsumerStatus: 'ACTIVE',
      StreamARN: streamArn,
      ConsumerName: 'app',
    });

    await kinesis.send(new RegisterStreamConsumerCommand({ StreamARN: streamArn, ConsumerName: 'other' }));
    const listed = await kinesis.send(
      new ListStreamConsumersCommand({ StreamARN: streamArn, MaxResults: 1 }),
    );
    expect(listed.Consumers).toHaveLength(1);
    const rest = await kinesis.send(
      new ListStreamConsumersCommand({ StreamARN: streamArn, NextToken: listed.NextToken }),
    );
    expect(
      [...(listed.Consumers ?? []), ...(rest.Consumers ?? [])].map((c) => c.ConsumerName).sort(),
    ).toEqual(['app', 'other']);
    expect(rest.NextToken).toBeUndefined();

    await kinesis.send(new DeregisterStreamConsumerCommand({ ConsumerARN: Consumer?.ConsumerARN }));
    expect((await describe()).ConsumerDescription?.ConsumerStatus).toBe('DELETING');
    await clock.advance(TRANSITION_MILLIS);
    expect(await rejectionOf(describe())).toBeInstanceOf(ResourceNotFoundException);
  });

  it('refuses a second consumer of the same name and a stream that does not exist', async () => {
    const streamArn = await createStream(kinesis, `efo-${++streams}`);
    await registerConsumer(kinesis, streamArn, 'twice');
    const duplicate = await rejectionOf(
      kinesis.send(new RegisterStreamConsumerCommand({ StreamARN: streamArn, ConsumerName: 'twice' })),
    );
    expect(duplicate).toBeInstanceOf(ResourceInUseException);
    const missing = await rejectionOf(
      kinesis.send(
        new RegisterStreamConsumerCommand({
          StreamARN: 'arn:aws:kinesis:us-east-1:000000000000:stream/no-such-stream',
          ConsumerName: 'app',
        }),
      ),
    );
    expect(missing).toBeInstanceOf(ResourceNotFoundException);
  });

  it('answers SubscribeToShard for a consumer still CREATING with ResourceInUseException, and for a deregistered one with ResourceNotFoundException', async () => {
    const streamArn = await createStream(kinesis, `efo-${++streams}`);
    const consumerArn = await registerConsumer(kinesis, streamArn, 'early');
    const early = await rejectionOf(
      subscribe(kinesis, { ConsumerARN: consumerArn, ShardId: SHARD, StartingPosition: { Type: 'LATEST' } }),
    );
    expect(early).toBeInstanceOf(ResourceInUseException);
    expect(early.message).toMatch(/CREATING, not ACTIVE/);

    await clock.advance(TRANSITION_MILLIS);
    await kinesis.send(new DeregisterStreamConsumerCommand({ ConsumerARN: consumerArn }));
    await clock.advance(TRANSITION_MILLIS);
    const gone = await rejectionOf(
      subscribe(kinesis, { ConsumerARN: consumerArn, ShardId: SHARD, StartingPosition: { Type: 'LATEST' } }),
    );
    expect(gone).toBeInstanceOf(ResourceNotFoundException);
  });
});

describe('SubscribeToShard', () => {
  afterEach(noOpenSubscriptions);

  it('pushes records in order with the last record as continuation, and pushes a record put meanwhile without the clock moving', async () => {
    const { stream, consumerArn } = await streamWithConsumer();
    const sequenceNumbers = await put(kinesis, stream, ['a', 'b', 'c']);
    const open = await subscribe(kinesis, {
      ConsumerARN: consumerArn,
      ShardId: SHARD,
      StartingPosition: { Type: 'TRIM_HORIZON' },
    });
    const first = await open.until((events) => dataOf(events).length >= 3);
    expect(dataOf(first)).toEqual(['a', 'b', 'c']);
    expect(first.at(-1)?.ContinuationSequenceNumber).toBe(sequenceNumbers[2]);
    expect(first.at(-1)?.MillisBehindLatest).toBe(0);

    const before = clock.now();
    const [late] = await put(kinesis, stream, ['d']);
    const pushed = await open.until((events) => dataOf(events).length >= 1);
    expect(dataOf(pushed)).toEqual(['d']);
    expect(pushed.at(-1)?.ContinuationSequenceNumber).toBe(late);
    expect(clock.now()).toBe(before);
    open.close();
  });

  it("serves a consumer of another account's stream by ARN: that stream's records, not the same-named local one's", async () => {
    const stream = `efo-${++streams}`;
    await createStream(kinesis, stream);
    const otherArn = localStreamArn(stream, aws().region, OTHER_LOCAL_ACCOUNT_ID);
    await createStreamAndWait(kinesis, otherArn, 1);
    await put(kinesis, stream, ['local']);
    await kinesis.send(
      new PutRecordsCommand({
        StreamARN: otherArn,
        Records: ['x', 'y'].map((d) => ({ Data: Buffer.from(d), PartitionKey: 'k' })),
      }),
    );
    const consumerArn = await registerConsumer(kinesis, otherArn, 'reader');
    await clock.advance(TRANSITION_MILLIS);
    const open = await subscribe(kinesis, {
      ConsumerARN: consumerArn,
      ShardId: SHARD,
      StartingPosition: { Type: 'TRIM_HORIZON' },
    });
    const events = await open.until((e) => dataOf(e).length >= 2);
    expect(dataOf(events)).toEqual(['x', 'y']);
    open.close();
  });

  it('resubscribed AFTER the continuation, reads on without a gap or a repeat, also from a continuation given before any record', async () => {
    const { stream, consumerArn } = await streamWithConsumer();
    const latest = await subscribe(kinesis, {
      ConsumerARN: consumerArn,
      ShardId: SHARD,
      StartingPosition: { Type: 'LATEST' },
    });
    const [empty] = await latest.until((events) => events.length >= 1);
    expect(empty?.Records).toEqual([]);
    const positional = empty?.ContinuationSequenceNumber as string;
    latest.close();
    await noOpenSubscriptions();

    // Written while nobody is subscribed: the continuation must still find them.
    await put(kinesis, stream, ['one', 'two']);
    await clock.advance(1000);
    const resumed = await subscribe(kinesis, {
      ConsumerARN: consumerArn,
      ShardId: SHARD,
      StartingPosition: { Type: 'AFTER_SEQUENCE_NUMBER', SequenceNumber: positional },
    });
    const read = await resumed.until((events) => dataOf(events).length >= 2);
    expect(dataOf(read)).toEqual(['one', 'two']);
    const continuation = read.at(-1)?.ContinuationSequenceNumber as string;
    resumed.close();
    await noOpenSubscriptions();

    await put(kinesis, stream, ['three']);
    await clock.advance(1000);
    const again = await subscribe(kinesis, {
      ConsumerARN: consumerArn,
      ShardId: SHARD,
      StartingPosition: { Type: 'AFTER_SEQUENCE_NUMBER', SequenceNumber: continuation },
    });
    expect(dataOf(await again.until((events) => dataOf(events).length >= 1))).toEqual(['three']);
    again.close();
  });

  it('answers a second subscription of the same consumer and shard with ResourceInUseException, while another consumer reads the shard', async () => {
    const { stream, streamArn, consumerArn } = await streamWithConsumer();
    const open = await subscribe(kinesis, {
      ConsumerARN: consumerArn,
      ShardId: SHARD,
      StartingPosition: { Type: 'TRIM_HORIZON' },
    });
    await clock.advance(1000);
    const second = await rejectionOf(
      subscribe(kinesis, {
        ConsumerARN: consumerArn,
        ShardId: SHARD,
        StartingPosition: { Type: 'TRIM_HORIZON' },
      }),
    );
    expect(second).toBeInstanceOf(ResourceInUseException);

    const otherArn = await registerConsumer(kinesis, streamArn, 'other');
    await clock.advance(TRANSITION_MILLIS);
    const other = await subscribe(kinesis, {
      ConsumerARN: otherArn,
      ShardId: SHARD,
      StartingPosition: { Type: 'TRIM_HORIZON' },
    });
    await put(kinesis, stream, ['shared']);
    expect(dataOf(await open.until((events) => dataOf(events).length >= 1))).toEqual(['shared']);
    expect(dataOf(await other.until((events) => dataOf(events).length >= 1))).toEqual(['shared']);
    open.close();
    other.close();
  });

  it('allows one SubscribeToShard per second per consumer and shard (LimitExceededException within the second)', async () => {
    const { consumerArn } = await streamWithConsumer(2);
    const input = { ConsumerARN: consumerArn, ShardId: SHARD, StartingPosition: { Type: 'LATEST' as const } };
    (await subscribe(kinesis, input)).close();
    await noOpenSubscriptions();
    await clock.advance(999);
    expect(await rejectionOf(subscribe(kinesis, input))).toBeInstanceOf(LimitExceededException);
    // The limit is per shard: the other shard subscribes at once.
    (await subscribe(kinesis, { ...input, ShardId: 'shardId-000000000001' })).close();
    await clock.advance(1);
    (await subscribe(kinesis, input)).close();
  });

  it('ends the subscription after five minutes of the clock', async () => {
    const { consumerArn } = await streamWithConsumer();
    const open = await subscribe(kinesis, {
      ConsumerARN: consumerArn,
      ShardId: SHARD,
      StartingPosition: { Type: 'LATEST' },
    });
    await open.until((events) => events.length >= 1);
    await clock.advance(SUBSCRIPTION_LIFETIME_MILLIS - 1000);
    // The heartbeat the jump brings: once it is here the server waits on the clock again.
    await open.until((events) => events.length >= 1);
    expect(aws().efo.subscriptions()).toHaveLength(1);
    await clock.advance(1000);
    for (;;) {
      const event = await open.next();
      if (event === 'ended') break;
    }
    await noOpenSubscriptions();
    expect(aws().efo.endedCount('expired')).toBeGreaterThanOrEqual(1);
  });

  it('ends a closed shard with its ChildShards after its last record', async () => {
    const { stream, consumerArn } = await streamWithConsumer();
    await put(kinesis, stream, ['before-split']);
    await kinesis.send(
      new SplitShardCommand({
        StreamName: stream,
        ShardToSplit: SHARD,
        NewStartingHashKey: (2n ** 127n).toString(),
      }),
    );
    await waitForStreamActive(kinesis, stream);
    const open = await subscribe(kinesis, {
      ConsumerARN: consumerArn,
      ShardId: SHARD,
      StartingPosition: { Type: 'TRIM_HORIZON' },
    });
    const events = await open.until((seen) => seen.some((e) => (e.ChildShards ?? []).length > 0));
    expect(dataOf(events)).toEqual(['before-split']);
    const last = events.at(-1);
    expect(last?.ContinuationSequenceNumber).toBeUndefined();
    const { Shards = [] } = await kinesis.send(new ListShardsCommand({ StreamName: stream }));
    const children = Shards.filter((s) => s.ParentShardId === SHARD).map((s) => s.ShardId);
    expect(children).toHaveLength(2);
    expect(last?.ChildShards?.map((c) => c.ShardId).sort()).toEqual(children.sort());
    expect(last?.ChildShards?.[0]?.ParentShards).toEqual([SHARD]);
    expect(await open.next()).toBe('ended');
  });

  it('ends open subscriptions with ResourceNotFoundException when their consumer is deregistered', async () => {
    const { consumerArn } = await streamWithConsumer();
    const open = await subscribe(kinesis, {
      ConsumerARN: consumerArn,
      ShardId: SHARD,
      StartingPosition: { Type: 'LATEST' },
    });
    await open.until((events) => events.length >= 1);
    await kinesis.send(new DeregisterStreamConsumerCommand({ ConsumerARN: consumerArn }));
    const error = await rejectionOf(open.until(() => false));
    expect(error).toBeInstanceOf(ResourceNotFoundException);
  });

  it('ends a subscription with an event-stream exception the test injects, and normally when asked', async () => {
    const { consumerArn } = await streamWithConsumer();
    const input = { ConsumerARN: consumerArn, ShardId: SHARD, StartingPosition: { Type: 'LATEST' as const } };
    const failing = await subscribe(kinesis, input);
    await failing.until((events) => events.length >= 1);
    expect(aws().efo.endSubscriptions({ consumerArn, code: 'InternalFailureException' })).toBe(1);
    const error = await rejectionOf(failing.until(() => false));
    expect(error.name).toBe('InternalFailureException');
    await noOpenSubscriptions();

    await clock.advance(1000);
    const ending = await subscribe(kinesis, input);
    await ending.until((events) => events.length >= 1);
    aws().efo.endSubscriptions({ consumerArn });
    for (;;) if ((await ending.next()) === 'ended') break;
  });
});

describe('protocols', () => {
  it('refuses SubscribeToShard over HTTP/1.1 and serves the other operations over HTTP/1.1 and HTTP/2 on the same endpoint', async () => {
    const { stream, consumerArn } = await streamWithConsumer();
    const http1 = aws().clients.client('kinesis', KinesisClient); // the runtime's factory: NodeHttpHandler
    await put(http1, stream, ['over-http1']);
    const { Shards } = await kinesis.send(new ListShardsCommand({ StreamName: stream }));
    expect(Shards?.map((s) => s.ShardId)).toEqual([SHARD]);
    const refused = await rejectionOf(
      http1.send(
        new SubscribeToShardCommand({
          ConsumerARN: consumerArn,
          ShardId: SHARD,
          StartingPosition: { Type: 'LATEST' },
        }),
      ),
    );
    expect(refused.message).toMatch(/needs HTTP\/2/);
    expect(aws().efo.subscriptions()).toHaveLength(0);
  });

  it('wakes its subscriptions once per write, whichever protocol the write came over', async () => {
    // The server once signalled each put it forwarded, and the fault proxy behind it signalled it again:
    // every subscription read the shard twice per put.
    const { stream } = await streamWithConsumer();
    const http1 = aws().clients.client('kinesis', KinesisClient);
    for (const client of [http1, kinesis]) {
      const before = aws().efo.writes.current;
      await put(client, stream, ['one write']);
      expect(aws().efo.writes.current - before).toBe(1);
    }
  });
});
