import { inspect } from 'node:util';
import type { AwsSettings, ServiceName } from '../aws/clients';
import { AWS_DEFAULTS } from './aws-settings';
import {
  CREDENTIALS_PROVIDERS,
  redactCredentials,
  type CredentialsConfig,
  type CredentialsProviderName,
} from '../aws/credentials';
import {
  boolean,
  integer,
  invalidMessage,
  nonEmpty,
  read,
  regionName,
  setting,
  text,
  url,
  type Kind,
  type Problems,
  type Reader,
  type Setting,
} from './validate';

/** Where and how the runtime talks to AWS, validated and with every default filled in. */
export interface AwsConfig {
  readonly region: string;
  /** Overrides every service's endpoint; the region still signs. */
  readonly endpoint?: string;
  /** Per-service endpoints, winning over `endpoint` (local mode points each service at its stand-in). */
  readonly endpoints: Readonly<Partial<Record<ServiceName, string>>>;
  readonly credentials: CredentialsConfig;
  readonly connectionTimeoutMillis: number;
  readonly requestTimeoutMillis: number;
  /** GetRecords in Kinesis's CBOR protocol rather than JSON. */
  readonly kinesisCbor: boolean;
}

/** `AwsConfig` as typed options: every field optional here, `region` required at load. */
export interface AwsOptions {
  /** Required. */
  readonly region?: string;
  readonly endpoint?: string;
  readonly endpoints?: Partial<Record<ServiceName, string>>;
  /** @default { provider: 'AUTO' }, or BASIC when both keys are given as properties */
  readonly credentials?: CredentialsConfig;
  /** @default 5000 */
  readonly connectionTimeoutMillis?: number;
  /** @default 30000 */
  readonly requestTimeoutMillis?: number;
  /** GetRecords in Kinesis's CBOR protocol rather than JSON. @default true */
  readonly kinesisCbor?: boolean;
}

export { AWS_DEFAULTS };

const SERVICES: readonly ServiceName[] = ['kinesis', 'ssm', 'sqs', 'dynamodb', 'lambda'];

/** The AWS settings shared by the consumer and the producer. */
export const AWS_SETTINGS = {
  region: setting({
    key: 'aws.region',
    path: ['aws', 'region'],
    kind: regionName,
    required: true,
    description:
      'the region of the streams, which signs requests even with aws.endpoint; from the environment, AWS_REGION by default',
  }),
  endpoint: setting({
    key: 'aws.endpoint',
    path: ['aws', 'endpoint'],
    kind: url,
    defaultText: "- the region's endpoints",
    description: "overrides every service's endpoint (kinesalite, a VPC endpoint); the region still signs",
  }),
  connectionTimeoutMillis: setting({
    key: 'aws.http-client.connection-timeout',
    path: ['aws', 'connectionTimeoutMillis'],
    kind: integer(1, 300000, 'milliseconds'),
    default: AWS_DEFAULTS.connectionTimeoutMillis,
    description: 'TCP connect timeout in milliseconds (an extension)',
  }),
  requestTimeoutMillis: setting({
    key: 'aws.http-client.read-timeout',
    path: ['aws', 'requestTimeoutMillis'],
    kind: integer(1, 900000, 'milliseconds'),
    default: AWS_DEFAULTS.requestTimeoutMillis,
    description: 'socket idle timeout of one request in milliseconds',
  }),
  kinesisCbor: setting({
    key: 'aws.kinesis.cbor',
    path: ['aws', 'kinesisCbor'],
    kind: boolean,
    default: AWS_DEFAULTS.kinesisCbor,
    description:
      "GetRecords in Kinesis's CBOR protocol, as the AWS SDK for Java reads Kinesis: record data travel as raw " +
      'bytes, not base64 in JSON, which cuts the CPU per record read; false for the JSON protocol (an extension)',
  }),
};

/** One endpoint setting per service: `aws.endpoint.kinesis` and so on (an extension for local mode). */
export const AWS_ENDPOINT_SETTINGS = Object.fromEntries(
  SERVICES.map((service) => [
    service,
    setting({
      key: `aws.endpoint.${service}`,
      path: ['aws', 'endpoints', service],
      kind: url,
      defaultText: '- aws.endpoint',
      description: `the ${service} endpoint alone, winning over aws.endpoint (an extension for local mode)`,
    }),
  ]),
) as Record<ServiceName, Setting<string>>;

