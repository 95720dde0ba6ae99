import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Random } from '../../functions/core/time/clock';
import { FaultSwitch } from './faults';

/** An error a local service returns, in the shape of the AWS JSON protocol. */
export class ServiceError extends Error {
  constructor(
    /** The error code the SDK maps to its exception class, e.g. `ParameterNotFound`. */
    readonly code: string,
    message: string,
    readonly statusCode = 400,
    /** Extra headers, e.g. SQS's `x-amzn-query-error` for the legacy code. */
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = code;
  }
}

export type OperationHandler = (input: Record<string, unknown>) => unknown | Promise<unknown>;

export interface JsonServiceOptions {
  /** The `X-Amz-Target` prefix, e.g. `AmazonSSM` or `AmazonSQS`. */
  readonly targetPrefix: string;
  /** `application/x-amz-json-1.1` or `-1.0`. */
  readonly contentType: string;
  readonly operations: Record<string, OperationHandler>;
  /** Error code for a throttled call. @default ThrottlingException */
  readonly throttlingCode?: string;
  readonly throttlingHeaders?: Record<string, string>;
  /** Largest request body accepted, in bytes. @default 10 MiB */
  readonly maxRequestBytes?: number;
  /** Random source of the fault switch's `failFraction`, so tests can seed it. @default Math.random */
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
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => resolve());
    });
    return this.endpoint;
  }

  get endpoint(): string {
    const address = this.server?.address() as AddressInfo | null | undefined;
    if (!address) throw new Error('The server is not listening; call listen() first.');
    return `http://127.0.0.1:${address.port}`;
  }

  async close(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
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
          400,
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
      const output = (await handler(input)) ?? {};
      this.send(res, 200, output);
    } catch (error) {
      if (error instanceof ServiceError) {
        this.send(res, error.statusCode, { __type: error.code, message: error.message }, error.headers);
      } else {
        this.send(res, 500, { __type: 'InternalFailure', message: String(error) });
      }
    }
  }

  private send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) {
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
