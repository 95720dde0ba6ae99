import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { closeServer, listenOnLoopback } from '../shared/node-server';

/** A function the local server runs in this process: its answer is the invocation's payload. */
export type LocalFunction = (event: unknown) => unknown;

export interface LocalInvocation {
  readonly functionName: string;
  readonly invocationType: string;
  readonly payloadBytes: number;
  readonly event: unknown;
}

const SYNC_PAYLOAD_LIMIT = 6 * 1024 * 1024;
const ASYNC_PAYLOAD_LIMIT = 256 * 1024;
const INVOKE_PATH = /^\/2015-03-31\/functions\/([^/]+)\/invocations$/;

/**
 * A small stand-in for Lambda's Invoke API (REST-JSON, `POST /2015-03-31/functions/{name}/invocations`)
 * that runs registered in-process functions, so the consumer's Lambda target and continuous mode's
 * successor start go through the unmodified SDK client, request signing and serialization included. No
 * Lambda emulator exists on npm or in Debian. It answers as Lambda does: the function's return value as
 * the payload, a thrown error as 200 with `X-Amz-Function-Error: Unhandled`, an unknown function as 404
 * ResourceNotFoundException, a request payload over 6 MB (256 KB for an asynchronous one) as 413
 * RequestTooLargeException, and an asynchronous invoke (`X-Amz-Invocation-Type: Event`) as 202 with no
 * payload at once, the function running after the answer (its outcome goes to `onEventError` only).
 */
export class LocalLambdaServer {
  private readonly functions = new Map<string, LocalFunction>();
  private readonly server: Server;
  readonly invocations: LocalInvocation[] = [];

  /** @param onEventError called with an asynchronous invocation's error (Lambda would log it). */
  constructor(
    private readonly onEventError: (functionName: string, error: unknown) => void = () => undefined,
  ) {
    this.server = createServer((request, response) => {
      this.handle(request, response).catch((error: unknown) => {
        send(response, 500, { 'x-amzn-ErrorType': 'ServiceException' }, { message: String(error) });
      });
    });
  }

  /** Makes `fn` invocable by `name` (also by its ARN or name:qualifier). */
  register(name: string, fn: LocalFunction): void {
    this.functions.set(name, fn);
  }

  listen(): Promise<string> {
    return listenOnLoopback(this.server);
  }

  close(): Promise<void> {
    return closeServer(this.server);
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', 'http://localhost');
    const match = INVOKE_PATH.exec(url.pathname);
    if (request.method !== 'POST' || !match) {
      send(
        response,
        404,
        { 'x-amzn-ErrorType': 'UnknownOperationException' },
        { message: 'Unknown operation' },
      );
      return;
    }
    const body = await readBody(request);
    const functionName = functionNameOf(decodeURIComponent(match[1] as string));
    const fn = this.functions.get(functionName);
    if (!fn) {
      send(
        response,
        404,
        { 'x-amzn-ErrorType': 'ResourceNotFoundException' },
        { Type: 'User', Message: `Function not found: ${functionName}` },
      );
      return;
    }
    const invocationType = String(request.headers['x-amz-invocation-type'] ?? 'RequestResponse');
    const limit = invocationType === 'Event' ? ASYNC_PAYLOAD_LIMIT : SYNC_PAYLOAD_LIMIT;
    if (body.length > limit) {
      send(
        response,
        413,
        { 'x-amzn-ErrorType': 'RequestTooLargeException' },
        {
          Type: 'User',
          message: `Request must be smaller than ${limit} bytes for the InvokeFunction operation`,
        },
      );
      return;
    }
    let event: unknown;
    try {
      event = body.length ? JSON.parse(body.toString('utf8')) : null;
    } catch {
      send(
        response,
        400,
        { 'x-amzn-ErrorType': 'InvalidRequestContentException' },
        { Type: 'User', message: 'Could not parse request body into json' },
      );
      return;
    }
    this.invocations.push({ functionName, invocationType, payloadBytes: body.length, event });
    if (invocationType === 'Event') {
      send(response, 202, {}, null, true);
      // Lambda queues the event and runs it after answering; nobody waits for the outcome.
      setImmediate(() => {
        Promise.resolve()
          .then(() => fn(event))
          .catch((error: unknown) => this.onEventError(functionName, error));
      });
      return;
    }
    try {
      const result = await fn(event);
      send(response, 200, { 'X-Amz-Executed-Version': '$LATEST' }, result ?? null);
    } catch (error) {
      const e = error instanceof Error ? error : new Error(String(error));
      send(
        response,
        200,
        { 'X-Amz-Executed-Version': '$LATEST', 'X-Amz-Function-Error': 'Unhandled' },
        { errorType: e.name, errorMessage: e.message, trace: [] },
      );
    }
  }
}

/** `name`, `name:qualifier` or a function ARN, to the function's name. */
function functionNameOf(id: string): string {
  const arn = /^arn:aws[a-zA-Z-]*:lambda:[^:]+:\d{12}:function:([^:]+)/.exec(id);
  if (arn) return arn[1] as string;
  return id.split(':')[0] as string;
}

function readBody(request: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => resolve(Buffer.concat(chunks)));
    request.on('error', reject);
  });
}

function send(
  response: ServerResponse,
  status: number,
  headers: Record<string, string>,
  body: unknown,
  empty = false,
): void {
  const text = empty ? '' : JSON.stringify(body);
  response.writeHead(status, {
    'Content-Type': 'application/json',
    'Content-Length': Buffer.byteLength(text),
    'x-amzn-RequestId': crypto.randomUUID(),
    ...headers,
  });
  response.end(text);
}
