import { createDecipheriv } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { ITERATOR_PWD_IV, ITERATOR_PWD_KEY } from 'kinesalite/db';
import { systemClock, type Clock, type Random } from '../../functions/core/time/clock';
import { FaultSwitch } from '../shared/faults';
import { answerInCbor, jsonReplyToCbor, speaksKinesisCbor } from './cbor-wire';
import { DEFAULT_GET_RECORDS_LIMIT, withMillisBehindLatest } from './millis-behind-latest';
import { closeServer, endpointOf, listenOnLoopback } from '../shared/node-server';
import { KinesaliteRepairs, streamArnToName } from './kinesalite-repairs';
import {
  errorReply,
  JSON_CONTENT_TYPE,
  jsonReply,
  parseJson,
  TARGET_PREFIX,
  Upstream,
  type IncomingCall,
  type Reply,
} from './upstream';
import type { ShardWriteLimits } from './write-limits';

const WRITE_TARGETS = new Set([`${TARGET_PREFIX}PutRecord`, `${TARGET_PREFIX}PutRecords`]);
const ITERATOR_LIFETIME_MILLIS = 300_000;
/** Kinesalite's own request limit. */
const MAX_REQUEST_BYTES = 7 * 1024 * 1024;

/** What kinesalite's shard iterator says: where it points and when it was issued. */
export interface IteratorPosition {
  readonly streamName: string;
  readonly shardId: string;
  readonly sequenceNumber: string;
  readonly issuedAtMillis: number;
}

/** A call the proxy received, as fault predicates see it. */
export interface KinesisCall {
  readonly operation: string;
  /** The request body (StreamARN already turned into StreamName). */
  readonly input: Readonly<Record<string, unknown>>;
  /** For GetRecords: the decoded shard iterator. */
  readonly iterator?: IteratorPosition;
}

export type CallPredicate = (call: KinesisCall) => boolean;

/** Answer matching calls with an error instead of forwarding them. */
export interface ErrorFault {
  readonly operation: string;
  /** The error code, e.g. `ProvisionedThroughputExceededException`. */
  readonly code: string;
  /** @default - a message in AWS's words for the known codes */
  readonly message?: string;
  /** @default 500 for InternalFailure and ServiceUnavailable, else 400 */
  readonly statusCode?: number;
  /** How many matching calls to fail. @default 1 (Infinity: every one) */
  readonly times?: number;
  /** Only calls for which this returns true match. @default - every call of the operation */
  readonly when?: CallPredicate;
}

export type PutRecordsEntryErrorCode = 'ProvisionedThroughputExceededException' | 'InternalFailure';

/** One entry of a PutRecords request, as sent (Data is base64). */
export interface PutRecordsEntry {
  readonly Data?: string;
  readonly PartitionKey?: string;
  readonly ExplicitHashKey?: string;
}

/** Partly fail matching PutRecords calls: the chosen entries fail, the rest are written. */
export interface PutRecordsFault {
  /** The error for an entry, or undefined to let it through. */
  readonly failEntry: (entry: PutRecordsEntry, index: number) => PutRecordsEntryErrorCode | undefined;
  /** @default 1 */
  readonly times?: number;
  readonly when?: CallPredicate;
}

/** Delay matching calls by real time (so client timeouts can be exercised). */
export interface LatencyFault {
  /** @default - every operation */
  readonly operation?: string;
  readonly millis: number;
  /** @default Infinity */
  readonly times?: number;
  readonly when?: CallPredicate;
}

export interface KinesisFaultProxyOptions {
  /** Kinesalite's endpoint URL. */
  readonly target: string;
  /** Ages ListShards NextTokens and stamps error messages. @default systemClock */
  readonly clock?: Clock;
  /** Random source of the fault switch's `failFraction`. @default Math.random */
  readonly random?: Random;
  /** @see KinesaliteRepairsOptions.listShardsPageSize */
  readonly listShardsPageSize?: number;
  /** Enforce Kinesis's per-shard write limits on PutRecords and PutRecord. @default - not enforced */
  readonly writeLimits?: ShardWriteLimits;
}

type Armed<T> = T & { remaining: number };

/**
 * An HTTP proxy in front of kinesalite that the real SDK client talks to. It forwards every call
 * and, when told, answers as Kinesis does under load (kinesalite never throttles): throttled reads and
 * writes, partly failed PutRecords, expired iterators, ListShards limits, latency. What kinesalite
 * lacks for consumer code (ListShards paging and ShardFilter, AT_TIMESTAMP at the tip, StreamARN,
 * ChildShards) comes from KinesaliteRepairs, applied to every call that no fault answers. The read and
 * write calls sent in Kinesis's CBOR take the same path, translated to JSON and back at the edge
 * (cbor-wire.ts).
 */
