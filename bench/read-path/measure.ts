/**
 * The read-path benchmark's measuring process: `measure` from read-path.bench.ts, run in a process of
 * its own so that the parent can choose its environment (glibc reads the allocator settings only when
 * a process starts). Argument: "true" for every part and client, "false" for the read path alone.
 * Sends `{ measured }` or `{ error }` to the parent, then exits.
 */
import { measure } from '../read-path.bench';

measure(process.argv[2] === 'true').then(
  (measured) => process.send?.({ measured }, () => process.exit(0)),
  (error: unknown) =>
    process.send?.({ error: error instanceof Error ? (error.stack ?? error.message) : String(error) }, () =>
      process.exit(1),
    ),
);
