import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { closeServer, listenOnLoopback } from '../../local/shared/node-server';

/** What the canned server answers, with the headers of AWS's JSON protocol. */
export interface CannedAnswer {
  readonly status: number;
  readonly body: string | Buffer;
  /** Never answer: the request stays open until the server closes. */
  readonly hold?: boolean;
  readonly headers?: Record<string, string>;
}

export interface ReceivedRequest {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingMessage['headers'];
  readonly body: Buffer;
}

/**
 * A local HTTP server that answers every request with the answer the test sets, as an AWS JSON service
 * would, and keeps every request it received: for tests of a client's requests and of its parsing of
 * responses chosen byte for byte.
 */
export class CannedServer {
  answer: CannedAnswer = { status: 200, body: '{}' };
  readonly received: ReceivedRequest[] = [];
  private readonly held: ServerResponse[] = [];
  private readonly server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      this.received.push({
        method: request.method ?? '',
        url: request.url ?? '',
        headers: request.headers,
        body: Buffer.concat(chunks),
      });
      const answer = this.answer;
      if (answer.hold) {
        this.held.push(response);
        return;
      }
      response.writeHead(answer.status, {
        'content-type': 'application/x-amz-json-1.1',
        'x-amzn-requestid': 'test-request',
        ...answer.headers,
      });
      response.end(answer.body);
    });
  });

  /** Listens on a free loopback port; resolves to the endpoint. */
  start(): Promise<string> {
    return listenOnLoopback(this.server);
  }

  /** The body of the last request received. */
  get lastBody(): Buffer {
    return this.received.at(-1)?.body ?? Buffer.alloc(0);
  }

  async close(): Promise<void> {
    for (const response of this.held) response.destroy();
    await closeServer(this.server);
  }
}
