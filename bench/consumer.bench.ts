import {
  CreateStreamCommand,
  DescribeStreamSummaryCommand,
  GetRecordsCommand,
  GetShardIteratorCommand,
  KinesisClient,
  ListShardsCommand,
  PutRecordsCommand,
} from '@aws-sdk/client-kinesis';
import { Logger } from '@aws-lambda-powertools/logger';
import { SSMClient } from '@aws-sdk/client-ssm';
import { AwsClientFactory } from '../functions/core/aws/clients';
import type { SubtaskLease } from '../functions/core/checkpoints/checkpoint-store';
import { SsmCheckpointStore } from '../functions/core/checkpoints/ssm-checkpoint-store';
import { stringDeserializer } from '../functions/core/consumer/deserializers';
import { ConsumerEngine, DEFAULT_ENGINE_SETTINGS } from '../functions/core/consumer/engine';
import { kinesisReadApi } from '../functions/core/consumer/kinesis-api';
import type { BatchHandler } from '../functions/core/consumer/types';
import { systemClock } from '../functions/core/time/clock';
import { startLocalAws } from '../local/harness';
import { startKinesalite } from '../local/kinesis/kinesalite';
import { median, type BenchRow, type BenchSection } from './harness';

/**
 * The consumer on local Kinesis (kinesalite in this process, no fault proxy) with checkpoints in the
 * local SSM server:
 * - catch-up: records/s draining a backlog with the engine at its defaults (200 ms interval, 10,000
 *   records per call, 5 calls/s and 2 MiB/s per shard), against a raw GetRecords loop per shard over
 *   the same backlog in the same run, rounds interleaved;
 * - latency: put-to-handler time while records trickle in, engine at its defaults.
 */

const SHARDS = 4;
const BACKLOG = 120_000;
const RECORD_BYTES = 100;
const ROUNDS = 3;
const LATENCY_SECONDS = 15;
const LATENCY_WARMUP_SECONDS = 2;

let checkpointPaths = 0;

// The lease's settle delay is paid once per invocation (a minute), not per record: left out here.
const lease = (): SubtaskLease => ({
  acquire: async () => undefined,
  isHeld: async () => true,
  release: async () => undefined,
});

function engine(
  aws: AwsClientFactory,
  stream: string,
  handler: BatchHandler<string>,
): ConsumerEngine<string> {
  return new ConsumerEngine<string>(
    {
      kinesis: kinesisReadApi(aws.client('kinesis', KinesisClient)),
      checkpoints: new SsmCheckpointStore({
        ssm: aws.client('ssm', SSMClient),
        parameterPath: `/bench/consumer-${++checkpointPaths}`,
        clock: systemClock,
        random: Math.random,
      }),
      lease,
      clock: systemClock,
      random: Math.random,
      logger: new Logger({ logLevel: 'SILENT' }),
    },
    {
      ...DEFAULT_ENGINE_SETTINGS,
      streams: [stream],
      initialPosition: { type: 'TRIM_HORIZON' },
      deserializer: stringDeserializer,
      handler,
    },
  );
}

async function createStream(kinesis: KinesisClient, stream: string, shards: number): Promise<void> {
  await kinesis.send(new CreateStreamCommand({ StreamName: stream, ShardCount: shards }));
  for (;;) {
    const summary = await kinesis.send(new DescribeStreamSummaryCommand({ StreamName: stream }));
    if (summary.StreamDescriptionSummary?.StreamStatus === 'ACTIVE') return;
  }
}

async function putBacklog(kinesis: KinesisClient, stream: string): Promise<void> {
  const padding = 'x'.repeat(RECORD_BYTES - 12);
  for (let start = 0; start < BACKLOG; start += 2000) {
    await Promise.all(
      [0, 500, 1000, 1500].map((offset) =>
        kinesis.send(
          new PutRecordsCommand({
            StreamName: stream,
            Records: Array.from({ length: 500 }, (_, i) => ({
              PartitionKey: `k${start + offset + i}`,
              Data: new TextEncoder().encode(`${String(start + offset + i).padStart(11, '0')}${padding}`),
            })),
          }),
        ),
      ),
    );
  }
}

/** Drains every shard with back-to-back GetRecords calls; records/s up to the last record read. */
async function rawLoop(kinesis: KinesisClient, stream: string): Promise<number> {
  const started = performance.now();
  const shards = (await kinesis.send(new ListShardsCommand({ StreamName: stream }))).Shards ?? [];
  let total = 0;
  let last = started;
  await Promise.all(
    shards.map(async (shard) => {
      let iterator = (
        await kinesis.send(
          new GetShardIteratorCommand({
            StreamName: stream,
            ShardId: shard.ShardId,
            ShardIteratorType: 'TRIM_HORIZON',
          }),
        )
      ).ShardIterator;
      while (iterator) {
        const page = await kinesis.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: 10_000 }));
        const count = page.Records?.length ?? 0;
        if (count === 0) break;
        total += count;
        last = performance.now();
        iterator = page.NextShardIterator;
      }
    }),
  );
  if (total !== BACKLOG) throw new Error(`raw loop read ${total} records, expected ${BACKLOG}`);
  return BACKLOG / ((last - started) / 1000);
}

