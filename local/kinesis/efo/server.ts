import {
  createServer as createHttp1Server,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type Server as Http1Server,
  type ServerResponse,
} from 'node:http';
import {
  createServer as createHttp2Server,
  type Http2Server,
  type Http2ServerRequest,
  type Http2ServerResponse,
} from 'node:http2';
import { createServer as createNetServer, type Server as NetServer, type Socket } from 'node:net';
import { Duplex, PassThrough } from 'node:stream';
import { systemClock, type Clock } from '../../../functions/core/time/clock';
import { endpointOf, listenOnLoopback } from '../../shared/node-server';
import { describeIterator } from '../fault-proxy';
import { ConsumerRegistry, parseStreamArn, type ConsumerStatus, type StreamConsumer } from './consumers';
import { initialResponse } from './event-stream';
import { KinesisServiceError } from './service-error';
import {
  ByteBudget,
  EFO_BYTES_PER_SECOND,
  Subscription,
  WriteSignal,
  type SubscriptionEnd,
} from './subscription';
import { JSON_CONTENT_TYPE, TARGET_PREFIX } from '../upstream';
import { UpstreamKinesis } from './upstream';

/** One SubscribeToShard per second per consumer and shard. */
export const SUBSCRIBE_INTERVAL_MILLIS = 1000;
/** The HTTP/2 connection preface's first bytes: a connection that starts with them speaks h2c. */
const HTTP2_PREFACE = Buffer.from('PRI * HTTP/2.0');
const EVENT_STREAM_CONTENT_TYPE = 'application/vnd.amazon.eventstream';
/** Positions handed out as continuations before any record was read; the oldest are forgotten. */
const REMEMBERED_POSITIONS = 10_000;

export interface KinesisEfoServerOptions {
  /** The Kinesis behind this server (the fault proxy in front of kinesalite). */
  readonly upstream: string;
  /** @default 'us-east-1' */
  readonly region?: string;
  /** Keeps consumer lifecycles, subscription lifetimes, the 2 MiB/s budget and the SubscribeToShard rate. @default systemClock */
  readonly clock?: Clock;
  /** Milliseconds a consumer stays CREATING (and DELETING). @default 0 */
  readonly consumerTransitionMillis?: number;
  /** Longest quiet spell before an empty event. @default 5000 */
  readonly heartbeatMillis?: number;
  /**
   * Each consumer's read rate per shard; tests scale it down to exercise pacing with small records.
   * Events carry at most half a second of it.
   * @default 2 MiB/s (AWS's)
   */
  readonly bytesPerSecond?: number;
}

/** An event with records the server sent, stamped with its clock. */
export interface SentEvent {
  readonly consumerArn: string;
  readonly shardId: string;
  readonly at: number;
  readonly bytes: number;
}

/** How many sent events `sentEvents` keeps. */
const SENT_EVENTS_KEPT = 10_000;

/** A SubscribeToShard open on the server, as tests see it. */
export interface OpenSubscription {
  readonly consumerArn: string;
  readonly shardId: string;
}

type Respond = (status: number, headers: Record<string, string>, body: Buffer) => void;

/** How often an idle subscription gets an empty event, so the client sees the stream is alive. */
const EVENT_HEARTBEAT_MILLIS = 5000;

/** ListStreamConsumers' page size when MaxResults is not given, and the most it takes (AWS's API). */
const LIST_CONSUMERS_DEFAULT_MAX_RESULTS = 100;
const LIST_CONSUMERS_MAX_RESULTS = 10_000;

/**
 * A local Kinesis that serves enhanced fan-out. One plain `http://` endpoint speaks HTTP/2 from the
 * first byte (h2c, as SDK v3's stock NodeHttp2Handler does on such an endpoint) and HTTP/1.1 (as
 * kinesalite's clients do), like AWS's endpoint serves both. It answers the consumer operations and
 * SubscribeToShard itself (HTTP/2 only, AWS's event-stream encoding) and forwards every other
 * operation over HTTP/1.1 to the Kinesis behind it.
 */
