// Conformance of the local SSM server's PutParameter with AWS's API reference, through the SDK v3 client.
import {
  GetParameterCommand,
  HierarchyLevelLimitExceededException,
  HierarchyTypeMismatchException,
  InvalidAllowedPatternException,
  InvalidKeyId,
  LabelParameterVersionCommand,
  ParameterAlreadyExists,
  ParameterLimitExceeded,
  ParameterMaxVersionLimitExceeded,
  ParameterPatternMismatchException,
  ParameterVersionNotFound,
  PutParameterCommand,
  DeleteParameterCommand,
  ValidationException,
  type PutParameterCommandInput,
} from '@aws-sdk/client-ssm';
import { FakeClock } from '../../../functions/core/time/clock';
import { ciphertext, parameterArn } from '../../../local/ssm';
import { rejectionOf } from '../../support/rejection-of';
import { startSsm, type SsmKit } from './ssm-test-kit';

const clock = new FakeClock(Date.UTC(2026, 0, 1, 12, 0, 0));
let kit: SsmKit;
let counter = 0;

beforeAll(async () => {
  kit = await startSsm({ clock, region: 'eu-west-1' });
});
afterAll(() => kit.stop());

/** A name no other test uses. */
function fresh(prefix = '/put'): string {
  counter++;
  return `${prefix}/p${counter}`;
}

function put(input: PutParameterCommandInput) {
  return kit.ssm.send(new PutParameterCommand(input));
}

async function get(name: string, withDecryption?: boolean) {
  const result = await kit.ssm.send(
    new GetParameterCommand({
      Name: name,
      ...(withDecryption !== undefined ? { WithDecryption: withDecryption } : {}),
    }),
  );
  return result.Parameter;
}

describe('PutParameter', () => {
  it('creates version 1 in the Standard tier and GetParameter returns every documented field', async () => {
    const name = fresh();
    const put1 = await put({ Name: name, Value: 'v1', Type: 'String' });
    expect(put1).toMatchObject({ Version: 1, Tier: 'Standard' });

    const parameter = await get(name);
    expect(parameter).toEqual({
      Name: name,
      Type: 'String',
      Value: 'v1',
      Version: 1,
      LastModifiedDate: new Date(clock.now()),
      ARN: `arn:aws:ssm:eu-west-1:000000000000:parameter${name}`,
      DataType: 'text',
    });
  });

  it('refuses to replace an existing parameter without Overwrite, leaving its value', async () => {
    const name = fresh();
    await put({ Name: name, Value: 'first', Type: 'String' });
    const error = await rejectionOf(put({ Name: name, Value: 'second', Type: 'String' }));
    expect(error).toBeInstanceOf(ParameterAlreadyExists);
    expect(error.$metadata?.httpStatusCode).toBe(400);
    expect((await get(name))?.Value).toBe('first');
  });

  it('with Overwrite adds a version, stamps it with the clock and keeps older versions readable', async () => {
    const name = fresh();
    await put({ Name: name, Value: 'a', Type: 'String' });
    const firstAt = clock.now();
    await clock.advance(5_000);
    const result = await put({ Name: name, Value: 'b', Overwrite: true });
    expect(result.Version).toBe(2);

    expect(await get(name)).toMatchObject({
      Value: 'b',
      Version: 2,
      LastModifiedDate: new Date(clock.now()),
    });
    expect(await get(`${name}:1`)).toMatchObject({
      Name: name,
      Value: 'a',
      Version: 1,
      Selector: ':1',
      LastModifiedDate: new Date(firstAt),
    });
  });

  it('needs a Type to create a parameter but not to overwrite one, and keeps the type', async () => {
    const name = fresh();
    expect(await rejectionOf(put({ Name: name, Value: 'x' }))).toBeInstanceOf(ValidationException);
    await put({ Name: name, Value: 'a,b', Type: 'StringList' });
    await put({ Name: name, Value: 'c,d', Overwrite: true });
    expect(await get(name)).toMatchObject({ Type: 'StringList', Value: 'c,d', Version: 2 });
  });

  it('refuses to change the type of an existing parameter with HierarchyTypeMismatchException', async () => {
    const name = fresh();
    await put({ Name: name, Value: 'plain', Type: 'String' });
    const error = await rejectionOf(
      put({ Name: name, Value: 'secret', Type: 'SecureString', Overwrite: true }),
    );
    expect(error).toBeInstanceOf(HierarchyTypeMismatchException);
    expect(await get(name)).toMatchObject({ Type: 'String', Value: 'plain' });
  });

  it('rejects an empty value, an unknown type and a description over 1024 characters', async () => {
    const name = fresh();
    for (const input of [
      { Name: name, Value: '', Type: 'String' },
      { Name: name, Value: 'x', Type: 'Binary' },
      { Name: name, Value: 'x', Type: 'String', Description: 'd'.repeat(1025) },
    ] as PutParameterCommandInput[]) {
      expect(await rejectionOf(put(input))).toBeInstanceOf(ValidationException);
    }
    await put({ Name: name, Value: 'x', Type: 'String', Description: 'd'.repeat(1024) });
  });

  it('accepts a Tier-less StringList with commas and returns its value unchanged', async () => {
    const name = fresh();
    await put({ Name: name, Value: 'a,b,c', Type: 'StringList' });
    expect((await get(name))?.Value).toBe('a,b,c');
  });
});

