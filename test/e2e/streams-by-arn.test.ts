import { KinesisClient } from '@aws-sdk/client-kinesis';
import { mergeCheckpoints } from '../../functions/core/checkpoints/merge';
import { kinesisReadApi, type KinesisReadApi } from '../../functions/core/consumer/kinesis-api';
import { kinesisApi } from '../../functions/core/producer/kinesis-api';
import { Producer } from '../../functions/core/producer/producer';
import { seededRandom, systemClock } from '../../functions/core/time/clock';
import { localStreamArn, OTHER_LOCAL_ACCOUNT_ID } from '../../local/kinesis/accounts';
import { useLocalAws } from '../support/local-aws';
import {
  Collector,
  createStream,
  putRecords,
  runSubtasksUntil,
  ssmStore,
  testConsumer,
} from './consumer-support';

// Streams addressed by ARN through the real SDK v3 client and the local Kinesis, where an ARN of another
// account names that account's stream (a stream of its own, see local/kinesis/accounts.ts).
const aws = useLocalAws({ kinesis: true, ssm: true });
const kinesis = () => aws().clients.client('kinesis', KinesisClient);
const silent = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };

/** The read API over the real client, remembering each call's stream fields. */
function recordingApi(
  calls: { operation: string; StreamName?: string; StreamARN?: string }[],
): KinesisReadApi {
  const api = kinesisReadApi(kinesis());
  const note = (operation: string, input: { StreamName?: string; StreamARN?: string }) =>
    calls.push({
      operation,
      ...(input.StreamName !== undefined ? { StreamName: input.StreamName } : {}),
      ...(input.StreamARN !== undefined ? { StreamARN: input.StreamARN } : {}),
    });
  return {
    listShards: (input, signal) => (note('ListShards', input), api.listShards(input, signal)),
    getShardIterator: (input, signal) => (
      note('GetShardIterator', input),
      api.getShardIterator(input, signal)
    ),
    getRecords: (input, signal) => (note('GetRecords', input), api.getRecords(input, signal)),
  };
}

describe('a stream in another account, by ARN', () => {
  it('is written by the producer and read by the consumer by ARN, checkpointed apart from a same-named stream', async () => {
    const name = 'shared-orders';
    const arn = localStreamArn(name, aws().region, OTHER_LOCAL_ACCOUNT_ID);
    await createStream(kinesis(), arn, 2);
    await createStream(kinesis(), name, 1);
    const own = await putRecords(kinesis(), name, 30, { prefix: 'own' });

    const producer = new Producer(
      { retryBaseMillis: 5, retryMaxMillis: 20, region: aws().region },
      { kinesis: kinesisApi(kinesis()), clock: systemClock, random: seededRandom(3), logger: silent },
    );
    const shared = Array.from({ length: 40 }, (_, n) => `shared-${n}`);
    const written = await producer.process(
      shared.map((data, n) => ({
        messageId: `m-${n}`,
        body: JSON.stringify({ data, partitionKey: `key-${n % 7}`, stream: arn }),
      })),
    );
    expect(written.failures).toEqual([]);

    const calls: { operation: string; StreamName?: string; StreamARN?: string }[] = [];
    const store = ssmStore(aws());
    const collector = new Collector();
    await runSubtasksUntil(
      testConsumer({ aws: aws(), store, collector, streams: [arn, name], api: recordingApi(calls) }),
      collector,
      shared.length + own.length,
      1,
    );

    const byStream = (stream: string) =>
      collector.records
        .filter((r) => r.stream === stream)
        .map((r) => r.data)
        .sort();
    expect(byStream(arn)).toEqual([...shared].sort());
    expect(byStream(name)).toEqual([...own].sort());

    // Every call on the shared stream carries its ARN, never its name; the own stream keeps its name.
    const onShared = calls.filter((c) => c.StreamARN === arn);
    expect(new Set(onShared.map((c) => c.operation))).toEqual(
      new Set(['ListShards', 'GetShardIterator', 'GetRecords']),
    );
    expect(calls.filter((c) => c.StreamName === arn || (c.StreamARN && c.StreamARN !== arn))).toEqual([]);
    expect(calls.some((c) => c.operation === 'ListShards' && c.StreamName === name)).toBe(true);

    const keys = [...mergeCheckpoints(await store.loadAll()).keys()].sort();
    expect(keys).toEqual([
      `${name}/shardId-000000000000`,
      `${name}@${OTHER_LOCAL_ACCOUNT_ID}/shardId-000000000000`,
      `${name}@${OTHER_LOCAL_ACCOUNT_ID}/shardId-000000000001`,
    ]);
  });

  it('sends a producer record naming an ARN in another region to the dead-letter path with the reason', async () => {
    const producer = new Producer(
      { region: aws().region },
      { kinesis: kinesisApi(kinesis()), clock: systemClock, random: seededRandom(4), logger: silent },
    );
    const elsewhere = localStreamArn('orders', 'eu-west-1', OTHER_LOCAL_ACCOUNT_ID);
    const result = await producer.process([
      { messageId: 'm-1', body: JSON.stringify({ data: 'x', stream: elsewhere }) },
    ]);
    const reasons = [...result.failed, ...result.deadLettered].map((f) => f.reason).join(' ');
    expect(reasons).toContain(elsewhere);
    expect(reasons).toContain(`the client's region is ${aws().region}`);
  });

  it("names the ARN and the owner's resource policy when another account's stream is not found", async () => {
    const absent = localStreamArn('absent', aws().region, OTHER_LOCAL_ACCOUNT_ID);
    const engine = testConsumer({ aws: aws(), collector: new Collector(), streams: [absent] });
    const summary = await engine.run({ subtaskIndex: 0, parallelism: 1, deadline: Date.now() + 10_000 });
    expect(summary.error?.message).toBe(
      `Stream "${absent}" was not found (ResourceNotFoundException: Stream ${OTHER_LOCAL_ACCOUNT_ID}.absent under account ` +
        "000000000000 not found.); check the ARN, the region, and that the owner's resource policy lets this account read it.",
    );
  });
});