export class KinesisEfoServer {
  readonly consumers: ConsumerRegistry;
  /**
   * Notify it when records are written to the Kinesis behind (the local harness wires the fault proxy's
   * write hook to it), so subscriptions read them at once.
   */
  readonly writes = new WriteSignal();
  private readonly clock: Clock;
  private readonly upstream: UpstreamKinesis;
  private readonly heartbeatMillis: number;
  private readonly bytesPerSecond: number;
  private readonly open = new Map<string, { subscription: Subscription; stop: AbortController }>();
  private readonly lastSubscribedAt = new Map<string, number>();
  private readonly budgets = new Map<string, ByteBudget>();
  private readonly positions = new Set<string>();
  private readonly calls = new Map<string, number>();
  private readonly ended = new Map<SubscriptionEnd, number>();
  private readonly sockets = new Set<Socket>();
  private idleWaiters: (() => void)[] = [];
  private injected = 0;
  private readonly sent: SentEvent[] = [];
  private refusals: { code: string; remaining: number }[] = [];
  private readonly http1: Http1Server;
  private readonly http2: Http2Server;
  private server?: NetServer;

  constructor(options: KinesisEfoServerOptions) {
    this.clock = options.clock ?? systemClock;
    this.upstream = new UpstreamKinesis(options.upstream, options.region ?? 'us-east-1');
    this.heartbeatMillis = options.heartbeatMillis ?? EVENT_HEARTBEAT_MILLIS;
    this.bytesPerSecond = options.bytesPerSecond ?? EFO_BYTES_PER_SECOND;
    this.consumers = new ConsumerRegistry(this.clock, options.consumerTransitionMillis ?? 0);
    this.http1 = createHttp1Server((req, res) => void this.handle(req, res, 'HTTP/1.1'));
    this.http2 = createHttp2Server((req, res) => void this.handle(req, res, 'HTTP/2'));
  }

  async listen(port = 0): Promise<string> {
    const server = createNetServer((socket) => this.accept(socket));
    this.server = server;
    return listenOnLoopback(server, port);
  }

  get endpoint(): string {
    if (!this.server) throw new Error('The EFO server is not listening; call listen() first.');
    return endpointOf(this.server);
  }

  async close(): Promise<void> {
    for (const { stop } of this.open.values()) stop.abort();
    const server = this.server;
    this.server = undefined;
    for (const socket of this.sockets) socket.destroy();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
    this.upstream.close();
  }

  /** Subscriptions open now. */
  subscriptions(): OpenSubscription[] {
    return [...this.open.keys()].map((key) => {
      const [consumerArn, shardId] = key.split('|') as [string, string];
      return { consumerArn, shardId };
    });
  }

  /**
   * Ends matching open subscriptions now: with an event-stream exception (`code`, e.g.
   * `InternalFailureException`) when given, else normally, as when AWS ends one early.
   */
  endSubscriptions(
    match: { consumerArn?: string; shardId?: string; code?: string; message?: string } = {},
  ): number {
    let count = 0;
    for (const [key, { subscription }] of this.open) {
      const [consumerArn, shardId] = key.split('|');
      if (
        (match.consumerArn && match.consumerArn !== consumerArn) ||
        (match.shardId && match.shardId !== shardId)
      ) {
        continue;
      }
      subscription.end(match.code, match.message);
      count++;
    }
    return count;
  }

  /**
   * Answers the next `times` SubscribeToShard calls with an error before any check, e.g.
   * LimitExceededException as when a shard's one call per second is used up elsewhere.
   */
  refuseSubscriptions(code: string, times = 1): void {
    this.refusals.push({ code, remaining: times });
  }

  /** Resolves once no subscription is open (the server has seen every caller go away). */
  whenNoSubscriptions(): Promise<void> {
    if (this.open.size === 0) return Promise.resolve();
    return new Promise<void>((resolve) => this.idleWaiters.push(resolve));
  }

  /** The latest events with records the server sent (its clock's time, record bytes), oldest first. */
  sentEvents(): readonly SentEvent[] {
    return this.sent;
  }

  /** Calls of an operation this server answered itself or forwarded. */
  callCount(operation: string): number {
    return this.calls.get(operation) ?? 0;
  }

  /** SubscribeToShard calls answered with an error from `refuseSubscriptions`. */
  get refusedCount(): number {
    return this.injected;
  }

  /** Subscriptions that ended for a reason. */
  endedCount(reason: SubscriptionEnd): number {
    return this.ended.get(reason) ?? 0;
  }

