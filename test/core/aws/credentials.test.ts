import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KinesisClient } from '@aws-sdk/client-kinesis';
import { AwsClientFactory } from '../../../functions/core/aws/clients';
import {
  credentialsProvider,
  redactCredentials,
  type CredentialsConfig,
} from '../../../functions/core/aws/credentials';
import { consumerConfigFromProperties, toAwsSettings } from '../../../functions/core/config';
import { LocalSts } from '../../support/local-sts';

const P = 'aws.credentials.provider';
const BASE = { 'aws.region': 'us-east-1', streams: 'orders' };
const READER = 'arn:aws:iam::111111111111:role/reader';
const CROSS = 'arn:aws:iam::222222222222:role/cross-account';
const WEB = 'arn:aws:iam::111111111111:role/web';
const ENV_KEYS = [
  'AWS_ACCESS_KEY_ID',
  'AWS_SECRET_ACCESS_KEY',
  'AWS_SESSION_TOKEN',
  'AWS_CREDENTIAL_EXPIRATION',
  'AWS_PROFILE',
  'AWS_ROLE_ARN',
  'AWS_ROLE_SESSION_NAME',
  'AWS_WEB_IDENTITY_TOKEN_FILE',
  'AWS_SHARED_CREDENTIALS_FILE',
  'AWS_CONFIG_FILE',
];

/** Resolves credentials the way a handler does: properties, the client factory, then the SDK client. */
async function resolve(properties: Record<string, string>) {
  const config = consumerConfigFromProperties({ ...BASE, ...properties });
  const factory = new AwsClientFactory(toAwsSettings(config.aws));
  try {
    return await factory.client('kinesis', KinesisClient).config.credentials();
  } finally {
    factory.destroy();
  }
}

let saved: Record<string, string | undefined>;
let dir: string;
const sts = new LocalSts({
  [READER]: { trustedCallers: ['AKIDBASE'], externalId: 'ext-42' },
  [CROSS]: { trustedCallers: [READER] },
  [WEB]: { webIdentityToken: 'web-token-1' },
});
let endpoint: string;

beforeAll(async () => {
  endpoint = await sts.listen();
});

afterAll(async () => {
  await sts.close();
});

beforeEach(() => {
  saved = Object.fromEntries(ENV_KEYS.map((k) => [k, process.env[k]]));
  for (const k of ENV_KEYS) delete process.env[k];
  dir = mkdtempSync(join(tmpdir(), 'skc-credentials-'));
  sts.calls.length = 0;
});

afterEach(() => {
  for (const k of ENV_KEYS) {
    if (saved[k] === undefined) delete process.env[k];
    else process.env[k] = saved[k];
  }
  rmSync(dir, { recursive: true, force: true });
});

