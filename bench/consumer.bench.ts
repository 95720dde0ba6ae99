import type { AddressInfo } from 'node:net';
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
import kinesalite from 'kinesalite';
import { AwsClientFactory } from '../functions/core/aws/clients';
import type {
  CheckpointStore,
  CheckpointValue,
  StoredCheckpoint,
  SubtaskLease,
} from '../functions/core/checkpoints/checkpoint-store';
import { stringDeserializer } from '../functions/core/consumer/deserializers';
import { ConsumerEngine, DEFAULT_ENGINE_SETTINGS } from '../functions/core/consumer/engine';
import { kinesisReadApi } from '../functions/core/consumer/kinesis-api';
import type { BatchHandler } from '../functions/core/consumer/types';
import { systemClock } from '../functions/core/time/clock';
import { median, type BenchRow, type BenchSection } from './harness';

/**
 * The consumer on local Kinesis (kinesalite in this process):
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

class MemoryStore implements CheckpointStore {
  private readonly values = new Map<number, CheckpointValue>();
  async loadAll(): Promise<StoredCheckpoint[]> {
    return [...this.values].map(([subtaskIndex, value]) => ({ ...value, subtaskIndex }));
  }
  async save(subtaskIndex: number, value: CheckpointValue): Promise<{ writes: number }> {
    this.values.set(subtaskIndex, value);
    return { writes: 1 };
  }
}

const lease = (): SubtaskLease => ({
  acquire: async () => undefined,
  isHeld: async () => true,
  release: async () => undefined,
});

function engine(
  kinesis: KinesisClient,
  stream: string,
  handler: BatchHandler<string>,
): ConsumerEngine<string> {
  return new ConsumerEngine<string>(
    {
      kinesis: kinesisReadApi(kinesis),
      checkpoints: new MemoryStore(),
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

/** Drains every shard with back-to-back GetRecords calls; records/s. */
async function rawLoop(kinesis: KinesisClient, stream: string): Promise<number> {
  const started = performance.now();
  const shards = (await kinesis.send(new ListShardsCommand({ StreamName: stream }))).Shards ?? [];
  let total = 0;
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
        iterator = page.NextShardIterator;
      }
    }),
  );
  if (total !== BACKLOG) throw new Error(`raw loop read ${total} records, expected ${BACKLOG}`);
  return BACKLOG / ((performance.now() - started) / 1000);
}

/** Drains the backlog with the engine; records/s up to the last delivery. */
async function engineRun(kinesis: KinesisClient, stream: string): Promise<number> {
  let delivered = 0;
  const controller = new AbortController();
  const started = performance.now();
  let last = started;
  const summary = await engine(kinesis, stream, (records) => {
    delivered += records.length;
    last = performance.now();
    if (delivered >= BACKLOG) controller.abort();
  }).run({ subtaskIndex: 0, parallelism: 1, deadline: Date.now() + 120_000, signal: controller.signal });
  if (summary.error) throw summary.error;
  if (delivered !== BACKLOG) throw new Error(`engine delivered ${delivered} records, expected ${BACKLOG}`);
  return BACKLOG / ((last - started) / 1000);
}

async function latency(kinesis: KinesisClient, stream: string): Promise<number[]> {
  const latencies: number[] = [];
  const controller = new AbortController();
  const measureFrom = Date.now() + LATENCY_WARMUP_SECONDS * 1000;
  const run = engine(kinesis, stream, (records) => {
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
  const server = kinesalite({ createStreamMs: 0, deleteStreamMs: 0, updateStreamMs: 0, shardLimit: 1000 });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const aws = new AwsClientFactory({
    region: 'us-east-1',
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    credentials: { provider: 'BASIC', accessKeyId: 'local', secretAccessKey: 'local' },
  });
  const kinesis = aws.client('kinesis', KinesisClient);
  try {
    await createStream(kinesis, 'bench-catchup', SHARDS);
    await putBacklog(kinesis, 'bench-catchup');
    const raw: number[] = [];
    const ours: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      raw.push(await rawLoop(kinesis, 'bench-catchup'));
      ours.push(await engineRun(kinesis, 'bench-catchup'));
    }
    await createStream(kinesis, 'bench-latency', 2);
    const latencies = await latency(kinesis, 'bench-latency');
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
      title: 'Consumer on local Kinesis (kinesalite in process)',
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
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
