/**
 * What Lambda's Node.js runtime gives a function's process, for the local runner's function processes and
 * the benchmarks that model one.
 *
 * The runtime's bootstrap (`/var/runtime/bootstrap`, as read in the nodejs14.x and nodejs18.x images;
 * assumed unchanged in the later ones, whose bootstrap could not be read here) starts Node with V8 heap
 * limits taken from `AWS_LAMBDA_FUNCTION_MEMORY_SIZE`: a tenth of it for the young generation, half of
 * that as `--max-semi-space-size`, and the rest as `--max-old-space-size`. Node on its own picks a much
 * smaller semi-space (16 MiB at most, less below 2 GiB of memory), and how often V8 scavenges, and so
 * how much it copies, depends on it: a benchmark that leaves the flags out measures a process Lambda
 * never runs.
 */

/** The memory size at which Lambda gives a function one full vCPU. */
export const ONE_VCPU_MEMORY_MB = 1769;

/** The V8 flags Lambda's Node.js runtime starts a function of `memoryMb` with. */
export function lambdaRuntimeNodeFlags(memoryMb: number): string[] {
  const youngGeneration = Math.floor(memoryMb / 10);
  return [
    `--max-semi-space-size=${Math.floor(youngGeneration / 2)}`,
    `--max-old-space-size=${memoryMb - youngGeneration}`,
  ];
}

/** The memory size the local runner's function processes model (what their Lambda context reports). */
export const LOCAL_FUNCTION_MEMORY_MB = 512;

/**
 * What Lambda puts in a function's environment about the function: its name, by which the connector's
 * handlers tell that they run as a function (`functions/core/v8-heap.ts`), and its memory size, from
 * which Lambda's runtime derives the heap limits above.
 */
export function lambdaProcessEnvironment(functionName: string, memoryMb: number): Record<string, string> {
  return { AWS_LAMBDA_FUNCTION_NAME: functionName, AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(memoryMb) };
}