describe('PutParameter value limits and tiers', () => {
  it('holds 4096 bytes in a Standard parameter and rejects 4097', async () => {
    const name = fresh();
    await expect(put({ Name: name, Value: 'x'.repeat(4096), Type: 'String' })).resolves.toMatchObject({
      Tier: 'Standard',
    });
    const error = await rejectionOf(put({ Name: fresh(), Value: 'x'.repeat(4097), Type: 'String' }));
    expect(error).toBeInstanceOf(ValidationException);
    expect(error.message).toMatch(/Advanced tier/);
  });

  it('counts the limit in UTF-8 bytes, the stricter reading of "4 KB"', async () => {
    // 2,049 two-byte characters are 4,098 bytes.
    const error = await rejectionOf(put({ Name: fresh(), Value: 'é'.repeat(2049), Type: 'String' }));
    expect(error).toBeInstanceOf(ValidationException);
    await put({ Name: fresh(), Value: 'é'.repeat(2048), Type: 'String' });
  });

  it('holds 8192 bytes in an Advanced parameter and rejects 8193', async () => {
    await expect(
      put({ Name: fresh(), Value: 'x'.repeat(8192), Type: 'String', Tier: 'Advanced' }),
    ).resolves.toMatchObject({ Tier: 'Advanced', Version: 1 });
    expect(
      await rejectionOf(put({ Name: fresh(), Value: 'x'.repeat(8193), Type: 'String', Tier: 'Advanced' })),
    ).toBeInstanceOf(ValidationException);
  });

  it('with Intelligent-Tiering picks Standard for a small value and Advanced for a large one', async () => {
    const small = await put({ Name: fresh(), Value: 'x', Type: 'String', Tier: 'Intelligent-Tiering' });
    const large = await put({
      Name: fresh(),
      Value: 'x'.repeat(5000),
      Type: 'String',
      Tier: 'Intelligent-Tiering',
    });
    expect(small.Tier).toBe('Standard');
    expect(large.Tier).toBe('Advanced');
  });

  it('upgrades a Standard parameter to Advanced but never downgrades it', async () => {
    const name = fresh();
    await put({ Name: name, Value: 'x', Type: 'String' });
    await expect(
      put({ Name: name, Value: 'y'.repeat(6000), Overwrite: true, Tier: 'Advanced' }),
    ).resolves.toMatchObject({ Tier: 'Advanced', Version: 2 });
    const downgrade = await rejectionOf(put({ Name: name, Value: 'z', Overwrite: true, Tier: 'Standard' }));
    expect(downgrade).toBeInstanceOf(ValidationException);
    expect(downgrade.message).toMatch(/cannot be moved back to the Standard tier/);
    // Without a Tier, an Advanced parameter stays Advanced (the default tier only applies to new choices).
    await expect(put({ Name: name, Value: 'z', Overwrite: true })).resolves.toMatchObject({
      Tier: 'Advanced',
    });
    expect(kit.server.parameter(name)?.tier).toBe('Advanced');
  });

  it('uses the account default tier when a request names none', async () => {
    const other = await startSsm({ defaultTier: 'Intelligent-Tiering' });
    try {
      await expect(
        other.ssm.send(new PutParameterCommand({ Name: '/d/small', Value: 'x', Type: 'String' })),
      ).resolves.toMatchObject({ Tier: 'Standard' });
      await expect(
        other.ssm.send(
          new PutParameterCommand({ Name: '/d/large', Value: 'x'.repeat(4097), Type: 'String' }),
        ),
      ).resolves.toMatchObject({ Tier: 'Advanced' });
    } finally {
      await other.stop();
    }
  });

  it('enforces the Standard and Advanced parameter quotas with ParameterLimitExceeded', async () => {
    const other = await startSsm({ maxStandardParameters: 2, maxAdvancedParameters: 1 });
    const send = (input: PutParameterCommandInput) => other.ssm.send(new PutParameterCommand(input));
    try {
      await send({ Name: '/q/1', Value: 'x', Type: 'String' });
      await send({ Name: '/q/2', Value: 'x', Type: 'String' });
      expect(await rejectionOf(send({ Name: '/q/3', Value: 'x', Type: 'String' }))).toBeInstanceOf(
        ParameterLimitExceeded,
      );
      // Overwriting an existing parameter does not count as a new one.
      await send({ Name: '/q/2', Value: 'y', Overwrite: true });
      // Intelligent-Tiering moves to Advanced when the Standard quota is used up.
      await expect(
        send({ Name: '/q/3', Value: 'x', Type: 'String', Tier: 'Intelligent-Tiering' }),
      ).resolves.toMatchObject({
        Tier: 'Advanced',
      });
      expect(
        await rejectionOf(send({ Name: '/q/4', Value: 'x', Type: 'String', Tier: 'Advanced' })),
      ).toBeInstanceOf(ParameterLimitExceeded);
      await other.ssm.send(new DeleteParameterCommand({ Name: '/q/1' }));
      await send({ Name: '/q/4', Value: 'x', Type: 'String' });
    } finally {
      await other.stop();
    }
  });

  it('rejects parameter policies and data types other than text, which the local server does not model', async () => {
    expect(
      await rejectionOf(put({ Name: fresh(), Value: 'x', Type: 'String', Tier: 'Advanced', Policies: '[]' })),
    ).toBeInstanceOf(ValidationException);
    expect(
      await rejectionOf(put({ Name: fresh(), Value: 'ami-1', Type: 'String', DataType: 'aws:ec2:image' })),
    ).toBeInstanceOf(ValidationException);
    await put({ Name: fresh(), Value: 'x', Type: 'String', DataType: 'text' });
  });
});

