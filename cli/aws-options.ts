import { readFile } from 'node:fs/promises';
import type { AwsSettings, ServiceName } from '../functions/core/aws/clients';
import {
  AWS_ENDPOINT_SETTINGS,
  AWS_SETTINGS,
  AWS_UNSUPPORTED,
  readAwsConfig,
} from '../functions/core/config/aws-config';
import {
  CONSUMER_SETTINGS,
  type CheckpointStoreKind,
  type SsmTier,
} from '../functions/core/config/consumer-settings';
import { parseProperties } from '../functions/core/config/properties';
import { TextReader, type TextEntry } from '../functions/core/config/sources';
import { Problems, read, type Setting } from '../functions/core/config/validate';
import { toAwsSettings } from '../functions/core/config';
import { UsageError } from './errors';
import { PROPERTIES_VARIABLE, defaultPropertiesFile } from './local-properties';

/** The options every command takes: where AWS is and how to sign in. */
export interface GlobalOptions {
  readonly region?: string;
  readonly profile?: string;
  readonly endpoint?: string;
  readonly kinesisEndpoint?: string;
  readonly ssmEndpoint?: string;
  readonly sqsEndpoint?: string;
  readonly dynamodbEndpoint?: string;
  /**
   * A Flink-style properties file: aws.* keys, credentials, and the consumer's checkpoint settings.
   * @default - SKC_PROPERTIES, else the local servers' file while `npm start -- --serve` runs
   */
  readonly properties?: string;
}

/** Consumer settings a properties file may carry, which `status` and `reset` use as defaults. */
export interface ConsumerHints {
  readonly streams?: readonly string[];
  readonly ssmPrefix?: string;
  readonly ssmTier?: SsmTier;
  readonly parallelism?: number;
  readonly checkpointStore?: CheckpointStoreKind;
  readonly dynamoDbTable?: string;
  readonly consumerName?: string;
  readonly leaseSettleMillis?: number;
}

export interface ResolvedAws {
  readonly settings: AwsSettings;
  readonly consumer: ConsumerHints;
}

const SERVICES: readonly ServiceName[] = ['kinesis', 'ssm', 'sqs', 'dynamodb', 'lambda'];
const SERVICE_FLAGS: Partial<Record<ServiceName, keyof GlobalOptions>> = {
  kinesis: 'kinesisEndpoint',
  ssm: 'ssmEndpoint',
  sqs: 'sqsEndpoint',
  dynamodb: 'dynamodbEndpoint',
};

/**
 * The SDK retries Kinesis calls the CLI makes (the runtime retries its own); the checkpoint stores and the
 * producer client retry SSM, DynamoDB and SQS themselves.
 */
const MAX_ATTEMPTS: Partial<Record<ServiceName, number>> = { kinesis: 3, ssm: 1, sqs: 1, dynamodb: 1 };

/**
 * Builds the client settings through the configuration module, so the CLI reads credentials exactly as
 * the runtime does. Precedence: command-line flags, then the `--properties` file, then the environment
 * (AWS_REGION, AWS_DEFAULT_REGION, AWS_ENDPOINT_URL, AWS_ENDPOINT_URL_<SERVICE>). Without credentials
 * anywhere the SDK's default chain applies (environment, AWS_PROFILE, SSO, instance roles).
 */
