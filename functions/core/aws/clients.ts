import { NodeHttp2Handler, NodeHttpHandler } from '@smithy/node-http-handler';
import type { AwsCredentialIdentityProvider } from '@smithy/types';
import { credentialsProvider, type CredentialsConfig } from './credentials';
import { AWS_DEFAULTS } from '../config/aws-settings';
import { KinesisCborReadProtocol, KinesisReadProtocol } from './kinesis-protocol';

/** Where and how the runtime talks to AWS. */
export interface AwsSettings {
  readonly region: string;
  /**
   * Overrides every service's endpoint (for kinesalite and the local servers); the region still signs.
   * Per-service endpoints in `endpoints` win over this.
   */
  readonly endpoint?: string;
  readonly endpoints?: Partial<Record<ServiceName, string>>;
  /** @default { provider: 'AUTO' } */
  readonly credentials?: CredentialsConfig;
  /** TCP connect timeout. @default 5000 */
  readonly connectionTimeoutMillis?: number;
  /** Time a request may take before it fails with a TimeoutError (retryable). @default 30000 */
  readonly requestTimeoutMillis?: number;
  /**
   * Attempts the SDK makes on its own. The runtime retries Kinesis itself (per API family, with the
   * reference connector's backoff), so Kinesis gets 1 attempt; other services keep the SDK's default.
   * @default { kinesis: 1 }
   */
  readonly maxAttempts?: Partial<Record<ServiceName, number>>;
  /**
   * GetRecords in Kinesis's CBOR protocol (`KinesisCborReadProtocol`) rather than JSON
   * (`KinesisReadProtocol`). @default true
   */
  readonly kinesisCbor?: boolean;
}

export type ServiceName = 'kinesis' | 'ssm' | 'sqs' | 'dynamodb' | 'lambda';

type SdkClientConfig = {
  region: string;
  /** Absent for AUTO: the client resolves its own default chain. */
  credentials?: AwsCredentialIdentityProvider;
  endpoint?: string;
  maxAttempts?: number;
  requestHandler: NodeHttpHandler | NodeHttp2Handler;
  /** Kinesis only: the SDK's protocol with the faster GetRecords parser (see kinesis-protocol.ts). */
  protocol?: typeof KinesisReadProtocol;
};

const DEFAULT_MAX_ATTEMPTS: Partial<Record<ServiceName, number>> = { kinesis: 1 };

/**
 * The one place SDK clients are made. Create one per process (module scope in a Lambda handler) and
 * pass the clients down; nothing else constructs them. Client classes are passed in rather than
 * imported here so that each Lambda bundle carries only the clients it uses.
 *
 * ```ts
 * const aws = new AwsClientFactory({ region: 'eu-west-1' });
 * const kinesis = aws.client('kinesis', KinesisClient);
 * ```
 */
export class AwsClientFactory {
  private readonly credentials: AwsCredentialIdentityProvider | undefined;
  private readonly created = new Map<ServiceName | `${ServiceName}:http2`, { destroy(): void }>();

  constructor(readonly settings: AwsSettings) {
    const credentials = settings.credentials ?? { provider: 'AUTO' };
    // AUTO is the SDK's default chain, which every client carries and resolves on its own; building
    // it here as well would load @aws-sdk/credential-providers at every cold start for nothing.
    this.credentials =
      credentials.provider === 'AUTO'
        ? undefined
        : credentialsProvider(credentials, { region: settings.region });
  }

  /** The client for `service`, made on first use with this factory's settings and then reused. */
  client<T extends { destroy(): void }>(service: ServiceName, Client: new (config: SdkClientConfig) => T): T {
    let client = this.created.get(service) as T | undefined;
    if (!client) {
      client = new Client(this.config(service));
      this.created.set(service, client);
    }
    return client;
  }

  /**
   * A second client for `service` on the SDK's HTTP/2 handler (its default on AWS), for the operations
   * that need HTTP/2: Kinesis's SubscribeToShard. Each event stream gets a session of its own.
   */
  http2Client<T extends { destroy(): void }>(
    service: ServiceName,
    Client: new (config: SdkClientConfig) => T,
  ): T {
    const key = `${service}:http2` as const;
    let client = this.created.get(key) as T | undefined;
    if (!client) {
      // The SDK's own protocol: the GetRecords fast path has no part in event streams.
      const { protocol: _protocol, ...config } = this.config(service);
      client = new Client({
        ...config,
        requestHandler: new NodeHttp2Handler({
          requestTimeout: this.settings.requestTimeoutMillis ?? AWS_DEFAULTS.requestTimeoutMillis,
          disableConcurrentStreams: true,
        }),
      });
      this.created.set(key, client);
    }
    return client;
  }

  /** The configuration a client for `service` is built with. */
  config(service: ServiceName): SdkClientConfig {
    const endpoint = this.settings.endpoints?.[service] ?? this.settings.endpoint;
    const maxAttempts = this.settings.maxAttempts?.[service] ?? DEFAULT_MAX_ATTEMPTS[service];
    return {
      region: this.settings.region,
      ...(this.credentials ? { credentials: this.credentials } : {}),
      ...(endpoint ? { endpoint } : {}),
      ...(maxAttempts !== undefined ? { maxAttempts } : {}),
      ...(service === 'kinesis'
        ? {
            protocol:
              (this.settings.kinesisCbor ?? AWS_DEFAULTS.kinesisCbor)
                ? KinesisCborReadProtocol
                : KinesisReadProtocol,
          }
        : {}),
      // HTTP/1.1 everywhere: kinesalite and our local servers do not speak HTTP/2 (the SDK's HTTP/2
      // handler fails against kinesalite), and on AWS the Node handler is the default for these services.
      requestHandler: new NodeHttpHandler({
        connectionTimeout: this.settings.connectionTimeoutMillis ?? AWS_DEFAULTS.connectionTimeoutMillis,
        requestTimeout: this.settings.requestTimeoutMillis ?? AWS_DEFAULTS.requestTimeoutMillis,
        // Without this the handler only warns when the timeout passes; we want the call to fail so
        // our retry policy (or the caller's deadline) takes over.
        throwOnRequestTimeout: true,
      }),
    };
  }

  /** Closes every client this factory made. */
  destroy(): void {
    for (const client of this.created.values()) client.destroy();
    this.created.clear();
  }
}
