import { JSON_CONTENT_TYPE, parseJson, TARGET_PREFIX, Upstream } from '../upstream';
import { KinesisServiceError } from './service-error';

/**
 * The Kinesis behind the EFO server (the fault proxy in front of kinesalite): callers' requests are
 * forwarded through the shared upstream; the server's own JSON calls (the reads behind its pushes) are
 * signed as a local client would sign them and answer as typed results or KinesisServiceErrors.
 */
export class UpstreamKinesis extends Upstream {
  constructor(
    endpoint: string,
    private readonly region: string,
  ) {
    super(endpoint);
  }

  /** One of the server's own calls; rejects with the upstream's error as a KinesisServiceError. */
  async json<T>(operation: string, input: Readonly<Record<string, unknown>>): Promise<T> {
    const reply = await this.request(
      'POST',
      '/',
      this.ownHeaders(operation),
      Buffer.from(JSON.stringify(input)),
    );
    const parsed = (parseJson(reply.body) ?? {}) as { __type?: string; message?: string; Message?: string };
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

  private ownHeaders(operation: string): Record<string, string> {
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
}
