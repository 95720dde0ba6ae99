import {
  GetRecordsCommand,
  GetShardIteratorCommand,
  KinesisClient,
  ListShardsCommand,
  PutRecordsCommand,
} from '@aws-sdk/client-kinesis';
import { Logger } from '@aws-lambda-powertools/logger';
import { SSMClient } from '@aws-sdk/client-ssm';
import type { SubtaskLease } from '../functions/core/checkpoints/checkpoint-store';
import { SsmCheckpointStore } from '../functions/core/checkpoints/ssm-checkpoint-store';
import { CONSUMER_DEFAULTS, type EfoConfig } from '../functions/core/config/consumer-settings';
import { stringDeserializer } from '../functions/core/consumer/deserializers';
import { enhancedFanOut } from '../functions/core/consumer/efo/enhanced-fan-out';
import { ConsumerEngine, DEFAULT_ENGINE_SETTINGS } from '../functions/core/consumer/engine';
import { kinesisReadApi } from '../functions/core/consumer/kinesis-api';
import type { BatchHandler } from '../functions/core/consumer/types';
import { systemClock } from '../functions/core/time/clock';
import { startLocalAws, type LocalAws } from '../local/harness';
import { createStreamAndWait } from '../local/kinesis/streams';
import { median, type BenchRow, type BenchSection } from './harness';

/**
 * Enhanced fan-out against polling on one local stack (kinesalite behind the fault proxy behind the
 * EFO server, checkpoints in the local SSM server), in the same run:
 * - latency: put-to-handler time while records trickle in, with a polling engine (defaults: 200 ms
 *   interval) and an EFO engine reading the same stream at the same time;
 * - catch-up: records/s draining a backlog with the EFO engine and with the polling engine, against a
 *   raw GetRecords loop over the same backlog and the same endpoint, rounds interleaved.
 */

const SHARDS = 4;
const BACKLOG = 40_000;
const RECORD_BYTES = 100;
const ROUNDS = 3;
const LATENCY_SECONDS = 15;
const LATENCY_WARMUP_SECONDS = 2;

type Kind = 'POLLING' | 'EFO';
let runs = 0;

const lease = (): SubtaskLease => ({
  acquire: async () => undefined,
  isHeld: async () => true,
  release: async () => undefined,
});

function efoConfig(consumerName: string): EfoConfig {
  const { efo } = CONSUMER_DEFAULTS;
  return {
    consumerName,
    registration: 'LAZY',
    consumerArns: {},
    subscribeToShard: {
      backoff: efo.subscribeToShard.backoff,
      timeoutMillis: efo.subscribeToShard.establishWithinSeconds * 1000,
    },
    registerStreamConsumer: {
      backoff: efo.registerStreamConsumer.backoff,
      timeoutMillis: efo.registerStreamConsumer.activeWithinSeconds * 1000,
    },
    describeStreamConsumer: { backoff: efo.describeStreamConsumer.backoff },
  };
}

