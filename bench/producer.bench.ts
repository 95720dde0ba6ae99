import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ProducerKinesisApi, PutRecordsInput } from '../functions/core/producer/kinesis-api';
import type { ProducerMessage } from '../functions/core/producer/message-contract';
import { Producer, type ProducerSettings } from '../functions/core/producer/producer';
import { FakeClock, seededRandom, systemClock } from '../functions/core/time/clock';
import { KinesisShardModel } from '../test/support/kinesis-shard-model';
import { PRODUCER_BUNDLE_DEFINE } from '../lib/bundling';
import { buildBundle, largestSources, pairedLoadTimes } from './bundle';
import { compare, type BenchRow, type BenchSection } from './harness';

/**
 * The producer's benchmarks: handler throughput on the pure path, PutRecords calls and PUT payload
 * units with and without aggregation, the per-shard limiter against a model of a shard's write limits
 * on a simulated clock, and the Lambda bundle's size and module load time.
 */

const KiB = 1024;
const MiB = 1024 * KiB;
const BATCH = 10000;
const SIZES = [
  { label: '100 B', bytes: 100 },
  { label: '1 KiB', bytes: KiB },
] as const;
/** One core's MD5 plus a copy (FACTS.md, same machines): the bound of any aggregating producer. */
const BOUND_MB_PER_S: Record<number, number> = { 100: 605, 1024: 650 };
const PUT_PAYLOAD_UNIT = 25 * KiB;

function messages(count: number, bytes: number, sentAt: number, keys = 1000): ProducerMessage[] {
  const random = seededRandom(bytes);
  return Array.from({ length: count }, (_, i) => {
    let data = '';
    while (data.length < bytes) data += Math.floor(random() * 0x100000000).toString(36);
    return {
      messageId: `m-${i}`,
      body: JSON.stringify({ data: data.slice(0, bytes), partitionKey: `user-${i % keys}` }),
      sentTimestamp: sentAt,
    };
  });
}

function shards(count: number) {
  const span = (1n << 128n) / BigInt(count);
  return Array.from({ length: count }, (_, i) => ({
    ShardId: `shardId-${String(i).padStart(12, '0')}`,
    HashKeyRange: {
      StartingHashKey: (span * BigInt(i)).toString(),
      EndingHashKey: (i === count - 1 ? (1n << 128n) - 1n : span * BigInt(i + 1) - 1n).toString(),
    },
    SequenceNumberRange: { StartingSequenceNumber: '0' },
  }));
}

/** A Kinesis that accepts every record at once and counts what it was sent. */
class InstantKinesis implements ProducerKinesisApi {
  calls = 0;
  records = 0;
  payloadUnits = 0;

  constructor(private readonly shardCount: number) {}

  async putRecords(input: PutRecordsInput) {
    this.calls++;
    const records = input.Records ?? [];
    this.records += records.length;
    for (const r of records) {
      const bytes = (r.Data?.length ?? 0) + Buffer.byteLength(r.PartitionKey ?? '');
      this.payloadUnits += Math.ceil(bytes / PUT_PAYLOAD_UNIT);
    }
    // No ShardId: the writer then takes the prediction as right, as when the map is current.
    return { Records: records.map(() => ({ SequenceNumber: '1' })), FailedRecordCount: 0 };
  }

  async listShards() {
    return shards(this.shardCount);
  }

  reset(): void {
    this.calls = 0;
    this.records = 0;
    this.payloadUnits = 0;
  }
}

