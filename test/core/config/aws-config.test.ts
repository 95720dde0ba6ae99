import { inspect } from 'node:util';
import { AwsClientFactory } from '../../../functions/core/aws/clients';
import { redactCredentials } from '../../../functions/core/aws/credentials';
import { KinesisReadProtocol } from '../../../functions/core/aws/kinesis-protocol';
import {
  consumerConfig,
  consumerConfigFromEnv,
  consumerConfigFromProperties,
  producerConfigFromProperties,
  redactConfig,
  toAwsSettings,
} from '../../../functions/core/config';
import { problemsOf } from '../../support/config-errors';

const BASE = { 'aws.region': 'us-east-1', streams: 'orders' };
const P = 'aws.credentials.provider';
const ROLE_A = 'arn:aws:iam::111111111111:role/reader';
const ROLE_B = 'arn:aws:iam::222222222222:role/cross-account';

function credentialsOf(extra: Record<string, string>) {
  return consumerConfigFromProperties({ ...BASE, ...extra }).aws.credentials;
}

describe('credentials from the reference keys', () => {
  it('defaults to AUTO with no keys, and to BASIC when both keys are given', () => {
    expect(credentialsOf({})).toEqual({ provider: 'AUTO' });
    expect(
      credentialsOf({ [`${P}.basic.accesskeyid`]: 'AKIDEXAMPLE', [`${P}.basic.secretkey`]: 's3cr3t' }),
    ).toEqual({
      provider: 'BASIC',
      accessKeyId: 'AKIDEXAMPLE',
      secretAccessKey: 's3cr3t',
    });
  });

  it('reads each provider with its own keys', () => {
    expect(credentialsOf({ [P]: 'ENV_VAR' })).toEqual({ provider: 'ENV_VAR' });
    expect(credentialsOf({ [P]: 'AUTO' })).toEqual({ provider: 'AUTO' });
    expect(
      credentialsOf({
        [P]: 'PROFILE',
        [`${P}.profile.path`]: '/etc/aws/credentials',
        [`${P}.profile.name`]: 'ops',
      }),
    ).toEqual({ provider: 'PROFILE', profilePath: '/etc/aws/credentials', profileName: 'ops' });
    expect(
      credentialsOf({
        [P]: 'WEB_IDENTITY_TOKEN',
        [`${P}.role.arn`]: ROLE_A,
        [`${P}.role.sessionName`]: 'web',
        [`${P}.webIdentityToken.file`]: '/var/run/token',
        [`${P}.role.stsEndpoint`]: 'https://sts.eu-west-1.amazonaws.com',
      }),
    ).toEqual({
      provider: 'WEB_IDENTITY_TOKEN',
      roleArn: ROLE_A,
      roleSessionName: 'web',
      webIdentityTokenFile: '/var/run/token',
      stsEndpoint: 'https://sts.eu-west-1.amazonaws.com',
    });
  });

  it('reads ASSUME_ROLE with its base provider nested under role.provider, recursively', () => {
    const credentials = credentialsOf({
      [P]: 'ASSUME_ROLE',
      [`${P}.role.arn`]: ROLE_B,
      [`${P}.role.sessionName`]: 'outer',
      [`${P}.role.externalId`]: 'ext-123',
      [`${P}.role.stsEndpoint`]: 'http://127.0.0.1:9000',
      [`${P}.role.durationSeconds`]: '900',
      [`${P}.role.provider`]: 'ASSUME_ROLE',
      [`${P}.role.provider.role.arn`]: ROLE_A,
      [`${P}.role.provider.role.sessionName`]: 'inner',
      [`${P}.role.provider.role.provider.basic.accesskeyid`]: 'AKIDBASE',
      [`${P}.role.provider.role.provider.basic.secretkey`]: 'base-secret',
    });
    expect(credentials).toEqual({
      provider: 'ASSUME_ROLE',
      roleArn: ROLE_B,
      roleSessionName: 'outer',
      externalId: 'ext-123',
      stsEndpoint: 'http://127.0.0.1:9000',
      durationSeconds: 900,
      baseProvider: {
        provider: 'ASSUME_ROLE',
        roleArn: ROLE_A,
        roleSessionName: 'inner',
        baseProvider: { provider: 'BASIC', accessKeyId: 'AKIDBASE', secretAccessKey: 'base-secret' },
      },
    });
  });

  it('gives ASSUME_ROLE an AUTO base provider when none is configured', () => {
    expect(
      credentialsOf({ [P]: 'ASSUME_ROLE', [`${P}.role.arn`]: ROLE_A, [`${P}.role.sessionName`]: 'x1' }),
    ).toMatchObject({ baseProvider: { provider: 'AUTO' } });
  });

  it('reads nested credentials from SKC_ variables', () => {
    const config = consumerConfigFromEnv({
      AWS_REGION: 'us-east-1',
      SKC_STREAMS: 'orders',
      SKC_AWS_CREDENTIALS_PROVIDER: 'ASSUME_ROLE',
      SKC_AWS_CREDENTIALS_PROVIDER_ROLE_ARN: ROLE_B,
      SKC_AWS_CREDENTIALS_PROVIDER_ROLE_SESSION_NAME: 'outer',
      SKC_AWS_CREDENTIALS_PROVIDER_ROLE_PROVIDER: 'ASSUME_ROLE',
      SKC_AWS_CREDENTIALS_PROVIDER_ROLE_PROVIDER_ROLE_ARN: ROLE_A,
      SKC_AWS_CREDENTIALS_PROVIDER_ROLE_PROVIDER_ROLE_SESSION_NAME: 'inner',
      SKC_AWS_CREDENTIALS_PROVIDER_ROLE_PROVIDER_ROLE_PROVIDER: 'ENV_VAR',
    });
    expect(config.aws.credentials).toEqual({
      provider: 'ASSUME_ROLE',
      roleArn: ROLE_B,
      roleSessionName: 'outer',
      baseProvider: {
        provider: 'ASSUME_ROLE',
        roleArn: ROLE_A,
        roleSessionName: 'inner',
        baseProvider: { provider: 'ENV_VAR' },
      },
    });
  });
});