  private accept(socket: Socket): void {
    // Node's HTTP servers turn Nagle's algorithm off on the sockets they accept themselves; these come
    // from a plain net server. With it on, a reply written in two parts (headers, then body) or an
    // event behind an unacknowledged one waits for the peer's delayed ACK: some 40 ms a call.
    socket.setNoDelay(true);
    this.sockets.add(socket);
    socket.on('close', () => this.sockets.delete(socket));
    socket.once('data', (first: Buffer) => {
      // Node's HTTP servers read a net socket natively, past anything unshifted back into it, so the
      // connection goes on as a stream that replays the first bytes and then the socket's.
      const replay = new PassThrough();
      replay.write(first);
      socket.pipe(replay);
      const connection = Duplex.from({ readable: replay, writable: socket });
      socket.on('close', () => connection.destroy());
      connection.on('error', () => socket.destroy());
      const h2c = first.subarray(0, HTTP2_PREFACE.length).equals(HTTP2_PREFACE);
      (h2c ? this.http2 : this.http1).emit('connection', connection);
    });
  }

  private async handle(
    req: IncomingMessage | Http2ServerRequest,
    res: ServerResponse | Http2ServerResponse,
    protocol: 'HTTP/1.1' | 'HTTP/2',
  ): Promise<void> {
    const respond: Respond = (status, headers, body) => {
      if (res.headersSent) return;
      res.writeHead(status, { ...headers, 'content-length': String(body.length) });
      res.end(body);
    };
    try {
      const body = await readBody(req);
      const target = String(req.headers['x-amz-target'] ?? '');
      const operation = target.startsWith(TARGET_PREFIX) ? target.slice(TARGET_PREFIX.length) : '';
      if (operation) this.calls.set(operation, this.callCount(operation) + 1);
      const local = operation ? this.localOperations[operation] : undefined;
      if (!local) {
        // Writes reach `writes` from the Kinesis behind (the fault proxy's write hook), whoever made them.
        const reply = await this.upstream.forward(req, body);
        respond(reply.status, responseHeaders(reply.headers), reply.body);
        return;
      }
      const input = parseInput(body);
      if (operation === 'SubscribeToShard') {
        if (protocol !== 'HTTP/2') {
          throw new KinesisServiceError(
            'InvalidArgumentException',
            'SubscribeToShard needs HTTP/2; this request came over HTTP/1.1.',
          );
        }
        await this.subscribe(input, req as Http2ServerRequest, res as Http2ServerResponse);
        return;
      }
      respond(
        200,
        { 'content-type': JSON_CONTENT_TYPE, 'x-amzn-requestid': crypto.randomUUID() },
        json(await local(input)),
      );
    } catch (error) {
      const e =
        error instanceof KinesisServiceError
          ? error
          : new KinesisServiceError('InternalFailure', `Local Kinesis EFO server: ${String(error)}`);
      respond(
        e.statusCode,
        {
          'content-type': JSON_CONTENT_TYPE,
          'x-amzn-requestid': crypto.randomUUID(),
          'x-amzn-errortype': e.code,
        },
        json({ __type: e.code, message: e.message }),
      );
    }
  }

  private readonly localOperations: Record<string, (input: Record<string, unknown>) => Promise<unknown>> = {
    RegisterStreamConsumer: async (input) => {
      const streamArn = requireString(input, 'StreamARN');
      parseStreamArn(streamArn);
      await this.upstream.json('DescribeStreamSummary', { StreamARN: streamArn });
      return { Consumer: consumerJson(this.consumers.register(streamArn, input.ConsumerName)) };
    },
    DescribeStreamConsumer: async (input) => {
      const consumer = this.consumers.find(input);
      return { ConsumerDescription: { ...consumerJson(consumer), StreamARN: consumer.streamArn } };
    },
    ListStreamConsumers: async (input) => {
      const streamArn = requireString(input, 'StreamARN');
      const all = this.consumers.list(streamArn);
      const max = input.MaxResults ?? LIST_CONSUMERS_DEFAULT_MAX_RESULTS;
      if (!Number.isInteger(max) || (max as number) < 1 || (max as number) > LIST_CONSUMERS_MAX_RESULTS) {
        throw new KinesisServiceError(
          'ValidationException',
          `MaxResults must be an integer from 1 to ${LIST_CONSUMERS_MAX_RESULTS}; got ${String(max)}.`,
        );
      }
      const start =
        typeof input.NextToken === 'string' ? Number(Buffer.from(input.NextToken, 'base64').toString()) : 0;
      if (!Number.isInteger(start) || start < 0) {
        throw new KinesisServiceError(
          'InvalidArgumentException',
          'NextToken is not a ListStreamConsumers token.',
        );
      }
      const page = all.slice(start, start + (max as number));
      const next = start + page.length;
      return {
        Consumers: page.map(consumerJson),
        ...(next < all.length ? { NextToken: Buffer.from(String(next)).toString('base64') } : {}),
      };
    },
    DeregisterStreamConsumer: async (input) => {
      const consumer = this.consumers.find(input);
      this.consumers.deregister(input);
      this.endSubscriptions({
        consumerArn: consumer.consumerArn,
        code: 'ResourceNotFoundException',
        message: `Consumer ${consumer.consumerArn} was deregistered.`,
      });
      return {};
    },
    SubscribeToShard: async () => ({}),
  };