export class KinesisFaultProxy {
  /** Generic faults: throttle the next N calls, fail a fraction with InternalFailure, add latency. */
  readonly faults: FaultSwitch;
  /** Kinesalite's own endpoint, behind the proxy. */
  readonly targetEndpoint: string;
  /** The per-shard write limits, when enforced. */
  readonly writeLimits: ShardWriteLimits | undefined;
  private readonly upstream: Upstream;
  private readonly repairs: KinesaliteRepairs;
  private readonly clock: Clock;
  private readonly accountId = (process.env.AWS_ACCOUNT_ID ?? '0000-0000-0000').replace(/[^\d]/g, '');
  private server?: Server;
  private errorFaults: Armed<ErrorFault>[] = [];
  private putRecordsFaults: Armed<PutRecordsFault>[] = [];
  private latencyFaults: Armed<LatencyFault>[] = [];
  private readonly calls = new Map<string, number>();
  private readonly injected = new Map<string, number>();
  private readonly writeListeners = new Set<() => void>();

  constructor(options: KinesisFaultProxyOptions) {
    this.targetEndpoint = options.target;
    this.clock = options.clock ?? systemClock;
    this.faults = new FaultSwitch(options.random);
    this.writeLimits = options.writeLimits;
    this.upstream = new Upstream(options.target);
    this.repairs = new KinesaliteRepairs(this.upstream, {
      clock: this.clock,
      ...(options.listShardsPageSize !== undefined ? { listShardsPageSize: options.listShardsPageSize } : {}),
    });
  }

  /** Starts listening on 127.0.0.1 (port 0 picks a free port) and returns the endpoint URL. */
  async listen(port = 0): Promise<string> {
    const server = createServer((req, res) => void this.handle(req, res));
    this.server = server;
    return listenOnLoopback(server, port);
  }

  get endpoint(): string {
    if (!this.server) throw new Error('The proxy is not listening; call listen() first.');
    return endpointOf(this.server);
  }

  async close(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (server) await closeServer(server);
    this.upstream.close();
  }

  /** Answers matching calls with an error instead of forwarding them. */
  inject(fault: ErrorFault): void {
    this.errorFaults.push({ ...fault, remaining: fault.times ?? 1 });
  }

  /** GetRecords answers ProvisionedThroughputExceededException, as when a shard's 5 reads/s are used up. */
  throttleGetRecords(times = 1, when?: CallPredicate): void {
    this.inject({
      operation: 'GetRecords',
      code: 'ProvisionedThroughputExceededException',
      times,
      ...opt(when),
    });
  }

  /** PutRecord answers ProvisionedThroughputExceededException, as when a shard's write limit is used up. */
  throttlePutRecord(times = 1, when?: CallPredicate): void {
    this.inject({
      operation: 'PutRecord',
      code: 'ProvisionedThroughputExceededException',
      times,
      ...opt(when),
    });
  }

  /** GetRecords answers ExpiredIteratorException, as it does for an iterator older than 5 minutes. */
  expireIterators(times = 1, when?: CallPredicate): void {
    this.inject({ operation: 'GetRecords', code: 'ExpiredIteratorException', times, ...opt(when) });
  }

  /** ListShards answers LimitExceededException, as when the stream's ListShards rate is used up. */
  limitListShards(times = 1, when?: CallPredicate): void {
    this.inject({ operation: 'ListShards', code: 'LimitExceededException', times, ...opt(when) });
  }

  /** Partly fails PutRecords: chosen entries fail and are not written; the others are. */
  failPutRecordsEntries(fault: PutRecordsFault): void {
    this.putRecordsFaults.push({ ...fault, remaining: fault.times ?? 1 });
  }

  /** Delays matching calls by real time before forwarding them. */
  delay(fault: LatencyFault): void {
    this.latencyFaults.push({ ...fault, remaining: fault.times ?? Infinity });
  }

  /** Removes every fault, including the fault switch's. */
  clear(): void {
    this.errorFaults = [];
    this.putRecordsFaults = [];
    this.latencyFaults = [];
    this.faults.clear();
  }

