import {
  GetRecords$,
  GetRecordsCommand,
  GetShardIteratorCommand,
  ListShardsCommand,
  type GetRecordsCommandOutput,
  type GetRecordsInput,
  type GetRecordsOutput,
  type GetShardIteratorInput,
  type GetShardIteratorOutput,
  type KinesisClient,
  type ListShardsInput,
  type ListShardsOutput,
} from '@aws-sdk/client-kinesis';
import { KinesisReadProtocol } from '../aws/kinesis-protocol';
import { signedCall, type SignedCallClient } from '../aws/signed-call';

/**
 * The Kinesis calls the consumer makes. The engine depends on this rather than on the client so a test
 * can wrap the real client (to expire iterators on a fake clock, say) without mocking the SDK.
 */
export interface KinesisReadApi {
  listShards(input: ListShardsInput, signal?: AbortSignal): Promise<ListShardsOutput>;
  getShardIterator(input: GetShardIteratorInput, signal?: AbortSignal): Promise<GetShardIteratorOutput>;
  getRecords(input: GetRecordsInput, signal?: AbortSignal): Promise<GetRecordsOutput>;
}

/**
 * The read API over an SDK v3 client. On a client made by `AwsClientFactory` (its protocol is
 * `KinesisReadProtocol`) that leaves retries to the runtime (one attempt), GetRecords, the call made
 * five times a second per shard, goes out as a `signedCall`: the client's own endpoint rules, signer,
 * credentials, HTTP handler and protocol without the cost of its middleware stack (middleware added to
 * such a client does not see GetRecords). Any other client (a stock one, or one given more than one
 * attempt) is used through `send`.
 */
export function kinesisReadApi(client: KinesisClient): KinesisReadApi {
  const viaSend = (input: GetRecordsInput, signal?: AbortSignal) =>
    client.send(new GetRecordsCommand(input), { abortSignal: signal });
  let getRecords: KinesisReadApi['getRecords'] = viaSend;
  if (client.config.protocol instanceof KinesisReadProtocol) {
    const signed = signedCall<GetRecordsInput, GetRecordsCommandOutput>(
      client as unknown as SignedCallClient,
      GetRecordsCommand,
      GetRecords$,
    );
    // maxAttempts is a provider; it is read once, on the first call.
    let oneAttempt: Promise<boolean> | undefined;
    getRecords = async (input, signal) => {
      oneAttempt ??= client.config.maxAttempts().then((attempts) => attempts === 1);
      return (await oneAttempt) ? signed(input, signal) : viaSend(input, signal);
    };
  }
  return {
    listShards: (input, signal) => client.send(new ListShardsCommand(input), { abortSignal: signal }),
    getShardIterator: (input, signal) =>
      client.send(new GetShardIteratorCommand(input), { abortSignal: signal }),
    getRecords,
  };
}