/** Reference-connector AWS keys with no effect here, and why. */
export const AWS_UNSUPPORTED = [
  {
    key: 'aws.trust.all.certificates',
    accepted: ['false'],
    reason: 'turns off TLS certificate checks, which this connector never does; remove it.',
  },
  {
    key: 'aws.http.protocol.version',
    accepted: ['HTTP1_1'],
    reason: 'has no effect: the runtime speaks HTTP/1.1 to every service; remove it or set it to HTTP1_1.',
  },
  {
    key: 'aws.http-client.max-concurrency',
    reason: 'has no equivalent here (ThreadPoolSize bounds concurrent producer requests); remove it.',
  },
] as const;

// ---- credentials ----

/** The property key of the credentials provider; nested role providers add `.role.provider`. */
export const CREDENTIALS_KEY = 'aws.credentials.provider';
const NESTED_SUFFIX = '.role.provider';

interface CredentialField {
  readonly suffix: string;
  readonly field: string;
  readonly kind: Kind<string> | Kind<number>;
  readonly providers: readonly CredentialsProviderName[];
  readonly requiredBy?: readonly CredentialsProviderName[];
  readonly secret?: boolean;
  readonly description: string;
}

/** Every credentials key below a provider key, with the typed field it fills. */
export const CREDENTIAL_FIELDS: readonly CredentialField[] = [
  {
    suffix: '.basic.accesskeyid',
    field: 'accessKeyId',
    kind: nonEmpty,
    providers: ['BASIC'],
    requiredBy: ['BASIC'],
    secret: true,
    description: 'the access key id for BASIC',
  },
  {
    suffix: '.basic.secretkey',
    field: 'secretAccessKey',
    kind: nonEmpty,
    providers: ['BASIC'],
    requiredBy: ['BASIC'],
    secret: true,
    description: 'the secret access key for BASIC',
  },
  {
    suffix: '.basic.sessiontoken',
    field: 'sessionToken',
    kind: nonEmpty,
    providers: ['BASIC'],
    secret: true,
    description: 'a session token for temporary BASIC keys (an extension)',
  },
  {
    suffix: '.profile.path',
    field: 'profilePath',
    kind: nonEmpty,
    providers: ['PROFILE'],
    description: 'the shared credentials file for PROFILE (default ~/.aws/credentials)',
  },
  {
    suffix: '.profile.name',
    field: 'profileName',
    kind: text('a profile name without spaces', /^\S+$/),
    providers: ['PROFILE'],
    description: 'the profile for PROFILE (default: AWS_PROFILE, else "default")',
  },
  {
    suffix: '.role.arn',
    field: 'roleArn',
    kind: text(
      'an IAM role ARN such as arn:aws:iam::123456789012:role/reader',
      /^arn:aws[a-z-]*:iam::\d{12}:role\/\S+$/,
    ),
    providers: ['ASSUME_ROLE', 'WEB_IDENTITY_TOKEN'],
    requiredBy: ['ASSUME_ROLE'],
    description: 'the role to assume (WEB_IDENTITY_TOKEN default: AWS_ROLE_ARN)',
  },
  {
    suffix: '.role.sessionName',
    field: 'roleSessionName',
    kind: text('2 to 64 letters, digits or any of _+=,.@-', /^[\w+=,.@-]+$/, 2, 64),
    providers: ['ASSUME_ROLE', 'WEB_IDENTITY_TOKEN'],
    requiredBy: ['ASSUME_ROLE'],
    description: 'the role session name, seen in CloudTrail',
  },
  {
    suffix: '.role.externalId',
    field: 'externalId',
    kind: text('2 to 1224 letters, digits or any of _+=,.@:/-', /^[\w+=,.@:/-]+$/, 2, 1224),
    providers: ['ASSUME_ROLE'],
    secret: true,
    description: "the external id the role's trust policy requires",
  },
  {
    suffix: '.role.stsEndpoint',
    field: 'stsEndpoint',
    kind: url,
    providers: ['ASSUME_ROLE', 'WEB_IDENTITY_TOKEN'],
    description: "the STS endpoint (default: the region's)",
  },
  {
    suffix: '.role.durationSeconds',
    field: 'durationSeconds',
    kind: integer(900, 43200, 'seconds'),
    providers: ['ASSUME_ROLE'],
    description: 'how long assumed-role credentials last (an extension; default 3600)',
  },
  {
    suffix: '.webIdentityToken.file',
    field: 'webIdentityTokenFile',
    kind: nonEmpty,
    providers: ['WEB_IDENTITY_TOKEN'],
    description: 'the token file (default: AWS_WEB_IDENTITY_TOKEN_FILE)',
  },
];

