import { CreateStreamCommand, DescribeStreamSummaryCommand, KinesisClient } from '@aws-sdk/client-kinesis';
import { Logger } from '@aws-lambda-powertools/logger';
import { SSMClient } from '@aws-sdk/client-ssm';
import { AwsClientFactory } from '../functions/core/aws/clients';
import { SsmCheckpointStore } from '../functions/core/checkpoints/ssm-checkpoint-store';
import { stringDeserializer } from '../functions/core/consumer/deserializers';
import { ConsumerEngine, DEFAULT_ENGINE_SETTINGS } from '../functions/core/consumer/engine';
import { kinesisReadApi } from '../functions/core/consumer/kinesis-api';
import type { BatchHandler } from '../functions/core/consumer/types';
import { systemClock } from '../functions/core/time/clock';
import { startLocalAws } from '../local/harness';
import { startKinesalite } from '../local/kinesis/kinesalite';
import {
  catchUpRate,
  median,
  NO_LEASE,
  percentile,
  putBacklog,
  rawGetRecordsLoop,
  trickleLatency,
  type BenchRow,
  type BenchSection,
} from './harness';

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
      lease: NO_LEASE,
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
    await putBacklog(kinesis, 'bench-catchup', BACKLOG, RECORD_BYTES);
    const raw: number[] = [];
    const ours: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      raw.push(await rawGetRecordsLoop(kinesis, 'bench-catchup', BACKLOG));
      ours.push(await catchUpRate((handler) => engine(aws, 'bench-catchup', handler), BACKLOG, 'engine'));
    }
    await createStream(kinesis, 'bench-latency', 2);
    const { engine: latencies } = await trickleLatency(
      kinesis,
      'bench-latency',
      { engine: (handler) => engine(aws, 'bench-latency', handler) },
      { seconds: LATENCY_SECONDS, warmupSeconds: LATENCY_WARMUP_SECONDS },
    );
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