describe('PutParameter names', () => {
  it.each([
    ['a character outside the allowed set', '/bad/na*me'],
    ['a space inside the name', '/bad/na me'],
    ['a hierarchy without a leading slash', 'bad/name'],
    ['an empty level', '/bad//name'],
    ['a trailing slash', '/bad/name/'],
    ['the reserved prefix aws', 'awsThing'],
    ['the reserved prefix ssm in another case', '/SSM/thing'],
    ['an ARN instead of a name', 'arn:aws:ssm:eu-west-1:000000000000:parameter/x'],
  ])('rejects %s with ValidationException', async (_why, name) => {
    expect(await rejectionOf(put({ Name: name, Value: 'x', Type: 'String' }))).toBeInstanceOf(
      ValidationException,
    );
  });

  it('removes spaces around a name, as AWS does', async () => {
    await put({ Name: '  /spaces/around  ', Value: 'x', Type: 'String' });
    expect((await get('/spaces/around'))?.Value).toBe('x');
  });

  it('allows 15 hierarchy levels and answers HierarchyLevelLimitExceededException for 16', async () => {
    const levels = (n: number) => '/' + Array.from({ length: n }, (_, i) => `l${i}`).join('/');
    await put({ Name: levels(15), Value: 'x', Type: 'String' });
    expect(await rejectionOf(put({ Name: levels(16), Value: 'x', Type: 'String' }))).toBeInstanceOf(
      HierarchyLevelLimitExceededException,
    );
  });

  it('limits a name to 1011 characters counted with its ARN prefix', async () => {
    const prefix = parameterArn('eu-west-1', '').length; // "arn:aws:ssm:eu-west-1:000000000000:parameter/"
    const longest = '/' + 'n'.repeat(1011 - prefix);
    expect(parameterArn('eu-west-1', longest)).toHaveLength(1011);
    await put({ Name: longest, Value: 'x', Type: 'String' });
    expect(await rejectionOf(put({ Name: `${longest}n`, Value: 'x', Type: 'String' }))).toBeInstanceOf(
      ValidationException,
    );
  });

  it('treats a single-level name with and without its leading slash as one parameter', async () => {
    await put({ Name: '/single', Value: 'x', Type: 'String' });
    expect(await rejectionOf(put({ Name: 'single', Value: 'y', Type: 'String' }))).toBeInstanceOf(
      ParameterAlreadyExists,
    );
    expect((await get('single'))?.Value).toBe('x');
  });
});

