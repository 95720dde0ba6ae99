import {
  GetRecordsCommand,
  GetShardIteratorCommand,
  ListShardsCommand,
  type KinesisClient,
} from '@aws-sdk/client-kinesis';

/** Every record in the stream, per shard from TRIM_HORIZON, as UTF-8 strings in shard-then-sequence order. */
export async function readAll(kinesis: KinesisClient, streamName: string): Promise<string[]> {
  const { Shards = [] } = await kinesis.send(new ListShardsCommand({ StreamName: streamName }));
  const data: string[] = [];
  for (const shard of Shards) {
    let { ShardIterator: iterator } = await kinesis.send(
      new GetShardIteratorCommand({
        StreamName: streamName,
        ShardId: shard.ShardId,
        ShardIteratorType: 'TRIM_HORIZON',
      }),
    );
    while (iterator) {
      const page = await kinesis.send(new GetRecordsCommand({ ShardIterator: iterator }));
      data.push(...(page.Records ?? []).map((r) => Buffer.from(r.Data ?? new Uint8Array()).toString('utf8')));
      if (!page.Records?.length) break;
      iterator = page.NextShardIterator;
    }
  }
  return data;
}