  /**
   * Calls `listener` after each PutRecord or PutRecords that kinesalite accepted, so a server that
   * pushes records (the EFO server) reads them at once instead of polling. Returns the unsubscribe.
   */
  onWrite(listener: () => void): () => void {
    this.writeListeners.add(listener);
    return () => this.writeListeners.delete(listener);
  }

  /** Calls of `operation` the proxy received. */
  callCount(operation: string): number {
    return this.calls.get(operation) ?? 0;
  }

  /** Calls of `operation` answered (wholly or partly) with an injected error. */
  injectedCount(operation: string): number {
    return this.injected.get(operation) ?? 0;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    // A call in Kinesis's CBOR is answered by the JSON path below, translated at this edge both ways.
    const cbor = speaksKinesisCbor(req);
    try {
      const body = await readBody(req);
      if (!body) {
        // Kinesalite's answer to an oversized request, without reading the rest of it.
        send(res, { status: 413, headers: {}, body: Buffer.alloc(0) });
        return;
      }
      const reply = cbor
        ? await answerInCbor(req, body, (call, json) => this.route(call, json))
        : await this.route(req, body);
      send(res, reply);
      if (reply.status === 200 && WRITE_TARGETS.has(String(req.headers['x-amz-target'] ?? ''))) {
        for (const listener of this.writeListeners) listener();
      }
    } catch (error) {
      const failure = jsonReply(500, {
        __type: 'InternalFailure',
        message: `Local Kinesis proxy: ${String(error)}`,
      });
      send(res, cbor ? jsonReplyToCbor(failure) : failure);
    }
  }

  private async route(req: IncomingCall, body: Buffer): Promise<Reply> {
    const target = String(req.headers['x-amz-target'] ?? '');
    const contentType = String(req.headers['content-type'] ?? '')
      .split(';')[0]
      ?.trim();
    const signed = Boolean(req.headers.authorization) || (req.url ?? '').includes('X-Amz-Signature');
    // Anything we do not understand (CBOR that handle() did not turn into JSON, unsigned calls, other
    // targets) goes to kinesalite untouched, so its own validation and signature check answer it.
    if (!target.startsWith(TARGET_PREFIX) || contentType !== JSON_CONTENT_TYPE || !signed) {
      return this.forward(req, body);
    }
    let input: Record<string, unknown>;
    try {
      const parsed: unknown = JSON.parse(body.toString('utf8'));
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
        return this.forward(req, body);
      input = parsed as Record<string, unknown>;
    } catch {
      return this.forward(req, body);
    }
    const operation = target.slice(TARGET_PREFIX.length);
    this.calls.set(operation, this.callCount(operation) + 1);
    const rewritten = streamArnToName(input);
    const call: KinesisCall = {
      operation,
      input,
      ...(operation === 'GetRecords' && typeof input.ShardIterator === 'string'
        ? optIterator(describeIterator(input.ShardIterator))
        : {}),
    };

    const decision = this.faults.decide(operation);
    const latency = decision.latencyMillis + this.takeLatency(call);
    if (latency > 0) await new Promise((resolve) => setTimeout(resolve, latency));
    if (decision.kind === 'throttle') return this.injectedReply(call, this.throttleReply(call));
    if (decision.kind === 'fail') return this.injectedReply(call, this.errorReply(call, 'InternalFailure'));

    const fault = this.take(this.errorFaults, call, (f) => f.operation === operation);
    if (fault)
      return this.injectedReply(call, this.errorReply(call, fault.code, fault.message, fault.statusCode));

    const repaired = this.repairs.answer(req, operation, input);
    if (repaired) return repaired;
    // A batch kinesalite would reject as a whole is forwarded unchanged, so its validation answers
    // and the fault waits for a valid batch.
    const records = input.Records;
    if (
      operation === 'PutRecords' &&
      Array.isArray(records) &&
      records.length >= 1 &&
      records.length <= 500
    ) {
      const partial = this.take(this.putRecordsFaults, call, () => true);
      const limited = await this.writeLimits?.admitEntries(input.StreamName, records, (stream) =>
        this.listAllShards(req, stream),
      );
      if (partial || limited?.includes(false)) {
        return this.partlyFailedPutRecords(req, call, records, withWriteLimits(partial, limited));
      }
    }
    if (operation === 'PutRecord' && this.writeLimits) {
      const admitted = await this.writeLimits.admitEntries(input.StreamName, [input], (stream) =>
        this.listAllShards(req, stream),
      );
      if (admitted?.[0] === false) return this.errorReply(call, 'ProvisionedThroughputExceededException');
    }
    const forwarded = this.forward(req, rewritten ? Buffer.from(JSON.stringify(input)) : body);
    if (operation !== 'GetRecords') {
      const reply = await forwarded;
      this.writeLimits?.observe(operation, input);
      return reply;
    }
    // Kinesalite stamps arrivals with the real time, so the lag is measured with it too, not the proxy's clock.
    const peek = (iterator: string) =>
      this.upstream.call(req, 'GetRecords', { ShardIterator: iterator, Limit: 1 });
    const limit = typeof input.Limit === 'number' ? input.Limit : DEFAULT_GET_RECORDS_LIMIT;
    const answered = await withMillisBehindLatest(await forwarded, limit, peek, Date.now);
    return call.iterator ? this.repairs.withChildShards(req, answered, call.iterator) : answered;
  }

