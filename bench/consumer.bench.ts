import { KinesisClient } from '@aws-sdk/client-kinesis';
import { AwsClientFactory } from '../functions/core/aws/clients';
import type { BatchHandler } from '../functions/core/consumer/types';
import { startLocalAws } from '../local/harness';
import { startKinesalite } from '../local/kinesis/kinesalite';
import { createStreamAndWait } from '../local/kinesis/streams';
import {
  benchEngine,
  catchUpRate,
  latencyRows,
  median,
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

const engine = (aws: AwsClientFactory, stream: string) => (handler: BatchHandler<string>) =>
  benchEngine(aws, stream, handler, { checkpointPath: `/bench/consumer-${++checkpointPaths}` });

export async function run(): Promise<BenchSection> {
  const kinesalite = await startKinesalite();
  const local = await startLocalAws({ ssm: true });
  const aws = new AwsClientFactory({
    ...local.awsSettings,
    endpoints: { ...local.awsSettings.endpoints, kinesis: kinesalite.endpoint },
  });
  const kinesis = aws.client('kinesis', KinesisClient);
  try {
    await createStreamAndWait(kinesis, 'bench-catchup', SHARDS);
    await putBacklog(kinesis, 'bench-catchup', BACKLOG, RECORD_BYTES);
    const raw: number[] = [];
    const ours: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      raw.push(await rawGetRecordsLoop(kinesis, 'bench-catchup', BACKLOG));
      ours.push(await catchUpRate(engine(aws, 'bench-catchup'), BACKLOG, 'engine'));
    }
    await createStreamAndWait(kinesis, 'bench-latency', 2);
    const { engine: latencies } = await trickleLatency(
      kinesis,
      'bench-latency',
      { engine: engine(aws, 'bench-latency') },
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
      ...latencyRows(latencies, { maxMillis: { p50: 500, p99: 1500 } }),
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