describe('credentials validation messages', () => {
  it.each<[Record<string, string>, string[]]>([
    [
      { [P]: 'SYS_PROP' },
      [
        'aws.credentials.provider is SYS_PROP, which reads Java system properties; Node.js has none. Use ENV_VAR ' +
          '(AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY) or AUTO instead.',
      ],
    ],
    [
      { [P]: 'CUSTOM', [`${P}.custom.class`]: 'com.example.Provider' },
      [
        'aws.credentials.provider is CUSTOM, which loads a Java class; use one of BASIC, ENV_VAR, PROFILE, ' +
          'ASSUME_ROLE, WEB_IDENTITY_TOKEN, AUTO.',
      ],
    ],
    [
      { [P]: 'basic' },
      [
        'aws.credentials.provider must be one of BASIC, ENV_VAR, PROFILE, ASSUME_ROLE, WEB_IDENTITY_TOKEN, AUTO; ' +
          'got "basic".',
      ],
    ],
    [
      { [`${P}.basic.accesskeyid`]: 'AKIDEXAMPLE' },
      [
        'aws.credentials.provider.basic.accesskeyid is set without aws.credentials.provider.basic.secretkey: set ' +
          'both for BASIC credentials, or neither to use the default chain (AUTO).',
      ],
    ],
    [
      { [P]: 'BASIC' },
      [
        'aws.credentials.provider.basic.accesskeyid is required when aws.credentials.provider is BASIC; set it to a non-empty string.',
        'aws.credentials.provider.basic.secretkey is required when aws.credentials.provider is BASIC; set it to a non-empty string.',
      ],
    ],
    [
      { [P]: 'ENV_VAR', [`${P}.basic.accesskeyid`]: 'AKIDEXAMPLE', [`${P}.basic.secretkey`]: 'not-shown' },
      [
        'aws.credentials.provider.basic.accesskeyid is not used when aws.credentials.provider is ENV_VAR; remove ' +
          'it, or set aws.credentials.provider to BASIC.',
        'aws.credentials.provider.basic.secretkey is not used when aws.credentials.provider is ENV_VAR; remove it, ' +
          'or set aws.credentials.provider to BASIC.',
      ],
    ],
    [
      { [`${P}.role.arn`]: ROLE_A },
      [
        'aws.credentials.provider.role.arn is not used when aws.credentials.provider is AUTO; remove it, or set ' +
          'aws.credentials.provider to ASSUME_ROLE or WEB_IDENTITY_TOKEN.',
      ],
    ],
    [
      { [P]: 'ASSUME_ROLE' },
      [
        'aws.credentials.provider.role.arn is required when aws.credentials.provider is ASSUME_ROLE; set it to an ' +
          'IAM role ARN such as arn:aws:iam::123456789012:role/reader.',
        'aws.credentials.provider.role.sessionName is required when aws.credentials.provider is ASSUME_ROLE; set ' +
          'it to 2 to 64 letters, digits or any of _+=,.@-.',
      ],
    ],
    [
      {
        [P]: 'ASSUME_ROLE',
        [`${P}.role.arn`]: 'reader',
        [`${P}.role.sessionName`]: 'has space',
        [`${P}.role.stsEndpoint`]: 'sts.local',
        [`${P}.role.durationSeconds`]: '60',
      },
      [
        'aws.credentials.provider.role.arn must be an IAM role ARN such as arn:aws:iam::123456789012:role/reader; got "reader".',
        'aws.credentials.provider.role.sessionName must be 2 to 64 letters, digits or any of _+=,.@-; got "has space".',
        'aws.credentials.provider.role.stsEndpoint must be an http:// or https:// URL; got "sts.local".',
        'aws.credentials.provider.role.durationSeconds must be an integer from 900 to 43200 (seconds); got "60".',
      ],
    ],
    [
      {
        [P]: 'ASSUME_ROLE',
        [`${P}.role.arn`]: ROLE_A,
        [`${P}.role.sessionName`]: 'outer',
        [`${P}.role.provider`]: 'BASIC',
      },
      [
        'aws.credentials.provider.role.provider.basic.accesskeyid is required when ' +
          'aws.credentials.provider.role.provider is BASIC; set it to a non-empty string.',
        'aws.credentials.provider.role.provider.basic.secretkey is required when ' +
          'aws.credentials.provider.role.provider is BASIC; set it to a non-empty string.',
      ],
    ],
    [
      { [P]: 'PROFILE', [`${P}.role.provider`]: 'BASIC', [`${P}.role.provider.basic.accesskeyid`]: 'AKID' },
      [
        'aws.credentials.provider.role.provider (and the keys below it) is only used when aws.credentials.provider ' +
          'is ASSUME_ROLE; aws.credentials.provider is PROFILE.',
      ],
    ],
    [
      { [P]: 'PROFILE', [`${P}.profile.name`]: 'my profile' },
      ['aws.credentials.provider.profile.name must be a profile name without spaces; got "my profile".'],
    ],
    [
      { [`${P}.basic.accesskey`]: 'AKID' },
      [
        'Unknown key aws.credentials.provider.basic.accesskey: did you mean aws.credentials.provider.basic.accesskeyid?',
      ],
    ],
    [
      { [P]: 'ASSUME_ROLE', [`${P}.role.arn`]: ROLE_A, [`${P}.role.sessionname`]: 'x1' },
      [
        'aws.credentials.provider.role.sessionName is required when aws.credentials.provider is ASSUME_ROLE; set ' +
          'it to 2 to 64 letters, digits or any of _+=,.@-.',
        'Unknown key aws.credentials.provider.role.sessionname: did you mean aws.credentials.provider.role.sessionName?',
      ],
    ],
  ])('%p is refused', (extra, messages) => {
    expect(problemsOf(() => credentialsOf(extra))).toEqual(messages);
  });

  it('checks typed credentials the same way, naming typed fields', () => {
    expect(
      problemsOf(() =>
        consumerConfig({
          streams: ['orders'],
          aws: {
            region: 'us-east-1',
            credentials: {
              provider: 'ASSUME_ROLE',
              roleArn: ROLE_A,
              roleSessionName: 'x1',
              baseProvider: { provider: 'BASIC', accessKey: 'AKID' } as never,
            },
          },
        }),
      ),
    ).toEqual([
      'Unknown option aws.credentials.baseProvider.accessKey: did you mean aws.credentials.baseProvider.accessKeyId?',
      'aws.credentials.baseProvider.accessKeyId is required when aws.credentials.baseProvider.provider is BASIC; ' +
        'set it to a non-empty string.',
      'aws.credentials.baseProvider.secretAccessKey is required when aws.credentials.baseProvider.provider is BASIC; ' +
        'set it to a non-empty string.',
    ]);
  });

  it('refuses credentials given partly in properties and partly in code', () => {
    expect(
      problemsOf(() =>
        consumerConfigFromProperties(
          { ...BASE, [`${P}.role.arn`]: ROLE_A },
          { aws: { credentials: { provider: 'ENV_VAR' } } },
        ),
      ),
    ).toEqual([
      'aws.credentials.provider and the keys below it are set in the properties while code sets aws.credentials; ' +
        'set them in one place.',
    ]);
  });

  it('accepts typed credentials over properties that set none', () => {
    const config = consumerConfigFromProperties(BASE, { aws: { credentials: { provider: 'ENV_VAR' } } });
    expect(config.aws.credentials).toEqual({ provider: 'ENV_VAR' });
  });
});

