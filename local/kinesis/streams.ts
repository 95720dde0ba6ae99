import {
  CreateStreamCommand,
  DescribeStreamSummaryCommand,
  type KinesisClient,
} from '@aws-sdk/client-kinesis';

/**
 * Creates a provisioned stream and resolves once it is ACTIVE. The SDK's waiter polls every 10 s at
 * least; kinesalite in the harness activates a stream at once, so this polls without delay instead.
 */
export async function createStreamAndWait(
  kinesis: KinesisClient,
  streamName: string,
  shardCount: number,
  timeoutMillis = 10_000,
): Promise<void> {
  await kinesis.send(new CreateStreamCommand({ StreamName: streamName, ShardCount: shardCount }));
  await waitForStreamActive(kinesis, streamName, timeoutMillis);
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
