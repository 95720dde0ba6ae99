import { hash, randomBytes } from 'node:crypto';
import * as kinesisAgg from 'aws-kinesis-agg';
import {
  aggregate,
  deaggregate,
  type AggregatedRecord,
  type UserRecord,
} from '../functions/core/record-format';
import { compare, type BenchRow, type BenchSection } from './harness';

/**
 * Aggregation and deaggregation throughput of this codec, of aws-kinesis-agg 4.2.8 (the incumbent,
 * through its callback API) and of the copy+MD5 bound, all in this process on the same records.
 */

const MiB = 1024 * 1024;
/** User data per measured batch, whatever the record size. */
const BATCH_BYTES = 2 * MiB;
/** aws-kinesis-agg always packs records to the 1 MiB limit; ours is shown at that size too. */
const PACKED_SIZE_BYTES = MiB;
const SIZES = [
  { label: '100 B', bytes: 100, aggregateTarget: 0.4, deaggregateTarget: { vsIncumbent: 2.5 } },
  { label: '1 KiB', bytes: 1024, aggregateTarget: 0.85, deaggregateTarget: { vsBound: 0.8 } },
  { label: '10 KiB', bytes: 10240, aggregateTarget: 0.85, deaggregateTarget: { vsBound: 0.8 } },
] as const;
/** Published figures (FACTS.md, same machines) shown beside the in-process bound for context. */
const PUBLISHED_BOUND_MB_PER_S: Record<number, number> = { 100: 605, 1024: 650, 10240: 692 };

interface TheirEncodedRecord {
  readonly partitionKey: string;
  readonly data: Buffer;
}
interface TheirUserRecord {
  readonly data: string;
}

function makeBatch(recordBytes: number): UserRecord[] {
  const count = Math.ceil(BATCH_BYTES / recordBytes);
  const pool = randomBytes(count * recordBytes);
  // Distinct 16-character partition keys, as from a producer keyed by entity id.
  return Array.from({ length: count }, (_, i) => ({
    partitionKey: randomBytes(8).toString('hex'),
    data: pool.subarray(i * recordBytes, (i + 1) * recordBytes),
  }));
}

function theirAggregate(records: readonly UserRecord[]): Promise<Buffer[]> {
  return new Promise((resolve, reject) => {
    const output: Buffer[] = [];
    kinesisAgg.aggregate(
      records as unknown[],
      (encoded: TheirEncodedRecord, done: () => void) => {
        output.push(encoded.data);
        done();
      },
      () => resolve(output),
      (error: Error) => reject(error),
    );
  });
}

function theirDeaggregate(records: readonly AggregatedRecord[]): number {
  let count = 0;
  for (const [i, record] of records.entries()) {
    kinesisAgg.deaggregateSync(
      // Its declared type wants a Lambda payload; it also takes the data as a Buffer, skipping base64.
      { partitionKey: record.partitionKey, data: record.data, sequenceNumber: String(i) } as never,
      true,
      (error: Error | null, userRecords?: TheirUserRecord[]) => {
        if (error) throw error;
        count += userRecords!.length;
      },
    );
  }
  return count;
}

/** What any aggregator must do at least: copy every user record into its output and MD5 the output. */
function boundAggregate(records: readonly UserRecord[]): Buffer[] {
  const output: Buffer[] = [];
  let start = 0;
  while (start < records.length) {
    let end = start;
    let bytes = 0;
    while (end < records.length && bytes + records[end]!.data.length <= PACKED_SIZE_BYTES)
      bytes += records[end++]!.data.length;
    const out = Buffer.allocUnsafe(bytes + 16);
    let pos = 0;
    for (let i = start; i < end; i++) {
      const data = records[i]!.data;
      out.set(data, pos);
      pos += data.length;
    }
    out.set(hash('md5', out.subarray(0, pos), 'buffer'), pos);
    output.push(out);
    start = end;
  }
  return output;
}

/** What any deaggregator must do at least: MD5 the record and copy its bytes out (to reused memory). */
function boundDeaggregate(records: readonly AggregatedRecord[], scratch: Buffer): number {
  let total = 0;
  for (const record of records) {
    const data = record.data;
    const digest = hash('md5', data.subarray(4, data.length - 16), 'buffer');
    scratch.set(data);
    total += data.length + digest.length;
  }
  return total;
}

function ourDeaggregate(records: readonly AggregatedRecord[]): number {
  let count = 0;
  for (const [i, record] of records.entries()) {
    count += deaggregate({
      partitionKey: record.partitionKey,
      data: record.data,
      sequenceNumber: String(i),
    }).length;
  }
  return count;
}

