import {
  CreateStreamCommand,
  DescribeStreamSummaryCommand,
  GetRecordsCommand,
  GetShardIteratorCommand,
  type KinesisClient,
  type _Record,
} from '@aws-sdk/client-kinesis';
import { localStreamName } from './accounts';

/**
 * Creates a provisioned stream (by name, or by ARN for another account's: see accounts.ts) and resolves
 * once it is ACTIVE. The SDK's waiter polls every 10 s at
 * least; kinesalite in the harness activates a stream at once, so this polls without delay instead.
 */
export async function createStreamAndWait(
  kinesis: KinesisClient,
  streamName: string,
  shardCount: number,
  timeoutMillis = 10_000,
): Promise<void> {
  // CreateStream takes no ARN: a stream of another account is created under its local name.
  const name = localStreamName(streamName) ?? streamName;
  await kinesis.send(new CreateStreamCommand({ StreamName: name, ShardCount: shardCount }));
  await waitForStreamActive(kinesis, name, timeoutMillis);
}

/** Resolves once the stream is ACTIVE again, e.g. after SplitShard or MergeShards. */
export async function waitForStreamActive(
  kinesis: KinesisClient,
  streamName: string,
  timeoutMillis = 10_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMillis;
  for (;;) {
    const summary = await kinesis.send(new DescribeStreamSummaryCommand({ StreamName: streamName }));
    if (summary.StreamDescriptionSummary?.StreamStatus === 'ACTIVE') return;
    if (Date.now() > deadline) {
      throw new Error(`Stream ${streamName} did not become ACTIVE within ${timeoutMillis} ms.`);
    }
  }
}

/**
 * The records of one shard from TRIM_HORIZON, a GetRecords page at a time (up to 10,000 records each),
 * back to back until the first empty page: everything a still stream holds.
 */
export async function* shardPagesFromStart(
  kinesis: KinesisClient,
  streamName: string,
  shardId: string | undefined,
): AsyncGenerator<_Record[]> {
  let iterator = (
    await kinesis.send(
      new GetShardIteratorCommand({
        StreamName: streamName,
        ShardId: shardId,
        ShardIteratorType: 'TRIM_HORIZON',
      }),
    )
  ).ShardIterator;
  while (iterator) {
    const page = await kinesis.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: 10_000 }));
    if (!page.Records?.length) return;
    yield page.Records;
    iterator = page.NextShardIterator;
  }
}