export async function resolveAws(
  options: GlobalOptions,
  env: Readonly<Record<string, string | undefined>>,
): Promise<ResolvedAws> {
  const entries = new Map<string, TextEntry>();
  const set = (key: string, value: string | undefined, name: string) => {
    if (value !== undefined && value !== '') entries.set(key, { value, name });
  };

  set(
    AWS_SETTINGS.region.key,
    env.AWS_REGION ?? env.AWS_DEFAULT_REGION,
    env.AWS_REGION ? 'AWS_REGION' : 'AWS_DEFAULT_REGION',
  );
  set(AWS_SETTINGS.endpoint.key, env.AWS_ENDPOINT_URL, 'AWS_ENDPOINT_URL');
  for (const service of SERVICES) {
    const variable = `AWS_ENDPOINT_URL_${service.toUpperCase()}`;
    set(AWS_ENDPOINT_SETTINGS[service].key, env[variable], variable);
  }

  const propertiesFile = options.properties ?? defaultPropertiesFile(env);
  if (propertiesFile !== undefined) {
    const origin = options.properties !== undefined ? '--properties' : PROPERTIES_VARIABLE;
    let text: string;
    try {
      text = await readFile(propertiesFile, 'utf8');
    } catch (error) {
      throw new UsageError(
        `${origin} ${propertiesFile} cannot be read (${(error as NodeJS.ErrnoException).code ?? String(error)}); ` +
          'give the path of a .properties file.',
      );
    }
    const fromFile = prefixed(propertiesFile, () => parseProperties(text));
    for (const [key, entry] of fromFile) set(key, entry.value, `${key} (${propertiesFile})`);
  }

  set(AWS_SETTINGS.region.key, options.region, '--region');
  set(AWS_SETTINGS.endpoint.key, options.endpoint, '--endpoint');
  for (const [service, flag] of Object.entries(SERVICE_FLAGS)) {
    set(AWS_ENDPOINT_SETTINGS[service as ServiceName].key, options[flag], `--${service}-endpoint`);
  }
  if (options.profile !== undefined) {
    for (const key of [...entries.keys()]) if (key.startsWith('aws.credentials.')) entries.delete(key);
    set('aws.credentials.provider', 'PROFILE', '--profile');
    set('aws.credentials.provider.profile.name', options.profile, '--profile');
  }

  const reader = new TextReader(entries, (key) =>
    key === AWS_SETTINGS.region.key ? `--region (or AWS_REGION, or ${key} in --properties)` : key,
  );
  const problems = new Problems();
  const aws = readAwsConfig(reader, problems);
  const consumer: ConsumerHints = {
    ...opt('streams', readIfSet(CONSUMER_SETTINGS.streams, reader, problems)),
    ...opt('ssmPrefix', readIfSet(CONSUMER_SETTINGS.ssmPrefix, reader, problems)),
    ...opt('ssmTier', readIfSet(CONSUMER_SETTINGS.ssmTier, reader, problems)),
    ...opt('parallelism', readIfSet(CONSUMER_SETTINGS.parallelism, reader, problems)),
    ...opt('checkpointStore', readIfSet(CONSUMER_SETTINGS.checkpointStore, reader, problems)),
    ...opt('dynamoDbTable', readIfSet(CONSUMER_SETTINGS.dynamoDbTable, reader, problems)),
    ...opt('consumerName', readIfSet(CONSUMER_SETTINGS.consumerName, reader, problems)),
    ...opt('leaseSettleMillis', readIfSet(CONSUMER_SETTINGS.leaseSettleMillis, reader, problems)),
  };
  // The file may be the consumer's or the producer's, so only a misspelt AWS key is an error here.
  for (const [key, entry] of reader.unconsumed()) {
    if (!key.startsWith('aws.') || key.startsWith('aws.producer.')) continue;
    if (AWS_UNSUPPORTED.some((u) => u.key === key)) continue;
    problems.add(
      key,
      `Unknown key ${entry.name}: it is not an AWS setting (docs/configuration.md lists them).`,
    );
  }
  problems.throwIfAny('AWS');
  return { settings: { ...toAwsSettings(aws), maxAttempts: MAX_ATTEMPTS }, consumer };
}

function prefixed<T>(file: string, parse: () => T): T {
  try {
    return parse();
  } catch (error) {
    throw new UsageError(`In --properties ${file}: ${(error as Error).message}`);
  }
}

/** Reads a setting only when it is given: a default here would hide the CLI's own defaults. */
function readIfSet<T>(spec: Setting<T>, reader: TextReader, problems: Problems): T | undefined {
  if (reader.get(spec.key) === undefined) return undefined;
  const optional: Setting<T> = { ...spec, required: false };
  return read(optional, reader, problems);
}

function opt<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}