  private async subscribe(
    input: Record<string, unknown>,
    req: Http2ServerRequest,
    res: Http2ServerResponse,
  ): Promise<void> {
    const consumerArn = requireString(input, 'ConsumerARN');
    const shardId = requireString(input, 'ShardId');
    const refusal = this.refusals.find((r) => r.remaining > 0);
    if (refusal) {
      refusal.remaining--;
      this.refusals = this.refusals.filter((r) => r.remaining > 0);
      this.injected++;
      throw new KinesisServiceError(refusal.code, `An injected ${refusal.code} for shard ${shardId}.`);
    }
    const consumer = this.consumers.find({ ConsumerARN: consumerArn });
    if (consumer.status !== 'ACTIVE') {
      throw new KinesisServiceError(
        'ResourceInUseException',
        `Consumer ${consumerArn} is ${consumer.status}, not ACTIVE; wait until DescribeStreamConsumer says ACTIVE.`,
      );
    }
    const key = `${consumerArn}|${shardId}`;
    if (this.open.has(key)) {
      throw new KinesisServiceError(
        'ResourceInUseException',
        `Another active subscription exists for consumer ${consumerArn} on shard ${shardId}.`,
      );
    }
    const now = this.clock.now();
    const last = this.lastSubscribedAt.get(key);
    if (last !== undefined && now - last < SUBSCRIBE_INTERVAL_MILLIS) {
      throw new KinesisServiceError(
        'LimitExceededException',
        `Rate exceeded for consumer ${consumerArn} and shard ${shardId}: one SubscribeToShard per second.`,
      );
    }
    const { iterator, continuation } = await this.startingIterator(consumer, shardId, input.StartingPosition);
    this.lastSubscribedAt.set(key, now);

    const stop = new AbortController();
    const onGone = () => stop.abort();
    res.on('close', onGone);
    req.on('close', onGone);
    const budget = this.budgets.get(key) ?? new ByteBudget(this.clock, this.bytesPerSecond);
    this.budgets.set(key, budget);
    const subscription = new Subscription({
      consumerArn,
      streamArn: consumer.streamArn,
      shardId,
      iterator,
      startingContinuation: continuation,
      upstream: this.upstream,
      clock: this.clock,
      writes: this.writes,
      budget,
      eventMaxBytes: Math.floor(this.bytesPerSecond / 2),
      heartbeatMillis: this.heartbeatMillis,
      send: (frame) => write(res, frame, stop.signal),
      closed: stop.signal,
      rememberPosition: (position) => this.remember(position),
      onEvent: (bytes) => {
        this.sent.push({ consumerArn, shardId, at: this.clock.now(), bytes });
        if (this.sent.length > SENT_EVENTS_KEPT) this.sent.shift();
      },
    });
    this.open.set(key, { subscription, stop });
    let reason: SubscriptionEnd = 'failed';
    try {
      res.writeHead(200, {
        'content-type': EVENT_STREAM_CONTENT_TYPE,
        'x-amzn-requestid': crypto.randomUUID(),
      });
      await write(res, initialResponse(), stop.signal);
      reason = await subscription.run();
    } finally {
      this.open.delete(key);
      if (this.open.size === 0) {
        const waiters = this.idleWaiters;
        this.idleWaiters = [];
        for (const resolve of waiters) resolve();
      }
      this.ended.set(reason, this.endedCount(reason) + 1);
      res.off('close', onGone);
      req.off('close', onGone);
      if (!res.writableEnded && !stop.signal.aborted) res.end();
    }
  }