describe('PutParameter SecureString and keys', () => {
  it('returns the plaintext only WithDecryption, and otherwise a stand-in that never contains it', async () => {
    const name = fresh();
    await put({ Name: name, Value: 'hunter2', Type: 'SecureString' });
    expect((await get(name, true))?.Value).toBe('hunter2');
    const hidden = (await get(name))?.Value;
    expect(hidden).toBe(ciphertext('alias/aws/ssm', 'hunter2'));
    expect(hidden).not.toContain('hunter2');
    expect(kit.server.parameter(name)?.versions[0]?.keyId).toBe('alias/aws/ssm');
  });

  it('ignores WithDecryption for a String parameter', async () => {
    const name = fresh();
    await put({ Name: name, Value: 'visible', Type: 'String' });
    expect((await get(name, false))?.Value).toBe('visible');
  });

  it('accepts a key by alias, ID or ARN and keeps it when an overwrite names none', async () => {
    const keyArn = 'arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab';
    const name = fresh();
    await put({ Name: name, Value: 's1', Type: 'SecureString', KeyId: keyArn });
    await put({ Name: name, Value: 's2', Overwrite: true });
    expect(kit.server.parameter(name)?.versions.map((v) => v.keyId)).toEqual([keyArn, keyArn]);
    await put({ Name: fresh(), Value: 's', Type: 'SecureString', KeyId: 'alias/my-key' });
    await put({
      Name: fresh(),
      Value: 's',
      Type: 'SecureString',
      KeyId: '1234abcd-12ab-34cd-56ef-1234567890ab',
    });
  });

  it('answers InvalidKeyId for a key reference of no known form, and ValidationException for bad characters', async () => {
    expect(
      await rejectionOf(put({ Name: fresh(), Value: 's', Type: 'SecureString', KeyId: 'not-a-key' })),
    ).toBeInstanceOf(InvalidKeyId);
    expect(
      await rejectionOf(put({ Name: fresh(), Value: 's', Type: 'SecureString', KeyId: 'alias/has space' })),
    ).toBeInstanceOf(ValidationException);
  });

  it('rejects a KeyId on a String parameter', async () => {
    expect(
      await rejectionOf(put({ Name: fresh(), Value: 's', Type: 'String', KeyId: 'alias/aws/ssm' })),
    ).toBeInstanceOf(ValidationException);
  });
});

describe('PutParameter AllowedPattern, tags', () => {
  it('checks the value against AllowedPattern, also on later overwrites that do not repeat it', async () => {
    const name = fresh();
    await put({ Name: name, Value: '42', Type: 'String', AllowedPattern: '^\\d+$' });
    expect(await rejectionOf(put({ Name: name, Value: 'forty-two', Overwrite: true }))).toBeInstanceOf(
      ParameterPatternMismatchException,
    );
    await put({ Name: name, Value: '43', Overwrite: true });
    expect((await get(name))?.Value).toBe('43');
  });

  it('answers InvalidAllowedPatternException for a pattern that is not a regular expression', async () => {
    expect(
      await rejectionOf(put({ Name: fresh(), Value: 'x', Type: 'String', AllowedPattern: '([' })),
    ).toBeInstanceOf(InvalidAllowedPatternException);
  });

  it('stores tags on create and refuses Tags together with Overwrite', async () => {
    const name = fresh();
    await put({ Name: name, Value: 'x', Type: 'String', Tags: [{ Key: 'team', Value: 'streams' }] });
    expect(kit.server.parameter(name)?.tags).toEqual([{ Key: 'team', Value: 'streams' }]);
    expect(
      await rejectionOf(put({ Name: name, Value: 'y', Overwrite: true, Tags: [{ Key: 'k', Value: 'v' }] })),
    ).toBeInstanceOf(ValidationException);
  });
});

describe('PutParameter versions', () => {
  it('keeps the last 100 versions, deleting the oldest unlabelled one', async () => {
    const name = fresh('/versions');
    await put({ Name: name, Value: 'v1', Type: 'String' });
    for (let v = 2; v <= 101; v++) await put({ Name: name, Value: `v${v}`, Overwrite: true });

    const versions = kit.server.parameter(name)?.versions.map((v) => v.version) ?? [];
    expect(versions).toHaveLength(100);
    expect(versions[0]).toBe(2);
    expect(versions.at(-1)).toBe(101);
    expect(await rejectionOf(get(`${name}:1`))).toBeInstanceOf(ParameterVersionNotFound);
    expect((await get(`${name}:2`))?.Value).toBe('v2');
  });

  it('answers ParameterMaxVersionLimitExceeded when the oldest of 100 versions has a label', async () => {
    const name = fresh('/versions');
    await put({ Name: name, Value: 'v1', Type: 'String' });
    await kit.ssm.send(
      new LabelParameterVersionCommand({ Name: name, ParameterVersion: 1, Labels: ['keep'] }),
    );
    for (let v = 2; v <= 100; v++) await put({ Name: name, Value: `v${v}`, Overwrite: true });

    const error = await rejectionOf(put({ Name: name, Value: 'v101', Overwrite: true }));
    expect(error).toBeInstanceOf(ParameterMaxVersionLimitExceeded);
    expect((await get(name))?.Version).toBe(100);
    expect((await get(`${name}:keep`))?.Value).toBe('v1');
  });
});
