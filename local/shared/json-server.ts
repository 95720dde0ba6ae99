import {
  createServer,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { Random } from '../../functions/core/time/clock';
import { FaultSwitch } from './faults';
import { closeServer, endpointOf, listenOnLoopback } from './node-server';

/** An error a local service returns, in the shape of the AWS JSON protocol. */
export class ServiceError extends Error {
  constructor(
    /** The error code the SDK maps to its exception class, e.g. `ParameterNotFound`. */
    readonly code: string,
    message: string,
    readonly statusCode = 400,
    /** Extra headers for the response. */
    readonly headers: Record<string, string> = {},
    /**
     * The code the service's older query protocol used for this error, sent in `x-amzn-query-error` when
     * the server is `queryCompatible` (SQS: `AWS.SimpleQueueService.NonExistentQueue` for `QueueDoesNotExist`).
     * @default - the same as `code`
     */
    readonly queryCode?: string,
  ) {
    super(message);
    this.name = code;
  }
}

/** What a handler may know about the call besides its input. */
export interface RequestContext {
  readonly operation: string;
  readonly headers: IncomingHttpHeaders;
  /** Aborts when the client disconnects or the server closes, so a long poll can stop waiting. */
  readonly signal: AbortSignal;
}

export type OperationHandler = (
  input: Record<string, unknown>,
  context: RequestContext,
) => unknown | Promise<unknown>;

export interface JsonServiceOptions {
  /** The `X-Amz-Target` prefix, e.g. `AmazonSSM` or `AmazonSQS`. */
  readonly targetPrefix: string;
  /** `application/x-amz-json-1.1` or `-1.0`. */
  readonly contentType: string;
  readonly operations: Record<string, OperationHandler>;
  /** Error code for a throttled call. @default ThrottlingException */
  readonly throttlingCode?: string;
  /** HTTP status of a throttled call. @default 400 */
  readonly throttlingStatus?: number;
  readonly throttlingHeaders?: Record<string, string>;
  /**
   * Namespace put before the error code in the body's `__type`, e.g. `com.amazonaws.sqs` gives
   * `com.amazonaws.sqs#QueueDoesNotExist`. @default - the bare code
   */
  readonly errorNamespace?: string;
  /**
   * The service is `awsQueryCompatible` (SQS): every error response carries `x-amzn-query-error:
   * <query code>;Sender|Receiver`, which SDK v3 reads before `__type` to name the error.
   * @default false
   */
  readonly queryCompatible?: boolean;
  /** Largest request body accepted, in bytes. @default 10 MiB */
  readonly maxRequestBytes?: number;
  /** Random source for the fault switch's fail fraction. @default Math.random */
  readonly random?: Random;
}

/**
 * A small HTTP server speaking the AWS JSON protocol (1.0 or 1.1) for the operations it is given.
 * Like kinesalite, it checks that a request is signed (an Authorization header or a presigned query)
 * but does not verify the signature.
 */
export class JsonServiceServer {
  readonly faults: FaultSwitch;
  private server?: Server;

  constructor(private readonly options: JsonServiceOptions) {
    this.faults = new FaultSwitch(options.random);
  }

  /** Starts listening on 127.0.0.1 (port 0 picks a free port) and returns the endpoint URL. */
  async listen(port = 0): Promise<string> {
    const server = createServer((req, res) => void this.handle(req, res));
    server.keepAliveTimeout = 1000;
    this.server = server;
    return listenOnLoopback(server, port);
  }

  get endpoint(): string {
    if (!this.server) throw new Error('The server is not listening; call listen() first.');
    return endpointOf(this.server);
  }

  async close(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (server) await closeServer(server);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const abort = new AbortController();
    res.once('close', () => {
      if (!res.writableFinished) abort.abort(new Error('The client closed the connection.'));
    });
    try {
      const body = await readBody(req, this.options.maxRequestBytes ?? 10 * 1024 * 1024);
      if (req.method !== 'POST') throw new ServiceError('InvalidAction', 'Only POST requests are supported.');
      const target = String(req.headers['x-amz-target'] ?? '');
      const [prefix, operation] = target.split('.');
      if (prefix !== this.options.targetPrefix || !operation) {
        throw new ServiceError('UnknownOperationException', `Unknown target: ${target || '(none)'}.`);
      }
      const handler = this.options.operations[operation];
      if (!handler)
        throw new ServiceError('UnknownOperationException', `Unsupported operation: ${operation}.`);
      if (!isSigned(req)) {
        throw new ServiceError(
          'MissingAuthenticationTokenException',
          'Request is missing Authentication Token',
          403,
        );
      }
      const decision = this.faults.decide(operation);
      if (decision.latencyMillis > 0) await new Promise((r) => setTimeout(r, decision.latencyMillis));
      if (decision.kind === 'throttle') {
        throw new ServiceError(
          this.options.throttlingCode ?? 'ThrottlingException',
          'Rate exceeded',
          this.options.throttlingStatus ?? 400,
          this.options.throttlingHeaders,
        );
      }
      if (decision.kind === 'fail') {
        throw new ServiceError('InternalFailure', 'An injected internal failure.', 500);
      }
      let input: Record<string, unknown>;
      try {
        input = body.length ? (JSON.parse(body.toString('utf8')) as Record<string, unknown>) : {};
      } catch {
        throw new ServiceError('SerializationException', 'The request body is not valid JSON.');
      }
      const output = (await handler(input, { operation, headers: req.headers, signal: abort.signal })) ?? {};
      this.send(res, 200, output);
    } catch (error) {
      this.sendError(
        res,
        error instanceof ServiceError ? error : new ServiceError('InternalFailure', String(error), 500),
      );
    }
  }

  private sendError(res: ServerResponse, error: ServiceError): void {
    const { errorNamespace, queryCompatible } = this.options;
    const headers = { ...error.headers };
    if (queryCompatible) {
      const fault = error.statusCode >= 500 ? 'Receiver' : 'Sender';
      headers['x-amzn-query-error'] = `${error.queryCode ?? error.code};${fault}`;
    }
    const type = errorNamespace ? `${errorNamespace}#${error.code}` : error.code;
    this.send(res, error.statusCode, { __type: type, message: error.message }, headers);
  }

  private send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) {
    // The client may have gone while a long poll waited; there is no one left to answer.
    if (res.destroyed || res.writableEnded) return;
    const payload = Buffer.from(JSON.stringify(body));
    res.writeHead(status, {
      'content-type': this.options.contentType,
      'content-length': payload.length,
      'x-amzn-requestid': crypto.randomUUID(),
      ...headers,
    });
    res.end(payload);
  }
}

function isSigned(req: IncomingMessage): boolean {
  if (req.headers.authorization) return true;
  const url = new URL(req.url ?? '/', 'http://localhost');
  return url.searchParams.has('X-Amz-Signature');
}

async function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit)
      throw new ServiceError('RequestEntityTooLarge', `Request body over ${limit} bytes.`, 413);
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}