describe('credential providers resolve', () => {
  it('BASIC returns the configured keys', async () => {
    const identity = await resolve({
      [`${P}.basic.accesskeyid`]: 'AKIDBASIC',
      [`${P}.basic.secretkey`]: 'basic-secret',
    });
    expect(identity).toMatchObject({ accessKeyId: 'AKIDBASIC', secretAccessKey: 'basic-secret' });
  });

  it('ENV_VAR reads AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN', async () => {
    process.env.AWS_ACCESS_KEY_ID = 'AKIDFROMENV';
    process.env.AWS_SECRET_ACCESS_KEY = 'env-secret';
    process.env.AWS_SESSION_TOKEN = 'env-token';
    const identity = await resolve({ [P]: 'ENV_VAR' });
    expect(identity).toMatchObject({
      accessKeyId: 'AKIDFROMENV',
      secretAccessKey: 'env-secret',
      sessionToken: 'env-token',
    });
  });

  it('ENV_VAR fails when the variables are missing', async () => {
    await expect(resolve({ [P]: 'ENV_VAR' })).rejects.toThrow(/environment/i);
  });

  it('PROFILE reads the named profile from the given file', async () => {
    const file = join(dir, 'credentials');
    writeFileSync(
      file,
      '[default]\naws_access_key_id = AKIDDEFAULT\naws_secret_access_key = default-secret\n\n' +
        '[ops]\naws_access_key_id = AKIDOPS\naws_secret_access_key = ops-secret\n',
    );
    const identity = await resolve({
      [P]: 'PROFILE',
      [`${P}.profile.path`]: file,
      [`${P}.profile.name`]: 'ops',
    });
    expect(identity).toMatchObject({ accessKeyId: 'AKIDOPS', secretAccessKey: 'ops-secret' });
  });

  it('ASSUME_ROLE calls STS signed by the base provider and passes the external id', async () => {
    const identity = await resolve({
      [P]: 'ASSUME_ROLE',
      [`${P}.role.arn`]: READER,
      [`${P}.role.sessionName`]: 'reader-session',
      [`${P}.role.externalId`]: 'ext-42',
      [`${P}.role.stsEndpoint`]: endpoint,
      [`${P}.role.provider`]: 'BASIC',
      [`${P}.role.provider.basic.accesskeyid`]: 'AKIDBASE',
      [`${P}.role.provider.basic.secretkey`]: 'base-secret',
    });
    expect(sts.calls).toHaveLength(1);
    const [call] = sts.calls;
    expect(call).toMatchObject({
      action: 'AssumeRole',
      callerAccessKeyId: 'AKIDBASE',
      params: { RoleArn: READER, RoleSessionName: 'reader-session', ExternalId: 'ext-42' },
      status: 200,
    });
    const issued = sts.issued.get(identity.accessKeyId);
    expect(issued?.roleArn).toBe(READER);
    expect(identity).toMatchObject({
      secretAccessKey: issued?.secretAccessKey,
      sessionToken: issued?.sessionToken,
    });
  });

  it('ASSUME_ROLE fails when the external id does not match the trust policy', async () => {
    await expect(
      resolve({
        [P]: 'ASSUME_ROLE',
        [`${P}.role.arn`]: READER,
        [`${P}.role.sessionName`]: 'reader-session',
        [`${P}.role.externalId`]: 'ext-wrong',
        [`${P}.role.stsEndpoint`]: endpoint,
        [`${P}.role.provider.basic.accesskeyid`]: 'AKIDBASE',
        [`${P}.role.provider.basic.secretkey`]: 'base-secret',
      }),
    ).rejects.toThrow(/external id does not match/);
    expect(sts.calls.map((c) => c.status)).toEqual([403]);
  });

  it('ASSUME_ROLE chains: a role assumed with the credentials of another assumed role', async () => {
    const chained = {
      [P]: 'ASSUME_ROLE',
      [`${P}.role.arn`]: CROSS,
      [`${P}.role.sessionName`]: 'cross-session',
      [`${P}.role.stsEndpoint`]: endpoint,
      [`${P}.role.provider`]: 'ASSUME_ROLE',
      [`${P}.role.provider.role.arn`]: READER,
      [`${P}.role.provider.role.sessionName`]: 'reader-session',
      [`${P}.role.provider.role.externalId`]: 'ext-42',
      [`${P}.role.provider.role.stsEndpoint`]: endpoint,
      [`${P}.role.provider.role.provider.basic.accesskeyid`]: 'AKIDBASE',
      [`${P}.role.provider.role.provider.basic.secretkey`]: 'base-secret',
    };
    const identity = await resolve(chained);
    expect(
      sts.calls.map((c) => [c.params['RoleArn'], c.callerAccessKeyId, c.callerRoleArn, c.status]),
    ).toEqual([
      [READER, 'AKIDBASE', undefined, 200],
      [CROSS, expect.stringMatching(/^ASIALOCAL/), READER, 200],
    ]);
    expect(sts.issued.get(identity.accessKeyId)?.roleArn).toBe(CROSS);
  });

  it('ASSUME_ROLE straight from the base keys is refused when only the first role is trusted', async () => {
    await expect(
      resolve({
        [P]: 'ASSUME_ROLE',
        [`${P}.role.arn`]: CROSS,
        [`${P}.role.sessionName`]: 'cross-session',
        [`${P}.role.stsEndpoint`]: endpoint,
        [`${P}.role.provider.basic.accesskeyid`]: 'AKIDBASE',
        [`${P}.role.provider.basic.secretkey`]: 'base-secret',
      }),
    ).rejects.toThrow(/AKIDBASE is not trusted/);
  });

  it('WEB_IDENTITY_TOKEN sends the token file to AssumeRoleWithWebIdentity, unsigned', async () => {
    const tokenFile = join(dir, 'token');
    writeFileSync(tokenFile, 'web-token-1');
    const identity = await resolve({
      [P]: 'WEB_IDENTITY_TOKEN',
      [`${P}.role.arn`]: WEB,
      [`${P}.role.sessionName`]: 'web-session',
      [`${P}.webIdentityToken.file`]: tokenFile,
      [`${P}.role.stsEndpoint`]: endpoint,
    });
    expect(sts.calls).toEqual([
      expect.objectContaining({
        action: 'AssumeRoleWithWebIdentity',
        callerAccessKeyId: undefined,
        params: expect.objectContaining({
          RoleArn: WEB,
          RoleSessionName: 'web-session',
          WebIdentityToken: 'web-token-1',
        }),
      }),
    ]);
    expect(sts.issued.get(identity.accessKeyId)?.roleArn).toBe(WEB);
  });

  it('WEB_IDENTITY_TOKEN takes the role and token file from the environment when the keys are unset', async () => {
    const tokenFile = join(dir, 'token');
    writeFileSync(tokenFile, 'web-token-1');
    process.env.AWS_ROLE_ARN = WEB;
    process.env.AWS_WEB_IDENTITY_TOKEN_FILE = tokenFile;
    const identity = await resolve({ [P]: 'WEB_IDENTITY_TOKEN', [`${P}.role.stsEndpoint`]: endpoint });
    expect(sts.issued.get(identity.accessKeyId)?.roleArn).toBe(WEB);
  });

  it('AUTO (no keys at all) finds credentials in the environment through the default chain', async () => {
    process.env.AWS_ACCESS_KEY_ID = 'AKIDCHAIN';
    process.env.AWS_SECRET_ACCESS_KEY = 'chain-secret';
    const identity = await resolve({});
    expect(identity).toMatchObject({ accessKeyId: 'AKIDCHAIN', secretAccessKey: 'chain-secret' });
  });

  it('AUTO leaves the provider to the SDK client and never loads @aws-sdk/credential-providers', () => {
    const providers = '../../../functions/core/aws/sdk-credential-providers';
    jest.doMock(providers, () => {
      throw new Error('the SDK credential providers were loaded');
    });
    try {
      jest.isolateModules(() => {
        const { AwsClientFactory: Factory } = jest.requireActual<{
          AwsClientFactory: typeof AwsClientFactory;
        }>('../../../functions/core/aws/clients');
        const auto = new Factory({ region: 'us-east-1' });
        expect(auto.config('kinesis').credentials).toBeUndefined();
        // The same stand-in fails a provider that needs the module: the mock is in force.
        expect(() => new Factory({ region: 'us-east-1', credentials: { provider: 'ENV_VAR' } })).toThrow(
          /credential providers were loaded/,
        );
      });
    } finally {
      jest.dontMock(providers);
    }
  });

  it('refuses a provider that needs the SDK providers in a bundle built without them, naming the constant', () => {
    process.env.CONNECTOR_BUNDLE_CREDENTIAL_PROVIDERS = 'false';
    try {
      expect(
        () => new AwsClientFactory({ region: 'us-east-1', credentials: { provider: 'ENV_VAR' } }),
      ).toThrow(
        expect.objectContaining({
          name: 'ConfigurationError',
          key: 'aws.credentials.provider',
          message: expect.stringContaining(
            'process.env.CONNECTOR_BUNDLE_CREDENTIAL_PROVIDERS defined as "false"',
          ),
        }),
      );
      // AUTO and BASIC need none of them.
      expect(new AwsClientFactory({ region: 'us-east-1' }).config('kinesis').credentials).toBeUndefined();
      const basic = new AwsClientFactory({
        region: 'us-east-1',
        credentials: { provider: 'BASIC', accessKeyId: 'AKIDBASIC', secretAccessKey: 'basic-secret' },
      });
      expect(basic.config('kinesis').credentials).toBeDefined();
    } finally {
      delete process.env.CONNECTOR_BUNDLE_CREDENTIAL_PROVIDERS;
    }
  });

  it('can point STS at a local endpoint through the context instead of the configuration', async () => {
    const config: CredentialsConfig = {
      provider: 'ASSUME_ROLE',
      roleArn: READER,
      roleSessionName: 'ctx',
      externalId: 'ext-42',
      baseProvider: { provider: 'BASIC', accessKeyId: 'AKIDBASE', secretAccessKey: 'base-secret' },
    };
    const identity = await credentialsProvider(config, {
      region: 'us-east-1',
      stsClientConfig: { endpoint },
    })();
    expect(sts.issued.get(identity.accessKeyId)?.roleArn).toBe(READER);
  });
});

describe('redactCredentials', () => {
  it('keeps the provider shape and masks every secret at every level', () => {
    const config: CredentialsConfig = {
      provider: 'ASSUME_ROLE',
      roleArn: CROSS,
      roleSessionName: 'outer',
      externalId: 'ext-secret',
      baseProvider: {
        provider: 'BASIC',
        accessKeyId: 'AKIDSECRET1234',
        secretAccessKey: 'the-secret-key',
        sessionToken: 'the-session-token',
      },
    };
    const json = JSON.stringify(redactCredentials(config));
    for (const secret of ['ext-secret', 'AKIDSECRET1234', 'the-secret-key', 'the-session-token']) {
      expect(json).not.toContain(secret);
    }
    expect(JSON.parse(json)).toEqual({
      provider: 'ASSUME_ROLE',
      roleArn: CROSS,
      roleSessionName: 'outer',
      externalId: '***',
      baseProvider: { provider: 'BASIC', accessKeyId: 'AKID***', secretAccessKey: '***' },
    });
  });
});