const PROVIDER_KIND = text(`one of ${CREDENTIALS_PROVIDERS.join(', ')}`, /^[A-Z_]+$/);

/** Every credentials key down to `depth` nested role providers, for env names and suggestions. */
export function credentialKeys(depth: number): string[] {
  const keys: string[] = [];
  for (let d = 0; d <= depth; d++) {
    const prefix = CREDENTIALS_KEY + NESTED_SUFFIX.repeat(d);
    keys.push(prefix, ...CREDENTIAL_FIELDS.map((f) => prefix + f.suffix));
  }
  return keys;
}

/** Whether a typed-options path is a credentials field: aws.credentials(.baseProvider)*.<field>. */
export function isCredentialPath(path: readonly string[]): 'leaf' | 'branch' | false {
  if (path[0] !== 'aws' || path[1] !== 'credentials') return false;
  let i = 2;
  while (path[i] === 'baseProvider') i++;
  if (i === path.length) return 'branch';
  if (i !== path.length - 1) return false;
  const last = path[i] as string;
  return last === 'provider' || CREDENTIAL_FIELDS.some((f) => f.field === last) ? 'leaf' : false;
}

/**
 * Reads credentials as the reference connector does: the provider at `aws.credentials.provider`, its
 * fields below it, and for ASSUME_ROLE the provider that assumes the role at `.role.provider`,
 * recursively. Unset means BASIC when both keys are given and AUTO otherwise. A field the chosen
 * provider does not use is reported, not ignored.
 */
export function readCredentials(reader: Reader, problems: Problems, depth = 0): CredentialsConfig {
  const prefix = CREDENTIALS_KEY + NESTED_SUFFIX.repeat(depth);
  const basePath = ['aws', 'credentials', ...Array<string>(depth).fill('baseProvider')];
  const providerName = reader.nameOf(prefix, [...basePath, 'provider']);
  const nameOf = (f: CredentialField) => reader.nameOf(prefix + f.suffix, [...basePath, f.field]);

  const raws = new Map(
    CREDENTIAL_FIELDS.map((f) => [f, reader.get(prefix + f.suffix, [...basePath, f.field])]),
  );
  const rawProvider = reader.get(prefix, [...basePath, 'provider']);

  let provider: CredentialsProviderName;
  if (rawProvider) {
    const parsed = PROVIDER_KIND.parse(rawProvider.value, rawProvider.fromText);
    if (parsed === 'SYS_PROP') {
      problems.add(
        prefix,
        `${rawProvider.name} is SYS_PROP, which reads Java system properties; Node.js has none. ` +
          'Use ENV_VAR (AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY) or AUTO instead.',
      );
      return { provider: 'AUTO' };
    }
    if (parsed === 'CUSTOM') {
      problems.add(
        prefix,
        `${rawProvider.name} is CUSTOM, which loads a Java class; use one of ${CREDENTIALS_PROVIDERS.join(', ')}.`,
      );
      reader.consumeUnder(`${prefix}.custom`);
      return { provider: 'AUTO' };
    }
    if (parsed === undefined || !(CREDENTIALS_PROVIDERS as readonly string[]).includes(parsed)) {
      problems.add(prefix, invalidMessage(rawProvider.name, PROVIDER_KIND.allowed, rawProvider.value));
      return { provider: 'AUTO' };
    }
    provider = parsed as CredentialsProviderName;
  } else {
    const [keyId, secret] = CREDENTIAL_FIELDS.slice(0, 2) as [CredentialField, CredentialField];
    const hasKeyId = raws.get(keyId) !== undefined;
    const hasSecret = raws.get(secret) !== undefined;
    if (hasKeyId !== hasSecret) {
      const [set, missing] = hasKeyId ? [keyId, secret] : [secret, keyId];
      problems.add(
        prefix + missing.suffix,
        `${nameOf(set)} is set without ${nameOf(missing)}: set both for BASIC credentials, ` +
          `or neither to use the default chain (AUTO).`,
      );
      return { provider: 'AUTO' };
    }
    provider = hasKeyId ? 'BASIC' : 'AUTO';
  }

  const values: Record<string, string | number> = {};
  for (const field of CREDENTIAL_FIELDS) {
    const raw = raws.get(field);
    if (raw === undefined) {
      if (field.requiredBy?.includes(provider)) {
        problems.add(
          prefix + field.suffix,
          `${nameOf(field)} is required when ${providerName} is ${provider}; set it to ${field.kind.allowed}.`,
        );
      }
      continue;
    }
    if (!field.providers.includes(provider)) {
      problems.add(
        prefix + field.suffix,
        `${raw.name} is not used when ${providerName} is ${provider}; remove it, ` +
          `or set ${providerName} to ${field.providers.join(' or ')}.`,
      );
      continue;
    }
    const parsed = field.kind.parse(raw.value, raw.fromText);
    if (parsed === undefined) {
      problems.add(
        prefix + field.suffix,
        invalidMessage(raw.name, field.kind.allowed, raw.value, field.secret),
      );
    } else {
      values[field.field] = parsed;
    }
  }

  const nestedKey = prefix + NESTED_SUFFIX;
  const nestedPath = [...basePath, 'baseProvider'];
  let baseProvider: CredentialsConfig | undefined;
  if (reader.has(nestedKey, nestedPath)) {
    if (provider === 'ASSUME_ROLE') {
      baseProvider = readCredentials(reader, problems, depth + 1);
    } else {
      problems.add(
        nestedKey,
        `${reader.nameOf(nestedKey, nestedPath)} (and the keys below it) is only used when ${providerName} is ASSUME_ROLE; ` +
          `${providerName} is ${provider}.`,
      );
      reader.consumeUnder(nestedKey);
    }
  }

  const config = {
    provider,
    ...values,
    ...(provider === 'ASSUME_ROLE' ? { baseProvider: baseProvider ?? { provider: 'AUTO' } } : {}),
  } as CredentialsConfig;
  return guardSecrets(config);
}