describe('secrets stay out of logs and messages', () => {
  const SECRETS = [
    'AKIDSECRETKEYID12345',
    'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
    'session-token-value',
    'ext-secret-42',
  ];
  const properties = {
    ...BASE,
    [P]: 'ASSUME_ROLE',
    [`${P}.role.arn`]: ROLE_A,
    [`${P}.role.sessionName`]: 'outer',
    [`${P}.role.externalId`]: 'ext-secret-42',
    [`${P}.role.provider`]: 'BASIC',
    [`${P}.role.provider.basic.accesskeyid`]: 'AKIDSECRETKEYID12345',
    [`${P}.role.provider.basic.secretkey`]: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
    [`${P}.role.provider.basic.sessiontoken`]: 'session-token-value',
  };
  const config = consumerConfigFromProperties(properties);

  function expectNoSecret(text: string): void {
    for (const secret of SECRETS) expect(text).not.toContain(secret);
  }

  it('keeps the secrets readable for the provider while every rendering redacts them', () => {
    expect(config.aws.credentials).toMatchObject({ baseProvider: { secretAccessKey: SECRETS[1] } });
    expectNoSecret(JSON.stringify(redactCredentials(config.aws.credentials)));
    expectNoSecret(JSON.stringify(config));
    expectNoSecret(JSON.stringify(redactConfig(config)));
    expectNoSecret(inspect(config, { depth: 10 }));
    expect(JSON.parse(JSON.stringify(config)).aws.credentials).toEqual({
      provider: 'ASSUME_ROLE',
      roleArn: ROLE_A,
      roleSessionName: 'outer',
      externalId: '***',
      baseProvider: { provider: 'BASIC', accessKeyId: 'AKID***', secretAccessKey: '***' },
    });
  });

  it('never echoes a secret in an error message', () => {
    const messages = problemsOf(() =>
      consumerConfigFromProperties({
        ...properties,
        [`${P}.role.externalId`]: 'ext secret 42 with spaces',
        [`${P}.role.provider`]: 'ENV_VAR',
      }),
    );
    expect(messages).toContain(
      'aws.credentials.provider.role.externalId must be 2 to 1224 letters, digits or any of _+=,.@:/-; got a value ' +
        'that is not shown.',
    );
    expect(messages).toHaveLength(4);
    for (const message of messages) {
      expectNoSecret(message);
      expect(message).not.toContain('ext secret 42');
    }
  });
});