/** Drains the backlog with the engine; records/s up to the last delivery. */
async function engineRun(aws: AwsClientFactory, stream: string): Promise<number> {
  let delivered = 0;
  const controller = new AbortController();
  const started = performance.now();
  let last = started;
  const summary = await engine(aws, stream, (records) => {
    delivered += records.length;
    last = performance.now();
    if (delivered >= BACKLOG) controller.abort();
  }).run({ subtaskIndex: 0, parallelism: 1, deadline: Date.now() + 120_000, signal: controller.signal });
  if (summary.error) throw summary.error;
  if (delivered !== BACKLOG) throw new Error(`engine delivered ${delivered} records, expected ${BACKLOG}`);
  return BACKLOG / ((last - started) / 1000);
}

async function latency(aws: AwsClientFactory, stream: string): Promise<number[]> {
  const kinesis = aws.client('kinesis', KinesisClient);
  const latencies: number[] = [];
  const controller = new AbortController();
  const measureFrom = Date.now() + LATENCY_WARMUP_SECONDS * 1000;
  const run = engine(aws, stream, (records) => {
    const now = Date.now();
    for (const record of records) {
      const sentAt = Number(record.data);
      if (sentAt >= measureFrom) latencies.push(now - sentAt);
    }
  }).run({ subtaskIndex: 0, parallelism: 1, deadline: Date.now() + 120_000, signal: controller.signal });
  // About 200 records/s in small batches, as a steady producer would send them.
  const end = Date.now() + LATENCY_SECONDS * 1000;
  while (Date.now() < end) {
    const sentAt = Date.now();
    await kinesis.send(
      new PutRecordsCommand({
        StreamName: stream,
        Records: Array.from({ length: 4 }, (_, i) => ({
          PartitionKey: `k${sentAt}-${i}`,
          Data: new TextEncoder().encode(String(sentAt)),
        })),
      }),
    );
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  // Let the last puts arrive before stopping.
  await new Promise((resolve) => setTimeout(resolve, 1500));
  controller.abort();
  const summary = await run;
  if (summary.error) throw summary.error;
  return latencies.sort((a, b) => a - b);
}

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

export async function run(): Promise<BenchSection> {
  const kinesalite = await startKinesalite();
  const local = await startLocalAws({ ssm: true });
  const aws = new AwsClientFactory({
    ...local.awsSettings,
    endpoints: { ...local.awsSettings.endpoints, kinesis: kinesalite.endpoint },
  });
  const kinesis = aws.client('kinesis', KinesisClient);
  try {
    await createStream(kinesis, 'bench-catchup', SHARDS);
    await putBacklog(kinesis, 'bench-catchup');
    const raw: number[] = [];
    const ours: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      raw.push(await rawLoop(kinesis, 'bench-catchup'));
      ours.push(await engineRun(aws, 'bench-catchup'));
    }
    await createStream(kinesis, 'bench-latency', 2);
    const latencies = await latency(aws, 'bench-latency');
    const rows: BenchRow[] = [
      {
        label: `catch-up, engine, ${SHARDS} shards`,
        value: median(ours),
        unit: 'records/s',
        anchor: { label: 'raw GetRecords loop', value: median(raw) },
        target: { minRatio: 0.8 },
      },
      {
        label: 'put-to-handler latency p50',
        value: percentile(latencies, 50),
        unit: 'ms',
        target: { maxValue: 500 },
      },
      {
        label: 'put-to-handler latency p99',
        value: percentile(latencies, 99),
        unit: 'ms',
        target: { maxValue: 1500 },
      },
    ];
    return {
      title: 'Consumer on local Kinesis (kinesalite in process), checkpoints in the local SSM server',
      rows,
      notes: [
        `catch-up: ${BACKLOG.toLocaleString('en-US')} records of ${RECORD_BYTES} B over ${SHARDS} shards, median of ` +
          `${ROUNDS} interleaved rounds; engine at its defaults, raw loop with no interval or limits`,
        `latency: ${latencies.length} records at about 200/s over 2 shards for ${LATENCY_SECONDS} s, ` +
          `engine at the default 200 ms interval; max ${percentile(latencies, 100)} ms`,
      ],
    };
  } finally {
    aws.destroy();
    await local.stop();
    await kinesalite.close();
  }
}