  /** Every shard of a stream, from kinesalite's ListShards (which does not page). */
  private async listAllShards(req: IncomingCall, stream: string): Promise<Record<string, unknown>[]> {
    const reply = await this.upstream.call(req, 'ListShards', { StreamName: stream });
    if (reply.status !== 200) throw new Error(`ListShards answered ${reply.status}.`);
    return (parseJson(reply.body) as { Shards?: Record<string, unknown>[] }).Shards ?? [];
  }

  private takeLatency(call: KinesisCall): number {
    let total = 0;
    for (const fault of this.latencyFaults) {
      if (
        fault.remaining > 0 &&
        (!fault.operation || fault.operation === call.operation) &&
        (!fault.when || fault.when(call))
      ) {
        fault.remaining--;
        total += fault.millis;
      }
    }
    this.latencyFaults = this.latencyFaults.filter((f) => f.remaining > 0);
    return total;
  }

  private take<T extends { remaining: number; when?: CallPredicate }>(
    faults: T[],
    call: KinesisCall,
    applies: (fault: T) => boolean,
  ): T | undefined {
    const fault = faults.find((f) => f.remaining > 0 && applies(f) && (!f.when || f.when(call)));
    if (fault) fault.remaining--;
    return fault;
  }

  private injectedReply(call: KinesisCall, reply: Reply): Reply {
    this.injected.set(call.operation, this.injectedCount(call.operation) + 1);
    return reply;
  }

  private throttleReply(call: KinesisCall): Reply {
    switch (call.operation) {
      case 'PutRecords':
        return this.allEntriesFailed(call, 'ProvisionedThroughputExceededException');
      case 'GetRecords':
      case 'PutRecord':
      case 'GetShardIterator':
        return this.errorReply(call, 'ProvisionedThroughputExceededException');
      default:
        return this.errorReply(call, 'LimitExceededException');
    }
  }

  private errorReply(call: KinesisCall, code: string, message?: string, statusCode?: number): Reply {
    const status = statusCode ?? (code === 'InternalFailure' || code === 'ServiceUnavailable' ? 500 : 400);
    return errorReply(code, message ?? this.defaultMessage(call, code), status);
  }

  private defaultMessage(call: KinesisCall, code: string): string {
    const stream = String(call.input.StreamName ?? call.iterator?.streamName ?? 'unknown');
    const shard = String(call.input.ShardId ?? call.iterator?.shardId ?? 'unknown');
    switch (code) {
      case 'ProvisionedThroughputExceededException':
        return call.operation === 'GetRecords' || call.operation === 'GetShardIterator'
          ? `Rate exceeded for shard ${shard} in stream ${stream} under account ${this.accountId}.`
          : `Rate exceeded for stream ${stream} under account ${this.accountId}.`;
      case 'ExpiredIteratorException': {
        const issued = call.iterator?.issuedAtMillis ?? this.clock.now() - ITERATOR_LIFETIME_MILLIS - 1;
        return (
          `Iterator expired. The iterator was created at time ${new Date(issued).toUTCString()} while right now it is ` +
          `${new Date(this.clock.now()).toUTCString()} which is further in the future than the tolerated delay of ` +
          `${ITERATOR_LIFETIME_MILLIS} milliseconds.`
        );
      }
      case 'LimitExceededException':
        return `Rate exceeded for stream ${stream} under account ${this.accountId}.`;
      case 'InternalFailure':
        return 'Internal service failure.';
      default:
        return `An injected ${code}.`;
    }
  }

