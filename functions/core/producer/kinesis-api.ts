import { streamTarget } from '../aws/stream-ref';
import {
  ListShardsCommand,
  PutRecordsCommand,
  type KinesisClient,
  type PutRecordsCommandInput,
  type PutRecordsCommandOutput,
  type Shard,
} from '@aws-sdk/client-kinesis';

export type PutRecordsInput = PutRecordsCommandInput;
export type PutRecordsOutput = Pick<PutRecordsCommandOutput, 'Records' | 'FailedRecordCount'>;

/**
 * The two Kinesis calls the producer makes. Tests and benchmarks inject a model of a shard's limits
 * through this seam; production wraps the SDK client with `kinesisApi`.
 */
export interface ProducerKinesisApi {
  putRecords(input: PutRecordsInput, signal: AbortSignal): Promise<PutRecordsOutput>;
  /** Every shard of the stream, open and closed, across all pages. */
  listShards(stream: string): Promise<Shard[]>;
}

/** The producer's Kinesis calls over an SDK v3 client. */
export function kinesisApi(client: KinesisClient): ProducerKinesisApi {
  return {
    putRecords: (input, signal) => client.send(new PutRecordsCommand(input), { abortSignal: signal }),
    async listShards(stream) {
      const shards: Shard[] = [];
      let nextToken: string | undefined;
      do {
        // A follow-up page must name only the token: Kinesis rejects StreamName or StreamARN beside NextToken.
        const page = await client.send(
          new ListShardsCommand(nextToken ? { NextToken: nextToken } : streamTarget(stream)),
        );
        shards.push(...(page.Shards ?? []));
        nextToken = page.NextToken;
      } while (nextToken);
      return shards;
    },
  };
}
