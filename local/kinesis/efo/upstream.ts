import { Agent, request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { KinesisServiceError } from './service-error';

export const JSON_CONTENT_TYPE = 'application/x-amz-json-1.1';
export const TARGET_PREFIX = 'Kinesis_20131202.';

/** An HTTP/1.1 answer from the Kinesis behind the front server. */
export interface UpstreamReply {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
}

/**
 * HTTP/1.1 to the Kinesis behind the EFO server (the fault proxy in front of kinesalite): callers'
 * requests forwarded as they came, and the server's own JSON calls for the records it pushes.
 */
export class UpstreamKinesis {
  private readonly url: URL;
  private readonly agent = new Agent({ keepAlive: true });

  constructor(
    endpoint: string,
    private readonly region: string,
  ) {
    this.url = new URL(endpoint);
  }

  /** One of the server's own calls; rejects with the upstream's error as a KinesisServiceError. */
  async call<T>(operation: string, input: Readonly<Record<string, unknown>>): Promise<T> {
    const body = Buffer.from(JSON.stringify(input));
    const reply = await this.send('POST', '/', this.ownHeaders(operation), body);
    const parsed = parseJson(reply.body) as { __type?: string; message?: string; Message?: string };
    if (reply.status !== 200) {
      const code = String(parsed.__type ?? 'InternalFailure').replace(/^.*#/, '');
      throw new KinesisServiceError(
        code,
        parsed.message ?? parsed.Message ?? 'Upstream failure.',
        reply.status,
      );
    }
    return parsed as T;
  }

  /** Forwards a caller's request with its own (signed) headers. */
  forward(method: string, path: string, headers: IncomingHttpHeaders, body: Buffer): Promise<UpstreamReply> {
    const copy: IncomingHttpHeaders = {};
    for (const [name, value] of Object.entries(headers)) {
      // HTTP/2 pseudo-headers and hop-by-hop headers do not cross into HTTP/1.1.
      if (name.startsWith(':') || HOP_BY_HOP.has(name)) continue;
      copy[name] = value;
    }
    copy.host = this.url.host;
    return this.send(method, path, copy, body);
  }

  close(): void {
    this.agent.destroy();
  }

  private ownHeaders(operation: string): IncomingHttpHeaders {
    const date = new Date().toISOString().replace(/[-:]|\.\d{3}/g, '');
    return {
      'content-type': JSON_CONTENT_TYPE,
      'x-amz-target': TARGET_PREFIX + operation,
      'x-amz-date': date,
      // Kinesalite checks that a request is signed, not the signature.
      authorization:
        `AWS4-HMAC-SHA256 Credential=local/${date.slice(0, 8)}/${this.region}/kinesis/aws4_request, ` +
        'SignedHeaders=content-type;host;x-amz-date;x-amz-target, Signature=0',
    };
  }

  private send(
    method: string,
    path: string,
    headers: IncomingHttpHeaders,
    body: Buffer,
  ): Promise<UpstreamReply> {
    return new Promise<UpstreamReply>((resolve, reject) => {
      const upstream = httpRequest(
        {
          protocol: this.url.protocol,
          hostname: this.url.hostname,
          port: this.url.port,
          method,
          path,
          headers: { ...headers, 'content-length': String(body.length) },
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

const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'transfer-encoding',
  'upgrade',
  'http2-settings',
  'host',
]);

function parseJson(body: Buffer): Record<string, unknown> {
  try {
    const parsed: unknown = JSON.parse(body.toString('utf8'));
    return typeof parsed === 'object' && parsed !== null ? (parsed as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}
