import { KinesisClient } from '@aws-sdk/client-kinesis';
import { CONSUMER_DEFAULTS, type EfoConfig } from '../functions/core/config/consumer-settings';
import { enhancedFanOut } from '../functions/core/consumer/efo/enhanced-fan-out';
import type { ConsumerEngine } from '../functions/core/consumer/engine';
import type { BatchHandler } from '../functions/core/consumer/types';
import { systemClock } from '../functions/core/time/clock';
import { startLocalAws, type LocalAws } from '../local/harness';
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
  const run = ++runs;
  return benchEngine(aws, stream, handler, {
    checkpointPath: `/bench/efo-${run}`,
    ...(kind === 'EFO'
      ? {
          shardSource: (logger) =>
            enhancedFanOut({
              subscriber: aws.http2Client('kinesis', KinesisClient),
              control: aws.client('kinesis', KinesisClient),
              efo: efoConfig(`bench-${run}`),
              clock: systemClock,
              random: Math.random,
              logger,
            }),
        }
      : {}),
  });
}

export async function run(): Promise<BenchSection> {
  const local = await startLocalAws({ kinesis: { enhancedFanOut: true }, ssm: true });
  const kinesis = local.clients.client('kinesis', KinesisClient);
  try {
    await createStreamAndWait(kinesis, 'bench-efo-latency', 2);
    const reading = (kind: Kind) => (handler: BatchHandler<string>) =>
      engine(local, kind, 'bench-efo-latency', handler);
    // Both engines read the same stream at once, so they see the same records under the same load.
    const latencies = await trickleLatency(
      kinesis,
      'bench-efo-latency',
      { POLLING: reading('POLLING'), EFO: reading('EFO') },
      { seconds: LATENCY_SECONDS, warmupSeconds: LATENCY_WARMUP_SECONDS },
    );
    await createStreamAndWait(kinesis, 'bench-efo-catchup', SHARDS);
    await putBacklog(kinesis, 'bench-efo-catchup', BACKLOG, RECORD_BYTES);
    const draining = (kind: Kind) => (handler: BatchHandler<string>) =>
      engine(local, kind, 'bench-efo-catchup', handler);
    const raw: number[] = [];
    const efo: number[] = [];
    const polling: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      raw.push(await rawGetRecordsLoop(kinesis, 'bench-efo-catchup', BACKLOG));
      efo.push(await catchUpRate(draining('EFO'), BACKLOG, 'EFO engine'));
      polling.push(await catchUpRate(draining('POLLING'), BACKLOG, 'polling engine'));
    }
    const rows: BenchRow[] = [
      ...latencyRows(latencies.EFO, {
        qualifier: ', EFO',
        anchor: { label: 'polling, same records', latencies: latencies.POLLING },
        maxMillis: { p50: 100 },
      }),
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