export async function run(): Promise<BenchSection> {
  const rows: BenchRow[] = [];
  for (const size of SIZES) {
    const records = makeBatch(size.bytes);
    const dataBytes = records.length * size.bytes;
    const mbPerS = (ns: number) => (dataBytes / ns) * 1e3;
    const recordsPerS = (ns: number) => (records.length / ns) * 1e9;

    const aggregated = aggregate(records, { maxSize: PACKED_SIZE_BYTES });
    const scratch = Buffer.allocUnsafe(PACKED_SIZE_BYTES);
    // Each codec must read back what the other wrote, or the figures mean nothing.
    if (ourDeaggregate(await theirAggregate(records).then(toAggregatedRecords)) !== records.length) {
      throw new Error('aws-kinesis-agg output did not deaggregate to the batch');
    }
    if (theirDeaggregate(aggregated) !== records.length)
      throw new Error('our output did not deaggregate to the batch');

    const aggregation = await compare({
      ours: () => aggregate(records),
      oursPacked: () => aggregate(records, { maxSize: PACKED_SIZE_BYTES }),
      theirs: () => theirAggregate(records),
      bound: () => boundAggregate(records),
    });
    const deaggregation = await compare({
      ours: () => ourDeaggregate(aggregated),
      theirs: () => theirDeaggregate(aggregated),
      bound: () => boundDeaggregate(aggregated, scratch),
    });

    const figure = (label: string, ns: number, anchor?: BenchRow['anchor'], target?: BenchRow['target']) => ({
      label,
      value: mbPerS(ns),
      unit: 'MB/s',
      also: { value: recordsPerS(ns), unit: 'records/s' },
      ...(anchor === undefined ? {} : { anchor }),
      ...(target === undefined ? {} : { target }),
    });
    const published = { label: 'FACTS.md bound', value: PUBLISHED_BOUND_MB_PER_S[size.bytes]! };

    const op = `aggregate ${size.label}`;
    const aggBound = { label: 'copy+MD5 bound', value: mbPerS(aggregation.bound!) };
    rows.push(
      figure(`${op} ours`, aggregation.ours!, aggBound, { minRatio: size.aggregateTarget }),
      figure(`${op} ours, 1 MiB records`, aggregation.oursPacked!, aggBound),
      figure(`${op} aws-kinesis-agg`, aggregation.theirs!, aggBound),
      figure(`${op} copy+MD5 bound`, aggregation.bound!, published),
      {
        label: `${op} ours vs aws-kinesis-agg`,
        value: mbPerS(aggregation.ours!),
        unit: 'MB/s',
        anchor: { label: 'aws-kinesis-agg', value: mbPerS(aggregation.theirs!) },
      },
    );

    const deop = `deaggregate ${size.label}`;
    const deaggBound = { label: 'copy+MD5 bound', value: mbPerS(deaggregation.bound!) };
    const target = size.deaggregateTarget;
    rows.push(
      figure(
        `${deop} ours`,
        deaggregation.ours!,
        deaggBound,
        'vsBound' in target ? { minRatio: target.vsBound } : undefined,
      ),
      figure(`${deop} aws-kinesis-agg`, deaggregation.theirs!, deaggBound),
      figure(`${deop} copy+MD5 bound`, deaggregation.bound!, published),
      {
        label: `${deop} ours vs aws-kinesis-agg`,
        value: mbPerS(deaggregation.ours!),
        unit: 'MB/s',
        anchor: { label: 'aws-kinesis-agg', value: mbPerS(deaggregation.theirs!) },
        ...('vsIncumbent' in target ? { target: { minRatio: target.vsIncumbent } } : {}),
      },
    );
  }
  return {
    title: 'Record format: KPL aggregation and deaggregation',
    rows,
    notes: [
      `Batches of ${BATCH_BYTES / MiB} MiB of random user data with distinct 16-character partition keys; MB = 10^6 bytes of user data.`,
      '"ours" aggregates with its defaults (KPL AggregationMaxSize 51,200); "ours, 1 MiB records" packs like aws-kinesis-agg, which always fills 1 MiB.',
      'Deaggregation input: 1 MiB aggregated records, the same bytes for both codecs.',
      'Aggregation bound: copy each user record into a fresh buffer per 1 MiB record and MD5 it. Deaggregation bound: MD5 each record and copy it once into reused memory.',
      'aws-kinesis-agg: aggregate() callback API; deaggregateSync() with checksums on, given the data as a Buffer (no base64 decode).',
      'Medians of 15 interleaved rounds of at least 100 ms each, after a warm-up.',
    ],
  };
}

function toAggregatedRecords(buffers: readonly Buffer[]): AggregatedRecord[] {
  return buffers.map((data) => ({
    partitionKey: 'p',
    data,
    aggregated: true,
    userRecordCount: 0,
    userRecords: [],
  }));
}