/**
 * Makes `JSON.stringify` and `console.log`/`util.inspect` of a credentials object print its redacted
 * form, so logging a whole configuration never writes a secret. The fields themselves stay readable.
 */
export function guardSecrets<T extends CredentialsConfig>(config: T): T {
  const redacted = () => redactCredentials(config);
  Object.defineProperty(config, 'toJSON', { value: redacted, enumerable: false });
  Object.defineProperty(config, inspect.custom, { value: redacted, enumerable: false });
  return config;
}

/** Reads every AWS setting and the credentials. */
export function readAwsConfig(reader: Reader, problems: Problems): AwsConfig {
  const endpoints: Partial<Record<ServiceName, string>> = {};
  for (const service of SERVICES) {
    const value = read(AWS_ENDPOINT_SETTINGS[service], reader, problems);
    if (value !== undefined) endpoints[service] = value;
  }
  const endpoint = read(AWS_SETTINGS.endpoint, reader, problems);
  return {
    region: read(AWS_SETTINGS.region, reader, problems) ?? '',
    ...(endpoint !== undefined ? { endpoint } : {}),
    endpoints,
    credentials: readCredentials(
      reader.exclusive?.(CREDENTIALS_KEY, ['aws', 'credentials']) ?? reader,
      problems,
    ),
    connectionTimeoutMillis: read(AWS_SETTINGS.connectionTimeoutMillis, reader, problems),
    requestTimeoutMillis: read(AWS_SETTINGS.requestTimeoutMillis, reader, problems),
    kinesisCbor: read(AWS_SETTINGS.kinesisCbor, reader, problems),
  };
}

/** The client factory's settings for a loaded configuration: `new AwsClientFactory(toAwsSettings(config.aws))`. */
export function toAwsSettings(aws: AwsConfig): AwsSettings {
  return {
    region: aws.region,
    ...(aws.endpoint !== undefined ? { endpoint: aws.endpoint } : {}),
    ...(Object.keys(aws.endpoints).length > 0 ? { endpoints: aws.endpoints } : {}),
    credentials: aws.credentials,
    connectionTimeoutMillis: aws.connectionTimeoutMillis,
    requestTimeoutMillis: aws.requestTimeoutMillis,
    kinesisCbor: aws.kinesisCbor,
  };
}

/** A loggable copy of a loaded configuration, with its credentials redacted. */
export function redactConfig<T extends { readonly aws: AwsConfig }>(
  config: T,
): Omit<T, 'aws'> & {
  aws: Omit<AwsConfig, 'credentials'> & { credentials: Record<string, unknown> };
} {
  return { ...config, aws: { ...config.aws, credentials: redactCredentials(config.aws.credentials) } };
}