  /** The shard iterator a StartingPosition names, and the continuation to report until a record is read. */
  private async startingIterator(
    consumer: StreamConsumer & { status: ConsumerStatus },
    shardId: string,
    position: unknown,
  ): Promise<{ iterator: string; continuation: string }> {
    const start = (typeof position === 'object' && position !== null ? position : {}) as Record<
      string,
      unknown
    >;
    const type = start.Type;
    // By ARN, as the consumer was registered: another account's stream is only reachable so.
    const request: Record<string, unknown> = { StreamARN: consumer.streamArn, ShardId: shardId };
    switch (type) {
      case 'AT_SEQUENCE_NUMBER':
      case 'AFTER_SEQUENCE_NUMBER': {
        const sequenceNumber = requireString(start, 'SequenceNumber');
        // A continuation handed out before any record was read names a position, not a record.
        const at = type === 'AT_SEQUENCE_NUMBER' || this.positions.has(sequenceNumber);
        request.ShardIteratorType = at ? 'AT_SEQUENCE_NUMBER' : 'AFTER_SEQUENCE_NUMBER';
        request.StartingSequenceNumber = sequenceNumber;
        break;
      }
      case 'AT_TIMESTAMP':
        if (typeof start.Timestamp !== 'number') {
          throw new KinesisServiceError(
            'InvalidArgumentException',
            'StartingPosition AT_TIMESTAMP needs a Timestamp.',
          );
        }
        request.ShardIteratorType = type;
        request.Timestamp = start.Timestamp;
        break;
      case 'TRIM_HORIZON':
      case 'LATEST':
        request.ShardIteratorType = type;
        break;
      default:
        throw new KinesisServiceError(
          'ValidationException',
          `StartingPosition.Type must be AT_SEQUENCE_NUMBER, AFTER_SEQUENCE_NUMBER, AT_TIMESTAMP, TRIM_HORIZON or LATEST; got ${String(type)}.`,
        );
    }
    const { ShardIterator } = await this.upstream.json<{ ShardIterator: string }>(
      'GetShardIterator',
      request,
    );
    let continuation = typeof start.SequenceNumber === 'string' ? start.SequenceNumber : '';
    if (request.ShardIteratorType !== 'AFTER_SEQUENCE_NUMBER') {
      continuation = describeIterator(ShardIterator)?.sequenceNumber ?? continuation;
      this.remember(continuation);
    }
    return { iterator: ShardIterator, continuation };
  }

  private remember(position: string): void {
    this.positions.add(position);
    if (this.positions.size > REMEMBERED_POSITIONS) {
      const oldest = this.positions.values().next().value;
      if (oldest !== undefined) this.positions.delete(oldest);
    }
  }
}

function consumerJson(consumer: StreamConsumer & { status: ConsumerStatus }): Record<string, unknown> {
  return {
    ConsumerName: consumer.consumerName,
    ConsumerARN: consumer.consumerArn,
    ConsumerStatus: consumer.status,
    ConsumerCreationTimestamp: consumer.createdAt / 1000,
  };
}

/** Writes a frame, waiting while HTTP/2 flow control holds the stream (the client is not reading). */
function write(res: Http2ServerResponse, frame: Uint8Array, stop: AbortSignal): Promise<void> {
  if (stop.aborted || res.writableEnded) return Promise.resolve();
  if (res.write(frame)) return Promise.resolve();
  return new Promise<void>((resolve) => {
    const done = () => {
      res.off('drain', done);
      stop.removeEventListener('abort', done);
      resolve();
    };
    res.on('drain', done);
    stop.addEventListener('abort', done, { once: true });
  });
}

function requireString(input: Readonly<Record<string, unknown>>, field: string): string {
  const value = input[field];
  if (typeof value !== 'string' || value.length === 0) {
    throw new KinesisServiceError('ValidationException', `${field} is required; got ${String(value)}.`);
  }
  return value;
}

function parseInput(body: Buffer): Record<string, unknown> {
  try {
    const parsed: unknown = JSON.parse(body.toString('utf8') || '{}');
    if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed))
      return parsed as Record<string, unknown>;
  } catch {
    // Falls through to the error below.
  }
  throw new KinesisServiceError('SerializationException', 'The request body is not a JSON object.');
}

function responseHeaders(headers: IncomingHttpHeaders): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (
      value === undefined ||
      ['content-length', 'transfer-encoding', 'connection', 'keep-alive'].includes(name)
    ) {
      continue;
    }
    out[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return out;
}

function json(value: unknown): Buffer {
  return Buffer.from(JSON.stringify(value));
}

async function readBody(req: AsyncIterable<unknown>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}
