// What the consumer's and the producer's settings tables share about the function's process: one row's
// default, range and description, which each table gives its own key (consumer.*, producer.*).
import { integer } from './validate';

export const RUNTIME_DEFAULTS = Object.freeze({
  /** V8's heap growing percent in a Lambda function: a factor of 4 (functions/core/v8-heap.ts). */
  heapGrowingPercent: 300,
});

/** The kind and description of `consumer.heapgrowingpercent` and `producer.heapgrowingpercent`. */
export function heapGrowingPercentRow(calls: string) {
  return {
    kind: integer(0, 1000, 'percent; 0 leaves V8 its own'),
    default: RUNTIME_DEFAULTS.heapGrowingPercent,
    description:
      'in a Lambda function, how far V8 lets the heap grow past what is live before its next full garbage ' +
      "collection (V8's --heap-growing-percent, set when the handler is built). Under the heap limits Lambda's " +
      `Node.js runtime sets, V8 otherwise runs one every few ${calls} (docs/sizing.md)`,
  };
}
