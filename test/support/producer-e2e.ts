import * as path from 'node:path';
import { ListShardsCommand, type KinesisClient } from '@aws-sdk/client-kinesis';
import type { SQSClient } from '@aws-sdk/client-sqs';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { shardPagesFromStart } from '../../local/kinesis/streams';
import { SqsEventSourceMapping } from '../../local/runner/event-source-mapping';
import type { ShardContent } from './kcl-reader';

/** A producer Lambda handler as the tests call it. */
export type ProducerLambdaHandler = (
  event: SQSEvent,
  context: { getRemainingTimeInMillis(): number },
) => Promise<SQSBatchResponse>;

/**
 * Loads a producer handler module afresh with `env` as its environment, as a cold start does: the
 * built-in functions/producer/handler.ts, or `module` (an absolute path) and its `exportName`.
 */
export function loadProducerHandler(
  env: Record<string, string>,
  module = path.join(__dirname, '..', '..', 'functions', 'producer', 'handler'),
  exportName = 'handler',
): ProducerLambdaHandler {
  const saved = { ...process.env };
  Object.assign(process.env, env, { POWERTOOLS_METRICS_DISABLED: 'true', POWERTOOLS_LOG_LEVEL: 'SILENT' });
  try {
    let handler: ProducerLambdaHandler | undefined;
    jest.isolateModules(() => {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      handler = (require(module) as Record<string, ProducerLambdaHandler>)[exportName];
    });
    if (!handler) throw new Error('the handler module exported no handler');
    return handler;
  } finally {
    for (const key of Object.keys(process.env)) if (!(key in saved)) delete process.env[key];
    Object.assign(process.env, saved);
  }
}

/**
 * The local runner's SQS event source mapping (local/runner/event-source-mapping.ts) stepped by the
 * test: `pollOnce` invokes the handler with what is visible (up to `batchSize`, 10 per ReceiveMessage),
 * then deletes the messages it did not report as batch item failures (none when it throws). Every
 * response or thrown error is kept in `responses`.
 */
export class EventSourceMappingEmulator {
  readonly responses: (SQSBatchResponse | Error)[] = [];
  private readonly mapping: SqsEventSourceMapping;

  constructor(options: {
    readonly sqs: SQSClient;
    readonly queueUrl: string;
    readonly handler: (event: SQSEvent) => Promise<SQSBatchResponse>;
    /** @default 10 */
    readonly batchSize?: number;
  }) {
    this.mapping = new SqsEventSourceMapping({
      ...options,
      onInvocation: (outcome) => {
        if (outcome.error) this.responses.push(outcome.error);
        else if (outcome.response) this.responses.push(outcome.response);
      },
    });
  }

  get invocations(): number {
    return this.mapping.stats.invocations;
  }

  /** Runs one invocation with whatever is visible; false when the queue had nothing to deliver. */
  async pollOnce(): Promise<boolean> {
    return (await this.mapping.pollOnce()) !== undefined;
  }

  /** Invokes until a receive finds nothing visible. */
  drain(maxInvocations = 10000): Promise<void> {
    return this.mapping.drain(maxInvocations);
  }
}

/** Every record of every shard of a stream, read from TRIM_HORIZON, with each shard's hash range. */
export async function readStream(kinesis: KinesisClient, stream: string): Promise<ShardContent[]> {
  const { Shards = [] } = await kinesis.send(new ListShardsCommand({ StreamName: stream }));
  const contents: ShardContent[] = [];
  for (const shard of Shards) {
    const records: ShardContent['records'][number][] = [];
    for await (const page of shardPagesFromStart(kinesis, stream, shard.ShardId)) {
      for (const r of page)
        records.push({ partitionKey: r.PartitionKey ?? '', data: r.Data ?? new Uint8Array() });
    }
    contents.push({
      shardId: shard.ShardId ?? '',
      start: BigInt(shard.HashKeyRange?.StartingHashKey ?? '0'),
      end: BigInt(shard.HashKeyRange?.EndingHashKey ?? '0'),
      records,
    });
  }
  return contents;
}
