import { Agent, request as httpRequest, type IncomingHttpHeaders, type IncomingMessage } from 'node:http';

// What the fault proxy and the kinesalite repairs share: kinesalite's endpoint behind them, and the shape of
// a reply on the wire.

export const JSON_CONTENT_TYPE = 'application/x-amz-json-1.1';
export const TARGET_PREFIX = 'Kinesis_20131202.';

/** One HTTP answer, as received from kinesalite or made up in its place. */
export interface Reply {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
}

export function jsonReply(status: number, body: unknown): Reply {
  return {
    status,
    headers: { 'content-type': JSON_CONTENT_TYPE, 'x-amzn-requestid': crypto.randomUUID() },
    body: Buffer.from(JSON.stringify(body)),
  };
}

/** An AWS JSON error answer; 400 as Kinesis answers a client's mistake. */
export function errorReply(code: string, message: string, status = 400): Reply {
  return jsonReply(status, { __type: code, message });
}

export function parseJson(body: Buffer): unknown {
  try {
    return JSON.parse(body.toString('utf8')) as unknown;
  } catch {
    return {};
  }
}

/** Kinesalite's endpoint, reached over one keep-alive agent. */
export class Upstream {
  private readonly target: URL;
  private readonly agent = new Agent({ keepAlive: true });

  constructor(endpoint: string) {
    this.target = new URL(endpoint);
  }

  /** The caller's request with `body` in place of its own. */
  forward(req: IncomingMessage, body: Buffer): Promise<Reply> {
    return this.send(req.method, req.url, req.headers, body);
  }

  /** A request of our own, signed headers copied from the caller's. */
  call(req: IncomingMessage, operation: string, input: Record<string, unknown>): Promise<Reply> {
    const headers = { ...req.headers, 'x-amz-target': TARGET_PREFIX + operation };
    return this.send(req.method, req.url, headers, Buffer.from(JSON.stringify(input)));
  }

  close(): void {
    this.agent.destroy();
  }

  private send(
    method: string | undefined,
    path: string | undefined,
    requestHeaders: IncomingHttpHeaders,
    body: Buffer,
  ): Promise<Reply> {
    const headers = { ...requestHeaders, 'content-length': String(body.length) };
    delete headers.connection;
    return new Promise<Reply>((resolve, reject) => {
      const upstream = httpRequest(
        {
          protocol: this.target.protocol,
          hostname: this.target.hostname,
          port: this.target.port,
          method,
          path,
          headers,
          agent: this.agent,
        },
        (response) => {
          const chunks: Buffer[] = [];
          response.on('data', (chunk: Buffer) => chunks.push(chunk));
          response.on('end', () =>
            resolve({
              status: response.statusCode ?? 502,
              headers: response.headers,
              body: Buffer.concat(chunks),
            }),
          );
          response.on('error', reject);
        },
      );
      upstream.on('error', reject);
      upstream.end(body);
    });
  }
}
