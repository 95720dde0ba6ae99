import { ListShardsCommand, type KinesisClient } from '@aws-sdk/client-kinesis';
import { shardPagesFromStart } from '../../../local/kinesis/streams';

/** Every record in the stream, per shard from TRIM_HORIZON, as UTF-8 strings in shard-then-sequence order. */
export async function readAll(kinesis: KinesisClient, streamName: string): Promise<string[]> {
  const { Shards = [] } = await kinesis.send(new ListShardsCommand({ StreamName: streamName }));
  const data: string[] = [];
  for (const shard of Shards) {
    for await (const page of shardPagesFromStart(kinesis, streamName, shard.ShardId)) {
      data.push(...page.map((r) => Buffer.from(r.Data ?? new Uint8Array()).toString('utf8')));
    }
  }
  return data;
}
