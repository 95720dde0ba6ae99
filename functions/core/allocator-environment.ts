/**
 * Environment variables that tune glibc's malloc in a Lambda container running this project's
 * functions, set by the constructs (`ConnectorFunction`) and by the local runner's function processes.
 * glibc reads them when the process starts; Node's own memory outside V8's heap (every socket read's
 * 64 KiB buffer, record data) comes from malloc.
 *
 * By default glibc hands freed memory at the top of its heap back to the kernel once more than 128 KiB
 * is free there, and takes it back on the next allocation: every page of it then faults again when
 * first written. Receiving a GetRecords response allocates and frees a 64 KiB buffer per socket read,
 * so the heap's top keeps crossing that threshold. Measured (`npm run bench -- read-path`, the rows
 * against glibc's defaults), receiving a 422 KiB response took 0 to 2 page faults a call with these
 * settings and up to 158 without, each fault costing tens of microseconds of CPU on the benchmark's
 * machine.
 *
 * - `MALLOC_TRIM_THRESHOLD_`: keep up to 128 MiB of free memory instead of returning it. A Lambda
 *   container's memory is reserved for it whatever it uses, so keeping freed memory costs nothing.
 * - `MALLOC_TOP_PAD_`: grow the heap 16 MiB at a time, so it is extended (and faults) less often.
 *   Untouched pages of the pad take no memory.
 */
export const ALLOCATOR_ENVIRONMENT: Readonly<Record<string, string>> = {
  MALLOC_TRIM_THRESHOLD_: String(128 * 1024 * 1024),
  MALLOC_TOP_PAD_: String(16 * 1024 * 1024),
};
