import {
  DescribeStreamSummaryCommand,
  KinesisClient,
  PutRecordsCommand,
  RegisterStreamConsumerCommand,
  SubscribeToShardCommand,
  type SubscribeToShardEvent,
  type SubscribeToShardInput,
} from '@aws-sdk/client-kinesis';
import { LOCAL_CREDENTIALS } from '../../../local/harness';
import { createStreamAndWait } from '../../../local/kinesis/streams';

/**
 * The unmodified SDK v3 Kinesis client with its stock request handler (NodeHttp2Handler, a session of
 * its own per request), as on AWS; one attempt per call so tests see each error.
 */
export function stockKinesisClient(endpoint: string): KinesisClient {
  return new KinesisClient({
    region: 'us-east-1',
    endpoint,
    credentials: {
      accessKeyId: LOCAL_CREDENTIALS.accessKeyId,
      secretAccessKey: LOCAL_CREDENTIALS.secretAccessKey,
    },
    maxAttempts: 1,
  });
}

/** Creates a stream and returns its ARN. */
export async function createStream(kinesis: KinesisClient, name: string, shards = 1): Promise<string> {
  await createStreamAndWait(kinesis, name, shards);
  const { StreamDescriptionSummary } = await kinesis.send(
    new DescribeStreamSummaryCommand({ StreamName: name }),
  );
  return StreamDescriptionSummary?.StreamARN as string;
}

export async function registerConsumer(
  kinesis: KinesisClient,
  streamArn: string,
  name: string,
): Promise<string> {
  const { Consumer } = await kinesis.send(
    new RegisterStreamConsumerCommand({ StreamARN: streamArn, ConsumerName: name }),
  );
  return Consumer?.ConsumerARN as string;
}

export async function put(
  kinesis: KinesisClient,
  stream: string,
  data: string[],
  partitionKey = 'k',
): Promise<string[]> {
  const { Records = [] } = await kinesis.send(
    new PutRecordsCommand({
      StreamName: stream,
      Records: data.map((d) => ({ Data: Buffer.from(d), PartitionKey: partitionKey })),
    }),
  );
  return Records.map((r) => r.SequenceNumber as string);
}

/** An open SubscribeToShard read event by event; `close` resets the HTTP/2 stream. */
export interface OpenStream {
  next(): Promise<SubscribeToShardEvent | 'ended'>;
  /** Events until `enough` says so; fails the test if the stream ends first. */
  until(enough: (events: SubscribeToShardEvent[]) => boolean): Promise<SubscribeToShardEvent[]>;
  close(): void;
}

export async function subscribe(kinesis: KinesisClient, input: SubscribeToShardInput): Promise<OpenStream> {
  const abort = new AbortController();
  const { EventStream } = await kinesis.send(new SubscribeToShardCommand(input), {
    abortSignal: abort.signal,
  });
  if (!EventStream) throw new Error('SubscribeToShard returned no event stream.');
  const iterator = EventStream[Symbol.asyncIterator]();
  const next = async (): Promise<SubscribeToShardEvent | 'ended'> => {
    const { value, done } = await iterator.next();
    if (done) return 'ended';
    if (!value.SubscribeToShardEvent) throw new Error(`Unexpected event ${JSON.stringify(value)}`);
    return value.SubscribeToShardEvent;
  };
  return {
    next,
    until: async (enough) => {
      const events: SubscribeToShardEvent[] = [];
      while (!enough(events)) {
        const event = await next();
        if (event === 'ended') throw new Error(`The subscription ended after ${events.length} events.`);
        events.push(event);
      }
      return events;
    },
    close: () => abort.abort(),
  };
}

/** The records' data of some events, as UTF-8. */
export function dataOf(events: readonly SubscribeToShardEvent[]): string[] {
  return events.flatMap((e) =>
    (e.Records ?? []).map((r) => Buffer.from(r.Data ?? new Uint8Array()).toString('utf8')),
  );
}
