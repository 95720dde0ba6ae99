import { cbor, tag } from '@smithy/core/cbor';
import { parseGetRecordsCbor } from '/work/main/functions/core/aws/get-records-cbor';
import { parseGetRecordsJson } from '/work/main/functions/core/aws/get-records-json';
import { readShape } from '/work/main/bench/read-path/shapes';
for (const [label, bytes, agg] of [['plain 100', 100, false], ['plain 1k', 1024, false], ['agg 1k', 1024, true]] as const) {
  const shape = readShape(label, bytes, agg, 2 * 1024 * 1024 / 5);
  const body = cbor.serialize({
    Records: shape.records.map((r) => ({ SequenceNumber: r.SequenceNumber, ApproximateArrivalTimestamp: tag({ tag: 1, value: r.ApproximateArrivalTimestamp!.getTime() }), Data: r.Data, PartitionKey: r.PartitionKey })),
    NextShardIterator: 'it-1', MillisBehindLatest: 0,
  });
  const a = parseGetRecordsCbor(body); const b = parseGetRecordsJson(shape.json)!;
  const same = JSON.stringify(a, (k, v) => v instanceof Uint8Array ? Buffer.from(v).toString('base64') : v) === JSON.stringify(b, (k, v) => v instanceof Uint8Array ? Buffer.from(v).toString('base64') : v);
  const time = (f: () => unknown) => { for (let i = 0; i < 20; i++) f(); const t = process.cpuUsage(); for (let i = 0; i < 100; i++) f(); const u = process.cpuUsage(t); return ((u.user + u.system) / 100).toFixed(0); };
  console.log(label, 'same', same, 'cbor KiB', (body.length / 1024).toFixed(0), 'json KiB', (shape.json.length / 1024).toFixed(0),
    'cbor us', time(() => parseGetRecordsCbor(body)), 'json us', time(() => parseGetRecordsJson(shape.json)), 'smithy us', time(() => cbor.deserialize(body)));
}