/** The whole handler path but the network: parse, validate, route, predict, aggregate, collect, write. */
export async function throughput(): Promise<BenchSection> {
  const rows: BenchRow[] = [];
  const notes: string[] = [];
  for (const size of SIZES) {
    for (const aggregationEnabled of [true, false]) {
      const kinesis = new InstantKinesis(8);
      // The limiter is set out of the way: this measures CPU, not the shard limits.
      const producer = new Producer(
        { defaultStream: 's', aggregationEnabled, rateLimitPercent: 1e9, recordTtlMillis: 1e12 },
        { kinesis, clock: systemClock, random: seededRandom(1) },
      );
      const batch = messages(BATCH, size.bytes, Date.now());
      await producer.process(batch);
      const nanos = await compare({ batch: () => producer.process(batch) }, { rounds: 9, minRoundMs: 300 });
      const perSecond = (BATCH * 1e9) / (nanos.batch ?? 1);
      rows.push({
        label: `user records/s per core, ${size.label}, ${aggregationEnabled ? 'aggregated' : 'not aggregated'}`,
        value: perSecond,
        unit: 'records/s',
        anchor: {
          label: 'one core MD5 + copy',
          value: ((BOUND_MB_PER_S[size.bytes] ?? 0) * 1e6) / size.bytes,
        },
      });
      if (aggregationEnabled) {
        notes.push(
          `${size.label}: a batch of ${BATCH} messages takes ${((nanos.batch ?? 0) / 1e6).toFixed(1)} ms.`,
        );
      }
    }
  }
  notes.push(
    `Producer.process on batches of ${BATCH} envelope messages (1,000 partition keys, 8 shards) against a ` +
      'Kinesis that answers at once; JSON parsing of the envelope included. The anchor is the bound of the codec alone.',
  );
  return { title: 'Producer: handler throughput on the pure path', rows, notes };
}

/** PutRecords calls and PUT payload units per million user records, aggregated or not. */
export async function calls(): Promise<BenchSection> {
  const rows: BenchRow[] = [];
  const MILLION = 1e6;
  for (const size of SIZES) {
    const figures: Record<string, { calls: number; units: number }> = {};
    for (const aggregationEnabled of [false, true]) {
      const kinesis = new InstantKinesis(8);
      const producer = new Producer(
        { defaultStream: 's', aggregationEnabled, rateLimitPercent: 1e9, recordTtlMillis: 1e12 },
        { kinesis, clock: systemClock, random: seededRandom(2) },
      );
      const batch = messages(BATCH, size.bytes, Date.now());
      for (let sent = 0; sent < MILLION; sent += BATCH) await producer.process(batch);
      figures[String(aggregationEnabled)] = { calls: kinesis.calls, units: kinesis.payloadUnits };
    }
    const plain = figures.false ?? { calls: 0, units: 0 };
    const aggregated = figures.true ?? { calls: 0, units: 0 };
    rows.push(
      { label: `PutRecords calls, ${size.label}, not aggregated`, value: plain.calls, unit: 'calls' },
      {
        label: `PutRecords calls, ${size.label}, aggregated`,
        value: aggregated.calls,
        unit: 'calls',
        anchor: { label: 'not aggregated', value: plain.calls },
      },
      { label: `PUT payload units, ${size.label}, not aggregated`, value: plain.units, unit: 'units' },
      {
        label: `PUT payload units, ${size.label}, aggregated`,
        value: aggregated.units,
        unit: 'units',
        anchor: { label: 'not aggregated', value: plain.units },
      },
    );
  }
  return {
    title: 'Producer: PutRecords calls and 25 KB PUT payload units per million records',
    rows,
    notes: [
      `One million user records in SQS batches of ${BATCH}, 1,000 partition keys over 8 shards; ` +
        'AggregationMaxSize 51200, CollectionMaxCount 500, CollectionMaxSize 5 MiB (the KPL defaults).',
      'A payload unit is each started 25 KiB of a Kinesis record (data and partition key).',
    ],
  };
}

interface RateRun {
  readonly recordsPerSecond: number;
  readonly bytesPerSecond: number;
  readonly throttled: number;
}

/** Drives one shard of the model for about 25 simulated seconds and measures the steady state. */
async function rateRun(settings: ProducerSettings, recordBytes: number, count: number): Promise<RateRun> {
  const clock = new FakeClock(0, { autoAdvance: true });
  const model = new KinesisShardModel({ clock, latencyMillis: 20 });
  model.createStream('s', 1);
  const producer = new Producer(
    // A TTL beyond the run: the point is the pace, so no record may expire while queued.
    { defaultStream: 's', recordTtlMillis: 600000, ...settings },
    { kinesis: model, clock, random: seededRandom(3) },
  );
  await producer.process(messages(count, recordBytes, 0, 100));
  // The first seconds spend the full bucket the limiter and the model both start with; measure after.
  const from = 2000;
  const to = 22000;
  const [shardId] = model.shardIds('s');
  const window = model.records('s', shardId ?? '').filter((r) => r.arrivedAt >= from && r.arrivedAt < to);
  const bytes = window.reduce((sum, r) => sum + r.data.length + Buffer.byteLength(r.partitionKey), 0);
  const seconds = (to - from) / 1000;
  return {
    recordsPerSecond: window.length / seconds,
    bytesPerSecond: bytes / seconds,
    throttled: model.throttledEntries,
  };
}