  private allEntriesFailed(call: KinesisCall, code: PutRecordsEntryErrorCode): Reply {
    const records = Array.isArray(call.input.Records) ? call.input.Records : [];
    return jsonReply(200, {
      FailedRecordCount: records.length,
      Records: records.map(() => this.entryError(call, code)),
    });
  }

  private entryError(call: KinesisCall, code: PutRecordsEntryErrorCode): Record<string, string> {
    return {
      ErrorCode: code,
      ErrorMessage:
        code === 'InternalFailure' ? 'Internal service failure.' : this.defaultMessage(call, code),
    };
  }

  /**
   * Sends kinesalite only the entries that survive, then splices the failed ones back in request
   * order, so a failed entry is really not written (as on AWS) and a retry does not duplicate it.
   */
  private async partlyFailedPutRecords(
    req: IncomingCall,
    call: KinesisCall,
    entries: unknown[],
    fault: PutRecordsFault,
  ): Promise<Reply> {
    const decisions = entries.map((entry: unknown, index) =>
      fault.failEntry((typeof entry === 'object' && entry !== null ? entry : {}) as PutRecordsEntry, index),
    );
    const survivors = entries.filter((_, index) => decisions[index] === undefined);
    let written: Record<string, unknown>[] = [];
    let failedByKinesalite = 0;
    let encryption: Record<string, unknown> = {};
    if (survivors.length > 0) {
      const reply = await this.forward(
        req,
        Buffer.from(JSON.stringify({ ...call.input, Records: survivors })),
      );
      if (reply.status !== 200) return reply;
      const parsed = JSON.parse(reply.body.toString('utf8')) as {
        Records?: Record<string, unknown>[];
        FailedRecordCount?: number;
        EncryptionType?: string;
      };
      written = parsed.Records ?? [];
      failedByKinesalite = parsed.FailedRecordCount ?? 0;
      if (parsed.EncryptionType) encryption = { EncryptionType: parsed.EncryptionType };
    }
    let next = 0;
    const records = decisions.map((code) => (code ? this.entryError(call, code) : (written[next++] ?? {})));
    const injected = decisions.filter((code) => code !== undefined).length;
    if (injected > 0) this.injected.set('PutRecords', this.injectedCount('PutRecords') + 1);
    return jsonReply(200, {
      FailedRecordCount: failedByKinesalite + injected,
      Records: records,
      ...encryption,
    });
  }

  private forward(req: IncomingCall, body: Buffer): Promise<Reply> {
    return this.upstream.forward(req, body);
  }
}

/** Decodes a kinesalite shard iterator; undefined when it is not one. */
export function describeIterator(iterator: string): IteratorPosition | undefined {
  try {
    const bytes = Buffer.from(iterator, 'base64');
    if (bytes.length <= 8) return undefined;
    const decipher = createDecipheriv('aes-256-cbc', ITERATOR_PWD_KEY, ITERATOR_PWD_IV);
    const text = Buffer.concat([decipher.update(bytes.subarray(8)), decipher.final()]).toString('utf8');
    const [issued, streamName, shardId, sequenceNumber] = text.split('/');
    if (!issued || !streamName || !shardId || !sequenceNumber) return undefined;
    return { streamName, shardId, sequenceNumber, issuedAtMillis: Number(issued) };
  } catch {
    return undefined;
  }
}

/** An injected partial fault and the write limits' decisions as one: the fault's error wins. */
function withWriteLimits(
  fault: PutRecordsFault | undefined,
  admitted: readonly boolean[] | undefined,
): PutRecordsFault {
  return {
    failEntry: (entry, index) =>
      fault?.failEntry(entry, index) ??
      (admitted?.[index] === false ? 'ProvisionedThroughputExceededException' : undefined),
  };
}

function opt(when: CallPredicate | undefined): { when?: CallPredicate } {
  return when ? { when } : {};
}

function optIterator(iterator: IteratorPosition | undefined): { iterator?: IteratorPosition } {
  return iterator ? { iterator } : {};
}

function send(res: ServerResponse, reply: Reply): void {
  const headers: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(reply.headers)) {
    if (
      value !== undefined &&
      !['content-length', 'transfer-encoding', 'connection', 'keep-alive'].includes(name)
    ) {
      headers[name] = value;
    }
  }
  headers['content-length'] = String(reply.body.length);
  res.writeHead(reply.status, headers);
  res.end(reply.body);
}

/** The whole request body, or undefined when it is larger than kinesalite accepts. */
async function readBody(req: IncomingMessage): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_REQUEST_BYTES) return undefined;
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}
