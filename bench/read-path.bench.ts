import { fork, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { Logger } from '@aws-lambda-powertools/logger';
import { GetRecordsCommand, KinesisClient, type GetRecordsOutput } from '@aws-sdk/client-kinesis';
import { randomBytes } from 'node:crypto';
import { GCProfiler } from 'node:v8';
import { cbor } from '@smithy/core/cbor';
import { HttpRequest } from '@smithy/core/transport';
import type { NodeHttpHandler } from '@smithy/node-http-handler';
import { ALLOCATOR_ENVIRONMENT } from '../functions/core/allocator-environment';
import { AwsClientFactory } from '../functions/core/aws/clients';
import { CBOR_CONTENT_TYPE, parseGetRecordsCbor } from '../functions/core/aws/get-records-cbor';
import { parseGetRecordsJson } from '../functions/core/aws/get-records-json';
import { jsonDeserializer } from '../functions/core/consumer/deserializers';
import { ConsumerEngine, DEFAULT_ENGINE_SETTINGS } from '../functions/core/consumer/engine';
import { kinesisReadApi, type KinesisReadApi } from '../functions/core/consumer/kinesis-api';
import { kinesisApi } from '../functions/core/producer/kinesis-api';
import { deaggregate } from '../functions/core/record-format/deaggregate';
import { systemClock } from '../functions/core/time/clock';
import { median, NO_LEASE, type BenchRow, type BenchSection } from './harness';
import { CONSUMER_DEFAULTS, CONSUMER_SETTINGS } from '../functions/core/config/consumer-settings';
import { PRODUCER_DEFAULTS, PRODUCER_SETTINGS } from '../functions/core/config/producer-settings';
import { FUNCTION_DEFAULTS } from '../lib/connector-function';
import {
  lambdaProcessEnvironment,
  lambdaRuntimeNodeFlags,
  ONE_VCPU_MEMORY_MB,
} from '../local/runner/lambda-runtime';
import { readShape, type ReadShape } from './read-path/shapes';

/**
 * CPU per record of the consumer's read path, whole: the engine reading one shard through the SDK
 * client (signing, the Node HTTP handler, response parsing) from a local server that answers every
 * GetRecords with a pre-built response in Kinesis's own format, delivering to a handler that does
 * nothing. Beside it, in the same run:
 * - the bound: `deaggregate` plus the JSON deserializer over the same records, nothing else;
 * - the engine alone, fed the parsed records from memory (no client);
 * - the parsers alone: this project's CBOR parser (the read path's), its JSON parser, and the SDK's
 *   generic CBOR decoder (`cbor.deserialize`, which the hand-written parser has to beat);
 * - the read path in Kinesis's JSON protocol (`aws.kinesis.cbor` false);
 * - the stock SDK client (JSON, its own response parsing);
 * - in the fixed-cost rows, also this project's client through the SDK's middleware stack (`send`): the
 *   read path before GetRecords became a signed call, to show what the stack costs.
 * Everything is CPU time of the measuring process (`process.cpuUsage`, user + system), not wall time;
 * the server runs in a process of its own so its CPU is not counted. Medians of interleaved rounds. The
 * measuring process is started as Lambda's Node.js runtime starts a 1,769 MB function (its V8 heap
 * limits, `local/runner/lambda-runtime.ts`), with the allocator settings the constructs set and V8's heap
 * growing as the handlers set it in a function; three more processes measure the read path without
 * each of the three.
 *
 * For profiling one case (`node --cpu-prof --import tsx ...`): READ_PATH_ONLY=<text> keeps the shapes
 * whose label and rate contain it ("aggregated 1 KiB JSON 2"), READ_PATH_CLIENT=<name> one client
 * ("read path", "read path in JSON" or "stock SDK"); the ratio rows then need every client.
 * READ_PATH_NODE=<path of a node binary> measures with another Node.js, such as the major version the
 * functions run on in Lambda.
 */

const KiB = 1024;
const MiB = 1024 * KiB;
/** Responses measured per round (after one unmeasured call). */
const CALLS_PER_ROUND = 12;
const ROUNDS = 7;
const WARMUP_ROUNDS = 2;
/** Kinesis's default read interval: 5 calls/s per shard. */
const CALLS_PER_SECOND = 5;

interface ShapeSpec {
  readonly label: string;
  readonly recordBytes: number;
  readonly aggregated: boolean;
  /** The shard's read rate the shape is sized for: each response holds rate / 5 calls/s. */
  readonly shardMiBPerSecond: number;
  /**
   * User records per response instead of the rate's share: a full GetRecords page (Limit 10,000), as a
   * consumer catching up reads it. No shards-per-vCPU figure for these.
   */
  readonly recordsPerResponse?: number;
  /** Only for the shards-per-vCPU figure (no ratio rows). */
  readonly sizingOnly?: boolean;
  readonly minShardsPerVcpu?: number;
  /** Target: the read path at least this many times the stock SDK path. */
  readonly minTimesStock?: number;
}

/** GetRecords' largest Limit: a full page. */
const FULL_PAGE_RECORDS = 10_000;

/** Target: the read path within this factor of the bound's CPU per record. */
const MAX_TIMES_BOUND = 1.5;

const SPECS: readonly ShapeSpec[] = [
  { label: 'plain 100 B JSON', recordBytes: 100, aggregated: false, shardMiBPerSecond: 2, minTimesStock: 3 },
  { label: 'plain 1 KiB JSON', recordBytes: KiB, aggregated: false, shardMiBPerSecond: 2 },
  { label: 'aggregated 100 B JSON', recordBytes: 100, aggregated: true, shardMiBPerSecond: 2 },
  { label: 'aggregated 1 KiB JSON', recordBytes: KiB, aggregated: true, shardMiBPerSecond: 2 },
  {
    label: 'aggregated 1 KiB JSON',
    recordBytes: KiB,
    aggregated: true,
    shardMiBPerSecond: 1,
    sizingOnly: true,
    minShardsPerVcpu: 100,
  },
  // Full pages, where issue 12 saw V8's allocation-site pretenuring slow the engine down.
  {
    label: 'plain 100 B JSON, 10,000-record pages',
    recordBytes: 100,
    aggregated: false,
    shardMiBPerSecond: 2,
    recordsPerResponse: FULL_PAGE_RECORDS,
  },
  {
    label: 'aggregated 1 KiB JSON, 10,000-record pages',
    recordBytes: KiB,
    aggregated: true,
    shardMiBPerSecond: 2,
    recordsPerResponse: FULL_PAGE_RECORDS,
  },
];

/** CPU microseconds of this process, user plus system. */
function cpuMicros(): number {
  const { user, system } = process.cpuUsage();
  return user + system;
}

/**
 * Counts GetRecords calls and measures CPU from the start of call 2 to the start of call 2 + n, and the
 * full (mark-compact) garbage collections in that window.
 */
class MeasuredApi implements KinesisReadApi {
  private calls = 0;
  private startedAt = 0;
  private gcProfiler: GCProfiler | undefined;
  cpuMicrosPerCall = 0;
  fullGcsInWindow = 0;
  recordsInWindow = 0;
  private recordsAtStart = 0;
  delivered = 0;

  constructor(
    private readonly inner: KinesisReadApi,
    private readonly measuredCalls: number,
    private readonly done: () => void,
  ) {}

  listShards: KinesisReadApi['listShards'] = (input, signal) => this.inner.listShards(input, signal);
  getShardIterator: KinesisReadApi['getShardIterator'] = (input, signal) =>
    this.inner.getShardIterator(input, signal);

  getRecords(input: Parameters<KinesisReadApi['getRecords']>[0], signal?: AbortSignal) {
    this.calls++;
    if (this.calls === 2) {
      this.gcProfiler = new GCProfiler();
      this.gcProfiler.start();
      this.startedAt = cpuMicros();
      this.recordsAtStart = this.delivered;
    } else if (this.calls === 2 + this.measuredCalls) {
      this.cpuMicrosPerCall = (cpuMicros() - this.startedAt) / this.measuredCalls;
      this.recordsInWindow = this.delivered - this.recordsAtStart;
      if (this.gcProfiler) this.fullGcsInWindow = stopCountingFullGcs(this.gcProfiler);
      this.done();
    }
    return this.inner.getRecords(input, signal);
  }
}

/** Stops `profiler` and counts the full (mark-compact) garbage collections it saw. */
function stopCountingFullGcs(profiler: GCProfiler): number {
  const statistics = profiler.stop()?.statistics ?? [];
  return statistics.filter((gc) => gc.gcType === 'MarkSweepCompact').length;
}

const silent = new Logger({ logLevel: 'SILENT' });

/**
 * CPU microseconds per response of the engine reading `calls` responses through `api`; the full garbage
 * collections of the measured calls are added to `fullGcs` when given.
 */
async function engineRun(
  api: KinesisReadApi,
  shape: ReadShape,
  fullGcs?: { count: number; calls: number },
): Promise<number> {
  const controller = new AbortController();
  const measured = new MeasuredApi(api, CALLS_PER_ROUND, () => controller.abort());
  const engine = new ConsumerEngine<unknown>(
    {
      kinesis: measured,
      checkpoints: { loadAll: async () => [], save: async () => ({ writes: 1 }) },
      lease: NO_LEASE,
      clock: systemClock,
      random: Math.random,
      logger: silent,
    },
    {
      ...DEFAULT_ENGINE_SETTINGS,
      // As fast as the client allows: no interval, no per-shard limits.
      reader: {
        ...DEFAULT_ENGINE_SETTINGS.reader,
        intervalMillis: 0,
        limits: { callsPerSecond: 1e9, bytesPerSecond: 1e15 },
      },
      streams: ['bench'],
      initialPosition: { type: 'TRIM_HORIZON' },
      deserializer: jsonDeserializer,
      handler: (records) => {
        measured.delivered += records.length;
      },
    },
  );
  const summary = await engine.run({
    subtaskIndex: 0,
    parallelism: 1,
    deadline: Date.now() + 600_000,
    signal: controller.signal,
  });
  if (summary.error) throw summary.error;
  const expected = CALLS_PER_ROUND * shape.userRecords;
  if (measured.recordsInWindow !== expected) {
    throw new Error(
      `${shape.label}: ${measured.recordsInWindow} records delivered in the window, expected ${expected}`,
    );
  }
  if (fullGcs) {
    fullGcs.count += measured.fullGcsInWindow;
    fullGcs.calls += CALLS_PER_ROUND;
  }
  return measured.cpuMicrosPerCall;
}

/** CPU microseconds per response of `deaggregate` plus the deserializer alone over the records. */
function boundRun(shape: ReadShape): number {
  let sink = 0;
  const started = cpuMicros();
  for (let call = 0; call < CALLS_PER_ROUND; call++) {
    for (const record of shape.kinesisRecords) {
      const users = deaggregate(record);
      for (let i = 0; i < users.length; i++) {
        const user = users[i]!;
        const value = jsonDeserializer({
          data: user.data,
          partitionKey: user.partitionKey,
          sequenceNumber: record.sequenceNumber!,
          ...(user.subSequenceNumber !== undefined ? { subSequenceNumber: user.subSequenceNumber } : {}),
          approximateArrivalTimestamp: record.approximateArrivalTimestamp!,
          stream: 'bench',
          shardId: 'shardId-000000000000',
        });
        if (value !== undefined) sink++;
      }
    }
  }
  const micros = (cpuMicros() - started) / CALLS_PER_ROUND;
  if (sink !== CALLS_PER_ROUND * shape.userRecords) throw new Error('bound: records lost');
  return micros;
}

/** The parsers measured alone, each over the body of its protocol. */
const PARSERS = {
  cbor: (shape: ReadShape) => parseGetRecordsCbor(shape.cbor).Records!.length,
  json: (shape: ReadShape) => parseGetRecordsJson(shape.json)!.Records!.length,
  'generic cbor': (shape: ReadShape) =>
    (cbor.deserialize(shape.cbor) as { Records: unknown[] }).Records.length,
} as const;

/**
 * One parser alone over the response's body, each result dropped before the next: with the engine
 * alone, what the "engine + this parser" row would cost if the two added up.
 */
function parseRun(shape: ReadShape, parse: (shape: ReadShape) => number): number {
  let sink = 0;
  const started = cpuMicros();
  for (let call = 0; call < CALLS_PER_ROUND; call++) sink += parse(shape);
  const micros = (cpuMicros() - started) / CALLS_PER_ROUND;
  if (sink !== CALLS_PER_ROUND * shape.records.length) throw new Error('parser alone: records lost');
  return micros;
}

/**
 * The parsed response from memory: the engine without any client. With `parse`, each call parses the
 * response's CBOR afresh with this project's parser (no HTTP, no signing), which splits the client's
 * cost into parsing and the call itself.
 */
function memoryApi(shape: ReadShape, parse = false): KinesisReadApi {
  const response: GetRecordsOutput = {
    Records: shape.records as GetRecordsOutput['Records'],
    NextShardIterator: 'it-1',
    MillisBehindLatest: 0,
  };
  return {
    listShards: async () => ({
      Shards: [
        {
          ShardId: 'shardId-000000000000',
          HashKeyRange: { StartingHashKey: '0', EndingHashKey: '340282366920938463463374607431768211455' },
          SequenceNumberRange: { StartingSequenceNumber: '1' },
        },
      ],
    }),
    getShardIterator: async () => ({ ShardIterator: 'it-0' }),
    getRecords: async () => (parse ? parseGetRecordsCbor(shape.cbor) : response),
  };
}

class BenchServer {
  private constructor(
    private readonly child: ChildProcess,
    readonly endpoint: string,
  ) {}

  static async start(): Promise<BenchServer> {
    const child = fork(join(__dirname, 'read-path', 'server.ts'), { stdio: 'inherit' });
    const port = await new Promise<number>((resolve, reject) => {
      child.once('error', reject);
      child.once('message', (message: { type: string; port: number }) => resolve(message.port));
    });
    return new BenchServer(child, `http://127.0.0.1:${port}`);
  }

  async serve(body: Buffer, contentType = 'application/x-amz-json-1.1'): Promise<void> {
    await new Promise<void>((resolve) => {
      this.child.once('message', () => resolve());
      this.child.send({ type: 'getRecords', body: body.toString('base64'), contentType });
    });
  }

  stop(): void {
    this.child.disconnect();
  }
}

interface Path {
  readonly name: string;
  readonly api: KinesisReadApi;
  /** The protocol its GetRecords speaks. */
  readonly protocol: 'cbor' | 'json';
}

/** The read path in Kinesis's JSON protocol. */
const JSON_PATH = 'read path in JSON';

/** This project's client through the SDK's middleware stack (the read path before the signed call). */
const STACK_PATH = 'SDK stack + parser';

function throughStack(client: KinesisClient): KinesisReadApi {
  const api = kinesisReadApi(client);
  return {
    ...api,
    getRecords: (input, signal) => client.send(new GetRecordsCommand(input), { abortSignal: signal }),
  };
}

const EMPTY_RESPONSE = { Records: [], NextShardIterator: 'it-1', MillisBehindLatest: 0 };
/** Empty GetRecords calls per round of the fixed-cost rows. */
const EMPTY_CALLS_PER_ROUND = 200;

const BARE_PATH = 'bare HTTP request (no signing, no parsing)';

/**
 * A GetRecords request with nothing but HTTP: no signing, its answer received and dropped unparsed,
 * on the clients' keep-alive handler. What Node's HTTP client alone costs for a call and its body.
 */
function bareGetRecords(server: BenchServer, handler: NodeHttpHandler): KinesisReadApi['getRecords'] {
  const { hostname, port } = new URL(server.endpoint);
  const body = '{"ShardIterator":"it-0"}';
  return async () => {
    const { response } = await handler.handle(
      new HttpRequest({
        protocol: 'http:',
        hostname,
        port: Number(port),
        method: 'POST',
        path: '/',
        headers: {
          host: `${hostname}:${port}`,
          'content-type': 'application/x-amz-json-1.1',
          'x-amz-target': 'Kinesis_20131202.GetRecords',
          'content-length': String(body.length),
        },
        body,
      }),
    );
    const stream = response.body as NodeJS.ReadableStream;
    await new Promise<void>((resolve, reject) => stream.on('error', reject).on('end', resolve).resume());
    return { Records: [] };
  };
}

/** CPU microseconds per call of `getRecords` alone (no engine), over whatever the server serves. */
async function callRun(getRecords: KinesisReadApi['getRecords']): Promise<number> {
  const started = cpuMicros();
  for (let call = 0; call < CALLS_PER_ROUND; call++) await getRecords({ ShardIterator: 'it-0' });
  return (cpuMicros() - started) / CALLS_PER_ROUND;
}

/**
 * What a call costs whatever it returns: CPU microseconds per empty GetRecords for each client (no
 * engine), and for a bare HTTP request of the same size on the same keep-alive handler (no signing,
 * no parsing).
 */
async function fixedCosts(
  server: BenchServer,
  paths: readonly Path[],
  handler: NodeHttpHandler,
): Promise<Record<string, number>> {
  const bare: Path = {
    name: BARE_PATH,
    protocol: 'json',
    api: { ...paths[0]!.api, getRecords: bareGetRecords(server, handler) },
  };
  const samples: Record<string, number[]> = {};
  for (let round = 0; round < WARMUP_ROUNDS + ROUNDS; round++) {
    for (const path of [...paths, bare]) {
      await serveFor(
        server,
        path,
        Buffer.from(JSON.stringify(EMPTY_RESPONSE)),
        Buffer.from(cbor.serialize(EMPTY_RESPONSE)),
      );
      const started = cpuMicros();
      for (let call = 0; call < EMPTY_CALLS_PER_ROUND; call++) {
        await path.api.getRecords({ ShardIterator: 'it-0' });
      }
      if (round >= WARMUP_ROUNDS)
        (samples[path.name] ??= []).push((cpuMicros() - started) / EMPTY_CALLS_PER_ROUND);
    }
  }
  return Object.fromEntries(Object.entries(samples).map(([name, values]) => [name, median(values)]));
}

/** Sets the server's answer to the body of the path's protocol. */
function serveFor(server: BenchServer, path: Path, json: Buffer, cborBody: Buffer): Promise<void> {
  return path.protocol === 'cbor' ? server.serve(cborBody, CBOR_CONTENT_TYPE) : server.serve(json);
}

/** What one measuring process found, in CPU microseconds per call (medians). */
interface Measured {
  readonly shapes: readonly {
    /** Index into SPECS. */
    readonly spec: number;
    readonly perCall: Readonly<Record<string, number>>;
    /** Full garbage collections per 100 of the read path's measured calls. */
    readonly fullGcsPer100Calls?: number;
    readonly userRecords: number;
    readonly bytes: number;
    readonly note: string;
  }[];
  /** Empty GetRecords, per path. */
  readonly fixed: Readonly<Record<string, number>>;
  /** The Node.js version that measured. */
  readonly node: string;
}

/**
 * Measures every selected shape in this process. `full`: every part and client (the bound, the parsers,
 * the engine alone, each client, the fixed costs); otherwise only the read path and a bare HTTP call.
 */
export async function measure(full: boolean): Promise<Measured> {
  const server = await BenchServer.start();
  const settings = {
    region: 'us-east-1',
    endpoint: server.endpoint,
    credentials: { provider: 'BASIC' as const, accessKeyId: 'AKIDBENCH', secretAccessKey: 'bench-secret' },
  };
  const ours = new AwsClientFactory({ ...settings, kinesisCbor: true });
  const oursJson = new AwsClientFactory({ ...settings, kinesisCbor: false });
  const { protocol: _ours, ...stockConfig } = ours.config('kinesis');
  const stock = new KinesisClient(stockConfig);
  try {
    const oursClient = ours.client('kinesis', KinesisClient);
    const jsonClient = oursJson.client('kinesis', KinesisClient);
    const onlyClient = (paths: Path[]) =>
      paths.filter(
        (path) =>
          (full || path.name === 'read path') &&
          (!process.env.READ_PATH_CLIENT || path.name === process.env.READ_PATH_CLIENT),
      );
    const paths = onlyClient([
      { name: 'read path', api: kinesisReadApi(oursClient), protocol: 'cbor' },
      { name: JSON_PATH, api: kinesisReadApi(jsonClient), protocol: 'json' },
      { name: 'stock SDK', api: kinesisReadApi(stock), protocol: 'json' },
    ]);
    const handler = oursClient.config.requestHandler as NodeHttpHandler;
    const bare = bareGetRecords(server, handler);
    const shapes: Measured['shapes'][number][] = [];
    const only = process.env.READ_PATH_ONLY;
    for (const [index, spec] of SPECS.entries()) {
      if (only && !`${spec.label} ${spec.shardMiBPerSecond}`.includes(only)) continue;
      const shape = readShape(
        spec.label,
        spec.recordBytes,
        spec.aggregated,
        spec.recordsPerResponse !== undefined
          ? spec.recordsPerResponse * spec.recordBytes
          : (spec.shardMiBPerSecond * MiB) / CALLS_PER_SECOND,
      );
      const samples: Record<string, number[]> = {};
      const fullGcs = { count: 0, calls: 0 };
      for (let round = 0; round < WARMUP_ROUNDS + ROUNDS; round++) {
        const keep = (name: string, micros: number) => {
          if (round >= WARMUP_ROUNDS) (samples[name] ??= []).push(micros);
        };
        if (full) {
          keep('bound', boundRun(shape));
          for (const [name, parse] of Object.entries(PARSERS)) keep(name, parseRun(shape, parse));
          keep('engine', await engineRun(memoryApi(shape), shape));
          keep('parsed', await engineRun(memoryApi(shape, true), shape));
        }
        for (const path of paths) {
          await serveFor(server, path, shape.json, shape.cbor);
          const gcs = path.name === 'read path' && round >= WARMUP_ROUNDS ? fullGcs : undefined;
          keep(path.name, await engineRun(path.api, shape, gcs));
        }
        // What receiving the CBOR body costs with nothing else.
        await server.serve(shape.cbor, CBOR_CONTENT_TYPE);
        keep('bare', await callRun(bare));
      }
      shapes.push({
        spec: index,
        perCall: Object.fromEntries(Object.entries(samples).map(([k, v]) => [k, median(v)])),
        fullGcsPer100Calls: fullGcs.calls ? (100 * fullGcs.count) / fullGcs.calls : undefined,
        userRecords: shape.userRecords,
        bytes: shape.bytes,
        note:
          `${spec.label}: ${shape.records.length} Kinesis records, ${shape.userRecords} user records, ` +
          `${(shape.bytes / KiB).toFixed(0)} KiB per response (${(shape.cbor.length / KiB).toFixed(0)} KiB of ` +
          `CBOR, ${(shape.json.length / KiB).toFixed(0)} KiB of JSON)`,
      });
    }
    const fixed = full
      ? await fixedCosts(
          server,
          onlyClient([...paths, { name: STACK_PATH, api: throughStack(jsonClient), protocol: 'json' }]),
          handler,
        )
      : {};
    return { shapes, fixed, node: process.version };
  } finally {
    stock.destroy();
    ours.destroy();
    oursJson.destroy();
    server.stop();
  }
}

/** The V8 flags Lambda's Node.js runtime gives a 1-vCPU function: the process the figures model. */
const LAMBDA_FLAGS = lambdaRuntimeNodeFlags(ONE_VCPU_MEMORY_MB);

/** How the consumer handler sets V8's heap growing factor in a Lambda function (0: V8's own). */
const HEAP_GROWING_PERCENT = CONSUMER_DEFAULTS.heapGrowingPercent;

/**
 * A measurement in a child process started as Lambda starts a function of `memoryMb`
 * (`read-path/measure.ts` runs `what`): with `environment` in place of the allocator settings (glibc
 * reads them only when a process starts), with `nodeFlags` (V8's heap limits), and with V8's heap
 * growing percent set as the handlers set it in a function (`heapGrowingPercent`, 0 for V8's own).
 */
async function inFunctionProcess<T>(
  what: MeasureWhat,
  memoryMb: number,
  environment: Readonly<Record<string, string>>,
  nodeFlags: readonly string[],
  heapGrowingPercent: number,
): Promise<T> {
  const env = Object.fromEntries(
    Object.entries(process.env).filter(([name]) => !(name in ALLOCATOR_ENVIRONMENT)),
  ) as NodeJS.ProcessEnv;
  const child = fork(join(__dirname, 'read-path', 'measure.ts'), [what, String(heapGrowingPercent)], {
    // Another Node.js to measure with, such as the version Lambda runs (the bench's own by default).
    execPath: process.env.READ_PATH_NODE ?? process.execPath,
    stdio: 'inherit',
    env: { ...env, ...lambdaProcessEnvironment('read-path-bench', memoryMb), ...environment },
    execArgv: [...process.execArgv, ...nodeFlags],
  });
  return new Promise<T>((resolve, reject) => {
    child.once('error', reject);
    child.once('message', (message: { measured?: T; error?: string }) => {
      if (message.measured) resolve(message.measured);
      else reject(new Error(message.error ?? 'the measuring process failed'));
    });
    child.once('exit', (code) => reject(new Error(`the measuring process exited with ${code}`)));
  });
}

/** What a measuring process measures: the read path with every part, the read path alone, or PutRecords. */
export type MeasureWhat = 'read-path-full' | 'read-path' | 'put-records';

/** `measure` in a function's process. */
function measureIn(
  environment: Readonly<Record<string, string>>,
  nodeFlags: readonly string[],
  heapGrowingPercent: number,
  full: boolean,
): Promise<Measured> {
  return inFunctionProcess<Measured>(
    full ? 'read-path-full' : 'read-path',
    ONE_VCPU_MEMORY_MB,
    environment,
    nodeFlags,
    heapGrowingPercent,
  );
}

export async function run(): Promise<BenchSection> {
  // As deployed (the constructs set the allocator settings, Lambda's runtime the V8 flags, the handler
  // V8's heap growing); then the read path with glibc's defaults, with Node's own heap limits, and with
  // V8's own heap growing.
  const deployed = await measureIn(ALLOCATOR_ENVIRONMENT, LAMBDA_FLAGS, HEAP_GROWING_PERCENT, true);
  const defaults = await measureIn({}, LAMBDA_FLAGS, HEAP_GROWING_PERCENT, false);
  const nodeDefaults = await measureIn(ALLOCATOR_ENVIRONMENT, [], HEAP_GROWING_PERCENT, false);
  const v8Growing = await measureIn(ALLOCATOR_ENVIRONMENT, LAMBDA_FLAGS, 0, false);
  const rows: BenchRow[] = [];
  const notes: string[] = [];
  for (const measured of deployed.shapes) {
    const spec = SPECS[measured.spec]!;
    const perCall = measured.perCall;
    const recordsPerCpuSecond = (micros: number) => (measured.userRecords / micros) * 1e6;
    const mibPerCpuSecond = (micros: number) => (measured.bytes / MiB / micros) * 1e6;
    const bound = { label: 'bound', value: recordsPerCpuSecond(perCall.bound!) };
    const anchor = (label: string, micros: number | undefined) =>
      micros === undefined ? undefined : { label, value: recordsPerCpuSecond(micros) };
    const row = (
      label: string,
      micros: number,
      anchorOf?: BenchRow['anchor'],
      minRatio?: number,
    ): BenchRow => ({
      label: `${spec.label}: ${label}`,
      value: recordsPerCpuSecond(micros),
      unit: 'records/CPU-s',
      also: { value: mibPerCpuSecond(micros), unit: 'MiB/CPU-s' },
      ...(anchorOf ? { anchor: anchorOf } : {}),
      ...(minRatio !== undefined ? { target: { minRatio } } : {}),
    });
    const shardsPerVcpu = (micros: number) => 1e6 / (micros * CALLS_PER_SECOND);
    const readPath = perCall['read path']!;
    // The same shape in another measuring process.
    const inProcess = (other: Measured) => other.shapes.find((s) => s.spec === measured.spec)?.perCall;
    const withDefaults = inProcess(defaults)?.['read path'];
    const withNodeDefaults = inProcess(nodeDefaults)?.['read path'];
    const withV8Growing = inProcess(v8Growing)?.['read path'];
    const v8GrowingShape = v8Growing.shapes.find((s) => s.spec === measured.spec);
    if (!spec.sizingOnly) {
      rows.push(
        row('bound (deaggregate + JSON deserializer)', perCall.bound!),
        row('engine alone, records from memory', perCall.engine!, bound),
        row('CBOR parser alone, body from memory (no engine)', perCall.cbor!, bound),
        row('CBOR parser alone vs the JSON parser alone', perCall.cbor!, anchor('JSON parser', perCall.json)),
        row(
          "CBOR parser alone vs the SDK's generic CBOR decoder",
          perCall.cbor!,
          anchor('cbor.deserialize', perCall['generic cbor']),
        ),
        row('engine + CBOR parser, body from memory (no HTTP)', perCall.parsed!, bound),
        row('read path (engine + this client, CBOR)', readPath, bound, 1 / MAX_TIMES_BOUND),
        row(
          'read path vs the bound plus a bare HTTP call for the same body',
          readPath,
          anchor('bound + bare HTTP', perCall.bound! + perCall.bare!),
        ),
        row(
          "read path vs the same with glibc's default allocator settings",
          readPath,
          anchor('glibc defaults', withDefaults),
        ),
        row(
          "read path vs the same with Node's own heap limits (no Lambda runtime flags)",
          readPath,
          anchor('Node defaults', withNodeDefaults),
        ),
        row(
          `read path vs the same with V8's own heap growing (${CONSUMER_SETTINGS.heapGrowingPercent.key} 0)`,
          readPath,
          anchor("V8's own growing", withV8Growing),
        ),
        {
          label: `${spec.label}: read path, full garbage collections per 100 calls`,
          value: measured.fullGcsPer100Calls ?? 0,
          unit: 'per 100 calls',
          ...(v8GrowingShape?.fullGcsPer100Calls !== undefined
            ? { anchor: { label: "V8's own growing", value: v8GrowingShape.fullGcsPer100Calls } }
            : {}),
        },
        row('read path vs the same in JSON', readPath, anchor(JSON_PATH, perCall[JSON_PATH])),
        row(
          "bare HTTP call for the same body vs the same with glibc's default allocator settings",
          perCall.bare!,
          anchor('glibc defaults', inProcess(defaults)?.bare),
        ),
        row(
          'read path vs stock SDK client',
          readPath,
          anchor('stock SDK', perCall['stock SDK']),
          spec.minTimesStock,
        ),
      );
    }
    if (spec.recordsPerResponse === undefined) {
      const stockMicros = perCall['stock SDK'];
      rows.push({
        label: `${spec.label}: shards per vCPU at ${spec.shardMiBPerSecond} MiB/s each`,
        value: shardsPerVcpu(readPath),
        unit: 'shards',
        ...(stockMicros !== undefined
          ? { anchor: { label: 'stock SDK', value: shardsPerVcpu(stockMicros) } }
          : {}),
        ...(spec.minShardsPerVcpu !== undefined ? { target: { minValue: spec.minShardsPerVcpu } } : {}),
      });
    }
    notes.push(measured.note);
  }
  const stock = deployed.fixed['stock SDK'];
  for (const [name, micros] of Object.entries(deployed.fixed)) {
    if (name === 'stock SDK') continue;
    rows.push({
      label: `empty GetRecords, CPU per call: ${name}`,
      value: micros,
      unit: 'µs/call',
      ...(stock !== undefined ? { anchor: { label: 'stock SDK', value: stock } } : {}),
    });
  }
  notes.push(
    `measured with Node.js ${deployed.node}`,
    `CPU time of the measuring process (process.cpuUsage, user + system), median of ${ROUNDS} interleaved ` +
      `rounds of ${CALLS_PER_ROUND} GetRecords calls each, after ${WARMUP_ROUNDS} warm-up rounds; the server ` +
      'is a process of its own, so its CPU is not counted',
    'the measuring process runs with the allocator settings the constructs give the functions ' +
      `(${Object.entries(ALLOCATOR_ENVIRONMENT)
        .map(([k, v]) => `${k}=${v}`)
        .join(', ')}); "glibc defaults" is a second process without them`,
    `the measuring process also has the V8 flags Lambda's Node.js runtime starts a ${ONE_VCPU_MEMORY_MB} MB (1-vCPU) function ` +
      `with (${LAMBDA_FLAGS.join(' ')}); "Node defaults" is a third process without them`,
    `and V8's heap growing percent the consumer handler sets in a Lambda function (--heap-growing-percent=` +
      `${HEAP_GROWING_PERCENT}, ${CONSUMER_SETTINGS.heapGrowingPercent.key}); "V8's own growing" is a fourth ` +
      'process without it',
    `shards per vCPU: one CPU-second over the CPU of ${CALLS_PER_SECOND} calls a second, each returning ` +
      'the shard rate / 5 (the default 200 ms interval)',
  );
  return { title: 'Read path: CPU per record through the whole client stack', rows, notes };
}

const PUT_SIZES = [
  { label: '500 x 1 KiB', recordBytes: KiB },
  { label: '500 x 10 KiB (5 MiB)', recordBytes: 10 * KiB },
] as const;
const PUT_CALLS_PER_ROUND = 6;
/** The memory size the constructs give the producer function unless told otherwise. */
const PRODUCER_MEMORY_MB = FUNCTION_DEFAULTS.memorySizeMb;

/** PutRecords per record size, in CPU microseconds per call (medians), measured in one process. */
export interface PutMeasured {
  readonly sizes: {
    readonly bound: number;
    readonly ours: number;
    readonly stock: number;
    /** Full garbage collections per 100 of this client's measured calls. */
    readonly fullGcsPer100Calls: number;
  }[];
  readonly node: string;
}

/** Full (mark-compact) garbage collections while `run` runs. */
async function fullGcsDuring(run: () => Promise<void>): Promise<number> {
  const profiler = new GCProfiler();
  profiler.start();
  await run().catch((error: unknown) => {
    profiler.stop();
    throw error;
  });
  return stopCountingFullGcs(profiler);
}

/**
 * The producer's PutRecords call through the SDK client (request serialization, which base64-encodes
 * every record, SigV4's hash of the body, the HTTP request) against the local server, in CPU per call,
 * beside the bound: base64-encoding the same records and nothing else. Runs in this process.
 */
export async function measurePutRecords(): Promise<PutMeasured> {
  const server = await BenchServer.start();
  const aws = new AwsClientFactory({
    region: 'us-east-1',
    endpoint: server.endpoint,
    credentials: { provider: 'BASIC', accessKeyId: 'AKIDBENCH', secretAccessKey: 'bench-secret' },
  });
  const { protocol: _ours, ...stockConfig } = aws.config('kinesis');
  const stock = new KinesisClient(stockConfig);
  const clients = { ours: kinesisApi(aws.client('kinesis', KinesisClient)), stock: kinesisApi(stock) };
  const sizes: PutMeasured['sizes'][number][] = [];
  try {
    for (const size of PUT_SIZES) {
      const records = Array.from({ length: 500 }, (_, i) => ({
        PartitionKey: `user-${i}`,
        Data: new Uint8Array(randomBytes(size.recordBytes)),
      }));
      const samples = { bound: [] as number[], ours: [] as number[], stock: [] as number[] };
      let fullGcs = 0;
      for (let round = 0; round < WARMUP_ROUNDS + ROUNDS; round++) {
        let started = cpuMicros();
        let encoded = 0;
        for (let call = 0; call < PUT_CALLS_PER_ROUND; call++) {
          for (const record of records) {
            encoded += Buffer.from(
              record.Data.buffer,
              record.Data.byteOffset,
              record.Data.byteLength,
            ).toString('base64').length;
          }
        }
        const bound = (cpuMicros() - started) / PUT_CALLS_PER_ROUND;
        if (encoded === 0) throw new Error('nothing encoded');
        const controller = new AbortController();
        const calls: Record<'ours' | 'stock', number> = { ours: 0, stock: 0 };
        for (const name of ['ours', 'stock'] as const) {
          const gcs = await fullGcsDuring(async () => {
            started = cpuMicros();
            for (let call = 0; call < PUT_CALLS_PER_ROUND; call++) {
              const output = await clients[name].putRecords(
                { StreamName: 'bench', Records: records },
                controller.signal,
              );
              if (output.FailedRecordCount !== 0 || output.Records?.length !== 500)
                throw new Error('put failed');
            }
            calls[name] = (cpuMicros() - started) / PUT_CALLS_PER_ROUND;
          });
          if (name === 'ours' && round >= WARMUP_ROUNDS) fullGcs += gcs;
        }
        if (round >= WARMUP_ROUNDS) {
          samples.bound.push(bound);
          samples.ours.push(calls.ours);
          samples.stock.push(calls.stock);
        }
      }
      sizes.push({
        bound: median(samples.bound),
        ours: median(samples.ours),
        stock: median(samples.stock),
        fullGcsPer100Calls: (100 * fullGcs) / (ROUNDS * PUT_CALLS_PER_ROUND),
      });
    }
  } finally {
    aws.destroy();
    stock.destroy();
    server.stop();
  }
  return { sizes, node: process.version };
}

/**
 * The producer's PutRecords call in CPU per MiB of record data, measured in a process started as Lambda
 * starts the producer function at its default memory size, beside the stock SDK client and the bound
 * (base64 alone); and the same process without V8's heap growing set.
 */
export async function putRecords(): Promise<BenchSection> {
  const flags = lambdaRuntimeNodeFlags(PRODUCER_MEMORY_MB);
  const deployed = await inFunctionProcess<PutMeasured>(
    'put-records',
    PRODUCER_MEMORY_MB,
    ALLOCATOR_ENVIRONMENT,
    flags,
    PRODUCER_DEFAULTS.heapGrowingPercent,
  );
  const v8Own = await inFunctionProcess<PutMeasured>(
    'put-records',
    PRODUCER_MEMORY_MB,
    ALLOCATOR_ENVIRONMENT,
    flags,
    0,
  );
  const rows: BenchRow[] = [];
  for (const [index, size] of PUT_SIZES.entries()) {
    const measured = deployed.sizes[index]!;
    const own = v8Own.sizes[index]!;
    const mib = (500 * size.recordBytes) / MiB;
    const perCpuSecond = (micros: number) => (mib / micros) * 1e6;
    const bound = { label: 'base64 alone', value: perCpuSecond(measured.bound) };
    const ours = perCpuSecond(measured.ours);
    rows.push(
      {
        label: `PutRecords ${size.label}: this client`,
        value: ours,
        unit: 'MiB/CPU-s',
        anchor: { label: 'stock SDK', value: perCpuSecond(measured.stock) },
      },
      { label: `PutRecords ${size.label}: this client`, value: ours, unit: 'MiB/CPU-s', anchor: bound },
      {
        label: `PutRecords ${size.label}: stock SDK`,
        value: perCpuSecond(measured.stock),
        unit: 'MiB/CPU-s',
        anchor: bound,
      },
      {
        label: `PutRecords ${size.label}: this client vs the same with V8's own heap growing (${PRODUCER_SETTINGS.heapGrowingPercent.key} 0)`,
        value: ours,
        unit: 'MiB/CPU-s',
        anchor: { label: "V8's own growing", value: perCpuSecond(own.ours) },
      },
      {
        label: `PutRecords ${size.label}: this client, full garbage collections per 100 calls`,
        value: measured.fullGcsPer100Calls,
        unit: 'per 100 calls',
        anchor: { label: "V8's own growing", value: own.fullGcsPer100Calls },
      },
    );
  }
  return {
    title: "Producer's PutRecords call: CPU per MiB through the SDK client",
    rows,
    notes: [
      `measured with Node.js ${deployed.node}`,
      `CPU time of the measuring process (the server is a process of its own), median of ${ROUNDS} rounds of ` +
        `${PUT_CALLS_PER_ROUND} calls; anchors: the stock SDK client, and Buffer.toString('base64') of the ` +
        'same records (a call also hashes the body for SigV4 and writes it to the socket)',
      `the measuring process is started as Lambda starts the producer function at its default ${PRODUCER_MEMORY_MB} MB ` +
        `(${flags.join(' ')}), with the allocator settings the constructs set and V8's heap growing percent the ` +
        `producer handler sets (--heap-growing-percent=${PRODUCER_DEFAULTS.heapGrowingPercent}); "V8's own growing" ` +
        'is a second process without it',
    ],
  };
}
