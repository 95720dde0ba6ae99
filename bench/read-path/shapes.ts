import { randomBytes } from 'node:crypto';
import type { _Record } from '@aws-sdk/client-kinesis';
import { cbor, tag } from '@smithy/core/cbor';
import { aggregate } from '../../functions/core/record-format';
import type { KinesisRecord } from '../../functions/core/record-format/aggregated-record';
import { seededRandom } from '../../functions/core/time/clock';

/** One record shape of the read-path benchmark and one GetRecords response of it. */
export interface ReadShape {
  readonly label: string;
  /** Kinesis records of one response, as the engine's reader sees them after parsing. */
  readonly records: readonly _Record[];
  /** The same records for `deaggregate`, the bound's input. */
  readonly kinesisRecords: readonly KinesisRecord[];
  /** User records in one response (after deaggregation). */
  readonly userRecords: number;
  /** Data plus partition key bytes of one response: what Kinesis counts against the 2 MiB/s. */
  readonly bytes: number;
  /** The response body as Kinesis sends it in JSON (awsJson 1.1). */
  readonly json: Buffer;
  /**
   * The response body as Kinesis sends it in CBOR (`application/x-amz-cbor-1.1`): data as byte strings,
   * arrival times as tag 1 with epoch milliseconds.
   */
  readonly cbor: Buffer;
}

/** A JSON document of exactly `bytes` bytes, shaped like an application event. */
function jsonEvent(n: number, bytes: number, random: () => number): Uint8Array {
  const event: Record<string, unknown> = {
    id: n,
    user: `user-${Math.floor(random() * 100_000)}`,
    type: n % 3 === 0 ? 'click' : 'view',
    at: 1_765_000_000_000 + n,
  };
  // Larger events carry more fields, as a real 1 KiB event would, rather than one long string.
  for (let field = 0; JSON.stringify(event).length < bytes - 40; field++) {
    event[`attribute${field}`] = field % 2 === 0 ? Math.floor(random() * 1e9) : `value-${field}-${n}`;
  }
  const text = JSON.stringify({ ...event, pad: '' });
  const padded = JSON.stringify({ ...event, pad: 'x'.repeat(Math.max(0, bytes - text.length)) });
  return Buffer.from(padded);
}

const SEQUENCE_BASE = 49_590_338_271_490_256_608_559_692_538_361_571_095_921_575_989_136_588_898n;

/**
 * `responseBytes` of records of `recordBytes` JSON each, plain or KPL-aggregated (KPL's default
 * 51,200-byte aggregates), as one GetRecords response.
 */
export function readShape(
  label: string,
  recordBytes: number,
  aggregated: boolean,
  responseBytes: number,
): ReadShape {
  const random = seededRandom(recordBytes * (aggregated ? 2 : 1));
  const users = Array.from({ length: Math.ceil(responseBytes / recordBytes) }, (_, n) => ({
    partitionKey: randomBytes(8).toString('hex'),
    data: jsonEvent(n, recordBytes, random),
  }));
  const kinesisData = aggregated
    ? aggregate(users).map((r) => ({ partitionKey: r.partitionKey, data: r.data, count: r.userRecordCount }))
    : users.map((u) => ({ ...u, count: 1 }));
  const arrival = 1_765_000_000.123;
  const records: _Record[] = kinesisData.map((r, i) => ({
    SequenceNumber: (SEQUENCE_BASE + BigInt(i) * 1_000_000n).toString(),
    ApproximateArrivalTimestamp: new Date(Math.round((arrival + i / 1000) * 1000)),
    Data: r.data,
    PartitionKey: r.partitionKey,
  }));
  const kinesisRecords: KinesisRecord[] = records.map((r) => ({
    partitionKey: r.PartitionKey!,
    data: r.Data!,
    sequenceNumber: r.SequenceNumber!,
    approximateArrivalTimestamp: r.ApproximateArrivalTimestamp!,
  }));
  // Kinesis writes the arrival time as epoch seconds in Java's double notation (1.765000000123E9).
  const body = {
    Records: records.map((r) => ({
      SequenceNumber: r.SequenceNumber,
      ApproximateArrivalTimestamp: r.ApproximateArrivalTimestamp!.getTime() / 1000,
      Data: Buffer.from(r.Data!).toString('base64'),
      PartitionKey: r.PartitionKey,
    })),
    NextShardIterator: `AAAAAAAAAAH${randomBytes(150).toString('base64')}`,
    MillisBehindLatest: 0,
  };
  const json = Buffer.from(
    JSON.stringify(body).replace(/"ApproximateArrivalTimestamp":([0-9.]+)/g, (_, seconds: string) => {
      const [whole, fraction = ''] = seconds.split('.');
      return `"ApproximateArrivalTimestamp":${whole![0]}.${whole!.slice(1)}${fraction}E${whole!.length - 1}`;
    }),
  );
  const cborBody = Buffer.from(
    cbor.serialize({
      Records: records.map((r) => ({
        SequenceNumber: r.SequenceNumber,
        ApproximateArrivalTimestamp: tag({ tag: 1, value: r.ApproximateArrivalTimestamp!.getTime() }),
        Data: r.Data,
        PartitionKey: r.PartitionKey,
      })),
      NextShardIterator: body.NextShardIterator,
      MillisBehindLatest: 0,
    }),
  );
  return {
    label,
    records,
    kinesisRecords,
    userRecords: kinesisData.reduce((sum, r) => sum + r.count, 0),
    bytes: records.reduce((sum, r) => sum + r.Data!.length + r.PartitionKey!.length, 0),
    json,
    cbor: cborBody,
  };
}
