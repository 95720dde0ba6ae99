import { Agent, request as httpRequest, type IncomingHttpHeaders } from 'node:http';

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

/** What a forwarded request needs of the caller's: an HTTP/1.1 or an HTTP/2 server request. */
export interface IncomingCall {
  readonly method?: string | undefined;
  readonly url?: string | undefined;
  readonly headers: IncomingHttpHeaders;
}

/** HTTP/2 pseudo-headers and hop-by-hop headers, which do not cross into the upstream's HTTP/1.1. */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'upgrade', 'http2-settings']);

/** A Kinesis endpoint behind a local server (kinesalite, or the fault proxy), reached over one keep-alive agent. */
export class Upstream {
  private readonly target: URL;
  private readonly agent = new Agent({ keepAlive: true });

  constructor(endpoint: string) {
    this.target = new URL(endpoint);
  }

  /** The caller's request with `body` in place of its own. */
  forward(req: IncomingCall, body: Buffer): Promise<Reply> {
    const headers: IncomingHttpHeaders = {};
    for (const [name, value] of Object.entries(req.headers)) {
      if (!name.startsWith(':') && !HOP_BY_HOP.has(name)) headers[name] = value;
    }
    return this.request(req.method, req.url, headers, body);
  }

  /** A request of our own, signed headers copied from the caller's. */
  call(req: IncomingCall, operation: string, input: Record<string, unknown>): Promise<Reply> {
    const headers = { ...req.headers, 'x-amz-target': TARGET_PREFIX + operation };
    return this.forward({ method: req.method, url: req.url, headers }, Buffer.from(JSON.stringify(input)));
  }

  close(): void {
    this.agent.destroy();
  }

  /** One HTTP/1.1 request, its headers as given (the host is the upstream's when none is given). */
  request(
    method: string | undefined,
    path: string | undefined,
    requestHeaders: IncomingHttpHeaders,
    body: Buffer,
  ): Promise<Reply> {
    const headers = { ...requestHeaders, 'content-length': String(body.length) };
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
