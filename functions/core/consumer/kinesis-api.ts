import {
  GetRecordsCommand,
  GetShardIteratorCommand,
  ListShardsCommand,
  type GetRecordsInput,
  type GetRecordsOutput,
  type GetShardIteratorInput,
  type GetShardIteratorOutput,
  type KinesisClient,
  type ListShardsInput,
  type ListShardsOutput,
} from '@aws-sdk/client-kinesis';

/**
 * The Kinesis calls the consumer makes. The engine depends on this rather than on the client so a test
 * can wrap the real client (to expire iterators on a fake clock, say) without mocking the SDK.
 */
export interface KinesisReadApi {
  listShards(input: ListShardsInput, signal?: AbortSignal): Promise<ListShardsOutput>;
  getShardIterator(input: GetShardIteratorInput, signal?: AbortSignal): Promise<GetShardIteratorOutput>;
  getRecords(input: GetRecordsInput, signal?: AbortSignal): Promise<GetRecordsOutput>;
}

/** The read API over an SDK v3 client. */
export function kinesisReadApi(client: KinesisClient): KinesisReadApi {
  return {
    listShards: (input, signal) => client.send(new ListShardsCommand(input), { abortSignal: signal }),
    getShardIterator: (input, signal) =>
      client.send(new GetShardIteratorCommand(input), { abortSignal: signal }),
    getRecords: (input, signal) => client.send(new GetRecordsCommand(input), { abortSignal: signal }),
  };
}
