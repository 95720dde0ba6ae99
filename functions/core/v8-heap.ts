import { setFlagsFromString } from 'node:v8';

/**
 * V8's heap growing factor for a connector function's process in Lambda (the settings
 * `consumer.heapgrowingpercent` and `producer.heapgrowingpercent`).
 *
 * After each full garbage collection V8 lets the old generation grow to the live size times a factor
 * before it starts the next one. When Node is started with an explicit `--max-old-space-size` below V8's
 * default for the machine, as Lambda's Node.js runtime starts every function (90 % of its memory),
 * V8 picks a small factor and also starts marking early whenever the room left is less than the young
 * generation's capacity. A connector function's old generation is small (tens of MB) and its young
 * generation large, so V8 then runs a full collection every few GetRecords or PutRecords calls, on
 * Node 20 and on Node 24 alike.
 * With a factor of 4, as V8 gives a heap limit at its default, they become rare; docs/sizing.md has the
 * figures, and `npm run bench -- read-path` (the rows "vs V8's own heap growing") measures it each run.
 *
 * A larger factor costs memory the function has reserved anyway: V8 still collects before the heap
 * reaches its limit, so it never runs out sooner.
 *
 * The flag is read each time V8 computes its next limit, so setting it when the handler is built (at a
 * cold start) takes effect from the next collection on. It is process-wide, which is why it is set only
 * in a Lambda function's process (`AWS_LAMBDA_FUNCTION_NAME`, which Lambda and the local runner set),
 * never in a process that merely builds a handler, such as a test.
 */
export function applyHeapGrowingPercent(
  percent: number,
  environment: Readonly<Record<string, string | undefined>> = process.env,
  setFlags: (flags: string) => void = setFlagsFromString,
): boolean {
  if (percent <= 0 || environment.AWS_LAMBDA_FUNCTION_NAME === undefined) return false;
  setFlags(`--heap-growing-percent=${percent}`);
  return true;
}