describe('toAwsSettings', () => {
  it('maps a loaded AWS configuration onto the client factory settings', () => {
    const config = producerConfigFromProperties({
      'aws.region': 'eu-west-1',
      'aws.endpoint': 'http://127.0.0.1:4567',
      'aws.endpoint.ssm': 'http://127.0.0.1:4570',
      'aws.http-client.connection-timeout': '1500',
      'aws.http-client.read-timeout': '9000',
      'aws.kinesis.cbor': 'false',
      [P]: 'ENV_VAR',
    });
    expect(toAwsSettings(config.aws)).toEqual({
      region: 'eu-west-1',
      endpoint: 'http://127.0.0.1:4567',
      endpoints: { ssm: 'http://127.0.0.1:4570' },
      credentials: { provider: 'ENV_VAR' },
      connectionTimeoutMillis: 1500,
      requestTimeoutMillis: 9000,
      kinesisCbor: false,
    });
    const factory = new AwsClientFactory(toAwsSettings(config.aws));
    expect(factory.config('ssm').endpoint).toBe('http://127.0.0.1:4570');
    expect(factory.config('kinesis').endpoint).toBe('http://127.0.0.1:4567');
    expect(factory.config('kinesis').region).toBe('eu-west-1');
    expect(factory.config('kinesis').protocol).toBe(KinesisReadProtocol);
  });

  it('leaves endpoint and endpoints out when none are configured', () => {
    const settings = toAwsSettings(consumerConfig({ streams: ['a'], aws: { region: 'us-east-1' } }).aws);
    expect(settings).toEqual({
      region: 'us-east-1',
      credentials: { provider: 'AUTO' },
      connectionTimeoutMillis: 5000,
      requestTimeoutMillis: 30000,
      kinesisCbor: true,
    });
  });
});
