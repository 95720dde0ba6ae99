import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from '@smithy/types';
import { BUNDLE_CONSTANTS } from '../bundle-constants';
import { ConfigurationError } from '../errors';
import type * as SdkProviders from './sdk-credential-providers';

/** How the runtime obtains AWS credentials; the reference connector's provider types. */
export type CredentialsConfig =
  | {
      readonly provider: 'BASIC';
      readonly accessKeyId: string;
      readonly secretAccessKey: string;
      readonly sessionToken?: string;
    }
  | { readonly provider: 'ENV_VAR' }
  | { readonly provider: 'PROFILE'; readonly profileName?: string; readonly profilePath?: string }
  | {
      readonly provider: 'ASSUME_ROLE';
      readonly roleArn: string;
      readonly roleSessionName: string;
      readonly externalId?: string;
      readonly stsEndpoint?: string;
      /** The credentials that assume the role; roles can chain. @default AUTO */
      readonly baseProvider?: CredentialsConfig;
      readonly durationSeconds?: number;
    }
  | {
      readonly provider: 'WEB_IDENTITY_TOKEN';
      /** @default the AWS_ROLE_ARN environment variable */
      readonly roleArn?: string;
      readonly roleSessionName?: string;
      /** @default the AWS_WEB_IDENTITY_TOKEN_FILE environment variable */
      readonly webIdentityTokenFile?: string;
      /** @default the region's STS endpoint */
      readonly stsEndpoint?: string;
    }
  | { readonly provider: 'AUTO' };

export type CredentialsProviderName = CredentialsConfig['provider'];

export const CREDENTIALS_PROVIDERS: readonly CredentialsProviderName[] = [
  'BASIC',
  'ENV_VAR',
  'PROFILE',
  'ASSUME_ROLE',
  'WEB_IDENTITY_TOKEN',
  'AUTO',
];

export interface CredentialsContext {
  /** Region used to sign STS calls for ASSUME_ROLE and WEB_IDENTITY_TOKEN. */
  readonly region?: string;
  /**
   * Request handler for STS calls; tests pass one pointed at a local endpoint.
   */
  readonly stsClientConfig?: Record<string, unknown>;
}

/**
 * Builds a credential provider from its configuration, on `@aws-sdk/credential-providers`.
 * The result is what the SDK clients take as `credentials`; it never logs what it resolves.
 * `AwsClientFactory` gives AUTO clients no provider at all, so that they use the default chain they carry.
 */
export function credentialsProvider(
  config: CredentialsConfig,
  context: CredentialsContext = {},
): AwsCredentialIdentityProvider {
  if (config.provider === 'BASIC') {
    const identity: AwsCredentialIdentity = {
      accessKeyId: config.accessKeyId,
      secretAccessKey: config.secretAccessKey,
      ...(config.sessionToken ? { sessionToken: config.sessionToken } : {}),
    };
    return () => Promise.resolve(identity);
  }
  const { fromEnv, fromIni, fromNodeProviderChain, fromTemporaryCredentials, fromTokenFile } = sdkProviders(
    config.provider,
  );
  switch (config.provider) {
    case 'ENV_VAR':
      return fromEnv();
    case 'PROFILE':
      return fromIni({
        ...(config.profileName ? { profile: config.profileName } : {}),
        ...(config.profilePath ? { filepath: config.profilePath, configFilepath: config.profilePath } : {}),
      });
    case 'ASSUME_ROLE':
      return fromTemporaryCredentials({
        params: {
          RoleArn: config.roleArn,
          RoleSessionName: config.roleSessionName,
          ...(config.externalId ? { ExternalId: config.externalId } : {}),
          ...(config.durationSeconds ? { DurationSeconds: config.durationSeconds } : {}),
        },
        masterCredentials: credentialsProvider(config.baseProvider ?? { provider: 'AUTO' }, context),
        clientConfig: {
          ...(context.region ? { region: context.region } : {}),
          ...(config.stsEndpoint ? { endpoint: config.stsEndpoint } : {}),
          ...context.stsClientConfig,
        },
      });
    case 'WEB_IDENTITY_TOKEN':
      return fromTokenFile({
        ...(config.roleArn ? { roleArn: config.roleArn } : {}),
        ...(config.roleSessionName ? { roleSessionName: config.roleSessionName } : {}),
        ...(config.webIdentityTokenFile ? { webIdentityTokenFile: config.webIdentityTokenFile } : {}),
        clientConfig: {
          ...(context.region ? { region: context.region } : {}),
          ...(config.stsEndpoint ? { endpoint: config.stsEndpoint } : {}),
          ...context.stsClientConfig,
        },
      });
    case 'AUTO':
      return fromNodeProviderChain({
        clientConfig: { ...(context.region ? { region: context.region } : {}), ...context.stsClientConfig },
      });
  }
}

// A require on first use rather than an import: loading the providers costs a cold start several
// milliseconds, which a function on its role's credentials (AUTO) should not pay. A bundle may leave
// them out altogether (see core/bundle-constants.ts); the require must stay inside the guard for that.
function sdkProviders(provider: CredentialsProviderName): typeof SdkProviders {
  if (process.env.CONNECTOR_BUNDLE_CREDENTIAL_PROVIDERS !== 'false') {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- see above
    return require('./sdk-credential-providers') as typeof SdkProviders;
  }
  throw new ConfigurationError(
    `aws.credentials.provider is ${provider}, which needs the SDK's credential providers, but this bundle ` +
      `was built without them (${BUNDLE_CONSTANTS.credentialProviders} defined as "false", as the CDK ` +
      "constructs do: a deployed function takes its role's credentials). Leave aws.credentials unset (AUTO), " +
      'or bundle without that define.',
    'aws.credentials.provider',
  );
}

/** A loggable view of a credentials configuration: the provider and its non-secret fields only. */
export function redactCredentials(config: CredentialsConfig): Record<string, unknown> {
  switch (config.provider) {
    case 'BASIC':
      return { provider: 'BASIC', accessKeyId: maskKeyId(config.accessKeyId), secretAccessKey: '***' };
    case 'ASSUME_ROLE':
      return {
        provider: 'ASSUME_ROLE',
        roleArn: config.roleArn,
        roleSessionName: config.roleSessionName,
        externalId: config.externalId ? '***' : undefined,
        stsEndpoint: config.stsEndpoint,
        baseProvider: redactCredentials(config.baseProvider ?? { provider: 'AUTO' }),
      };
    default:
      return { ...config };
  }
}

function maskKeyId(keyId: string): string {
  return keyId.length <= 4 ? '***' : `${keyId.slice(0, 4)}***`;
}
