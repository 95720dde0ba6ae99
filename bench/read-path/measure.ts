/**
 * The read-path benchmark's measuring process: `measure` or `measurePutRecords` from
 * read-path.bench.ts, run in a process of its own so that the parent can start it as Lambda starts a
 * function (glibc reads the allocator settings, and V8 its heap limits, only when a process starts).
 * Arguments: what to measure ("read-path-full" for every part and client, "read-path" for the read path
 * alone, "put-records" for the producer's PutRecords call); then V8's heap growing percent, set as the
 * handlers set it in a Lambda function (0: V8's own). Sends `{ measured }` or `{ error }` to the parent,
 * then exits.
 */
import { applyHeapGrowingPercent } from '../../functions/core/v8-heap';
import { measure, measurePutRecords, type MeasureWhat } from '../read-path.bench';

applyHeapGrowingPercent(Number(process.argv[3] ?? 0));

const what = process.argv[2] as MeasureWhat;
const measured: Promise<unknown> =
  what === 'put-records' ? measurePutRecords() : measure(what === 'read-path-full');

measured.then(
  (result) => process.send?.({ measured: result }, () => process.exit(0)),
  (error: unknown) =>
    process.send?.({ error: error instanceof Error ? (error.stack ?? error.message) : String(error) }, () =>
      process.exit(1),
    ),
);
