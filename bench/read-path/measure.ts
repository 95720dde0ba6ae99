/**
 * The read-path benchmark's measuring process: `measure` from read-path.bench.ts, run in a process of
 * its own so that the parent can choose its environment (glibc reads the allocator settings only when
 * a process starts). Arguments: "true" for every part and client, "false" for the read path alone; then
 * V8's heap growing percent, set as the consumer handler sets it in a Lambda function (0: V8's own).
 * Sends `{ measured }` or `{ error }` to the parent, then exits.
 */
import { applyHeapGrowingPercent } from '../../functions/core/v8-heap';
import { measure } from '../read-path.bench';

applyHeapGrowingPercent(Number(process.argv[3] ?? 0));

measure(process.argv[2] === 'true').then(
  (measured) => process.send?.({ measured }, () => process.exit(0)),
  (error: unknown) =>
    process.send?.({ error: error instanceof Error ? (error.stack ?? error.message) : String(error) }, () =>
      process.exit(1),
    ),
);