/** The per-shard token buckets against a model of a shard's write limits, on a simulated clock. */
export async function rateLimit(): Promise<BenchSection> {
  const records = await rateRun({ aggregationEnabled: false }, 100, 30000);
  const bytes = await rateRun({ aggregationEnabled: true }, KiB, 30000);
  const over = await rateRun({ aggregationEnabled: false, rateLimitPercent: 150 }, 100, 30000);
  return {
    title: 'Producer: per-shard rate limiting against a model of the shard write limits',
    rows: [
      {
        label: 'records/s, 100 B, not aggregated, RateLimit 100',
        value: records.recordsPerSecond,
        unit: 'records/s',
        anchor: { label: 'shard limit', value: 1000 },
        target: { minRatio: 0.95 },
      },
      {
        label: 'throttled entries, 100 B, RateLimit 100',
        value: records.throttled,
        unit: 'entries',
        target: { maxValue: 0 },
      },
      {
        label: 'MiB/s, 1 KiB, aggregated, RateLimit 100',
        value: bytes.bytesPerSecond / MiB,
        unit: 'MiB/s',
        anchor: { label: 'shard limit', value: 1 },
        target: { minRatio: 0.95 },
      },
      {
        label: 'throttled entries, 1 KiB aggregated, RateLimit 100',
        value: bytes.throttled,
        unit: 'entries',
        target: { maxValue: 0 },
      },
      {
        label: "throttled entries, 100 B, RateLimit 150 (the KPL's default)",
        value: over.throttled,
        unit: 'entries',
      },
    ],
    notes: [
      'One shard; 30,000 user records queued at once; the model answers in 20 ms and admits a record only ' +
        'when its buckets (1,000 records/s and 1 MiB/s, each holding one second) have room, else ' +
        'ProvisionedThroughputExceededException. Rates are measured from 2 s to 22 s of simulated time.',
      'The RateLimit 150 row shows the model does throttle a producer that asks for more than the shard gives.',
    ],
  };
}

/** The producer Lambda bundle against a bundle of the bare SDK clients and logger, built the same way. */
export async function bundle(): Promise<BenchSection> {
  const dir = mkdtempSync(join(tmpdir(), 'producer-bundle-'));
  try {
    const handler = await buildBundle({ entry: 'functions/producer/handler.ts' }, dir, 'handler', {
      define: PRODUCER_BUNDLE_DEFINE,
    });
    const baseline = await buildBundle(
      {
        contents: [
          "import { Logger } from '@aws-lambda-powertools/logger';",
          "import { KinesisClient } from '@aws-sdk/client-kinesis';",
          "import { SQSClient } from '@aws-sdk/client-sqs';",
          'export const kinesis = new KinesisClient({ region: process.env.AWS_REGION });',
          'export const sqs = new SQSClient({ region: process.env.AWS_REGION });',
          "export const logger = new Logger({ serviceName: 'baseline' });",
        ].join('\n'),
      },
      dir,
      'baseline',
    );
    const load = pairedLoadTimes(handler.file, baseline.file, { AWS_REGION: 'us-east-1' });
    return {
      title: 'Producer: Lambda bundle',
      rows: [
        {
          label: 'producer handler bundle, minified',
          value: handler.bytes / 1000,
          unit: 'KB',
          anchor: { label: 'bare clients + logger', value: baseline.bytes / 1000 },
          target: { maxValue: 500 },
        },
        {
          label: 'module load time',
          value: load.millis,
          unit: 'ms',
          anchor: { label: 'bare clients + logger', value: load.baselineMillis },
        },
        {
          label: 'module load time ratio (median of paired runs; also: CPU time)',
          value: load.ratio,
          unit: 'x',
          also: { value: load.cpuRatio, unit: 'x' },
          target: { maxValue: 1.2 },
        },
      ],
      notes: [
        `Where the bytes go: ${largestSources(handler, 10)}.`,
        'esbuild with the options of lib/bundling.ts (what the KinesisProducer construct passes to ' +
          'NodejsFunction): CommonJS, minified, target node24, main fields module,main, the SDK bundled but for ' +
          'the credential providers Lambda never reaches. Load time is require() of the bundle in a fresh node ' +
          'process, median of 31 runs interleaved with the baseline.',
      ],
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