function engine(
  local: LocalAws,
  kind: Kind,
  stream: string,
  handler: BatchHandler<string>,
): ConsumerEngine<string> {
  const aws = local.clients;
  const logger = new Logger({ logLevel: 'SILENT' });
  const run = ++runs;
  return new ConsumerEngine<string>(
    {
      kinesis: kinesisReadApi(aws.client('kinesis', KinesisClient)),
      checkpoints: new SsmCheckpointStore({
        ssm: aws.client('ssm', SSMClient),
        parameterPath: `/bench/efo-${run}`,
        clock: systemClock,
        random: Math.random,
      }),
      lease,
      clock: systemClock,
      random: Math.random,
      logger,
      ...(kind === 'EFO'
        ? {
            shardSource: enhancedFanOut({
              subscriber: aws.http2Client('kinesis', KinesisClient),
              control: aws.client('kinesis', KinesisClient),
              efo: efoConfig(`bench-${run}`),
              clock: systemClock,
              random: Math.random,
              logger,
            }),
          }
        : {}),
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

async function catchUp(local: LocalAws, kind: Kind, stream: string): Promise<number> {
  let delivered = 0;
  const controller = new AbortController();
  const started = performance.now();
  let last = started;
  const summary = await engine(local, kind, stream, (records) => {
    delivered += records.length;
    last = performance.now();
    if (delivered >= BACKLOG) controller.abort();
  }).run({ subtaskIndex: 0, parallelism: 1, deadline: Date.now() + 120_000, signal: controller.signal });
  if (summary.error) throw summary.error;
  if (delivered !== BACKLOG)
    throw new Error(`${kind} engine delivered ${delivered} records, expected ${BACKLOG}`);
  return BACKLOG / ((last - started) / 1000);
}

/** Both engines read one stream while records trickle in; put-to-handler milliseconds per engine. */
async function latency(local: LocalAws, stream: string): Promise<Record<Kind, number[]>> {
  const kinesis = local.clients.client('kinesis', KinesisClient);
  const latencies: Record<Kind, number[]> = { POLLING: [], EFO: [] };
  const controller = new AbortController();
  const measureFrom = Date.now() + LATENCY_WARMUP_SECONDS * 1000;
  const runsOf = (['POLLING', 'EFO'] as const).map((kind) =>
    engine(local, kind, stream, (records) => {
      const now = Date.now();
      for (const record of records) {
        const sentAt = Number(record.data);
        if (sentAt >= measureFrom) latencies[kind].push(now - sentAt);
      }
    }).run({ subtaskIndex: 0, parallelism: 1, deadline: Date.now() + 120_000, signal: controller.signal }),
  );
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
  await new Promise((resolve) => setTimeout(resolve, 1500));
  controller.abort();
  for (const summary of await Promise.all(runsOf)) if (summary.error) throw summary.error;
  latencies.POLLING.sort((a, b) => a - b);
  latencies.EFO.sort((a, b) => a - b);
  return latencies;
}

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

export async function run(): Promise<BenchSection> {
  const local = await startLocalAws({ kinesis: { enhancedFanOut: true }, ssm: true });
  const kinesis = local.clients.client('kinesis', KinesisClient);
  try {
    await createStreamAndWait(kinesis, 'bench-efo-latency', 2);
    const latencies = await latency(local, 'bench-efo-latency');
    await createStreamAndWait(kinesis, 'bench-efo-catchup', SHARDS);
    await putBacklog(kinesis, 'bench-efo-catchup');
    const raw: number[] = [];
    const efo: number[] = [];
    const polling: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      raw.push(await rawLoop(kinesis, 'bench-efo-catchup'));
      efo.push(await catchUp(local, 'EFO', 'bench-efo-catchup'));
      polling.push(await catchUp(local, 'POLLING', 'bench-efo-catchup'));
    }
    const rows: BenchRow[] = [
      {
        label: 'put-to-handler latency p50, EFO',
        value: percentile(latencies.EFO, 50),
        unit: 'ms',
        anchor: { label: 'polling, same records', value: percentile(latencies.POLLING, 50) },
        target: { maxValue: 100 },
      },
      {
        label: 'put-to-handler latency p99, EFO',
        value: percentile(latencies.EFO, 99),
        unit: 'ms',
        anchor: { label: 'polling, same records', value: percentile(latencies.POLLING, 99) },
      },
      {
        label: `catch-up, EFO engine, ${SHARDS} shards`,
        value: median(efo),
        unit: 'records/s',
        anchor: { label: 'raw GetRecords loop', value: median(raw) },
      },
      {
        label: `catch-up, polling engine, ${SHARDS} shards`,
        value: median(polling),
        unit: 'records/s',
        anchor: { label: 'raw GetRecords loop', value: median(raw) },
      },
    ];
    return {
      title: 'Enhanced fan-out beside polling on one local stack (EFO server, fault proxy, kinesalite)',
      rows,
      notes: [
        `latency: ${latencies.EFO.length} records (EFO) and ${latencies.POLLING.length} (polling) at about 200/s over ` +
          `2 shards for ${LATENCY_SECONDS} s, both engines reading the same stream at once, polling at the default ` +
          `200 ms interval; max EFO ${percentile(latencies.EFO, 100)} ms, polling ${percentile(latencies.POLLING, 100)} ms`,
        `catch-up: ${BACKLOG.toLocaleString('en-US')} records of ${RECORD_BYTES} B over ${SHARDS} shards, median of ` +
          `${ROUNDS} interleaved rounds through the same endpoint; the raw loop has no interval or limits`,
      ],
    };
  } finally {
    await local.stop();
  }
}
