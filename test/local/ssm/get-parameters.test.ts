// Conformance of the local SSM server's reads and labels with AWS's API reference, through the SDK v3 client.
import {
  GetParameterCommand,
  GetParametersByPathCommand,
  GetParametersCommand,
  InvalidFilterKey,
  InvalidFilterOption,
  InvalidFilterValue,
  InvalidNextToken,
  LabelParameterVersionCommand,
  ParameterNotFound,
  ParameterVersionLabelLimitExceeded,
  ParameterVersionNotFound,
  PutParameterCommand,
  ValidationException,
  paginateGetParametersByPath,
  type GetParametersByPathCommandInput,
  type Parameter,
  type ParameterType,
} from '@aws-sdk/client-ssm';
import { ciphertext } from '../../../local/ssm';
import { rejectionOf } from '../../support/rejection-of';
import { startSsm, type SsmKit } from './ssm-test-kit';

let kit: SsmKit;

const TREE: [string, string, ParameterType][] = [
  ['/app/a', 'A', 'String'],
  ['/app/b', 'B', 'String'],
  ['/app/c', 'C', 'StringList'],
  ['/app/secret', 'S', 'SecureString'],
  ['/app/db/host', 'H', 'String'],
  ['/app/db/port', 'P', 'String'],
  ['/app/db/deep/x', 'X', 'String'],
  ['/other/z', 'Z', 'String'],
  ['root', 'R', 'String'],
];

beforeAll(async () => {
  kit = await startSsm();
  for (const [Name, Value, Type] of TREE) await kit.ssm.send(new PutParameterCommand({ Name, Value, Type }));
  await kit.ssm.send(new PutParameterCommand({ Name: '/app/a', Value: 'A2', Overwrite: true }));
});
afterAll(() => kit.stop());

function names(parameters: Parameter[] | undefined): string[] {
  return (parameters ?? []).map((p) => p.Name ?? '?');
}

async function allByPath(input: GetParametersByPathCommandInput): Promise<Parameter[]> {
  const parameters: Parameter[] = [];
  for await (const page of paginateGetParametersByPath({ client: kit.ssm }, input)) {
    parameters.push(...(page.Parameters ?? []));
  }
  return parameters;
}

describe('GetParameter', () => {
  it('answers ParameterNotFound for a missing name', async () => {
    const error = await rejectionOf(kit.ssm.send(new GetParameterCommand({ Name: '/app/missing' })));
    expect(error).toBeInstanceOf(ParameterNotFound);
    expect(error.$metadata?.httpStatusCode).toBe(400);
  });

  it('reads an old version with name:version and answers ParameterVersionNotFound for one never made', async () => {
    const old = await kit.ssm.send(new GetParameterCommand({ Name: '/app/a:1' }));
    expect(old.Parameter).toMatchObject({ Name: '/app/a', Value: 'A', Version: 1, Selector: ':1' });
    expect(await rejectionOf(kit.ssm.send(new GetParameterCommand({ Name: '/app/a:3' })))).toBeInstanceOf(
      ParameterVersionNotFound,
    );
  });

  it('accepts the parameter ARN in place of its name', async () => {
    const { Parameter: byName } = await kit.ssm.send(new GetParameterCommand({ Name: '/app/db/host' }));
    const { Parameter: byArn } = await kit.ssm.send(new GetParameterCommand({ Name: byName?.ARN }));
    expect(byArn).toEqual(byName);
  });

  it('rejects a malformed name with ValidationException', async () => {
    expect(await rejectionOf(kit.ssm.send(new GetParameterCommand({ Name: '/app/a:1:2' })))).toBeInstanceOf(
      ValidationException,
    );
  });
});

describe('LabelParameterVersion and name:label', () => {
  it('labels a version, reads it by label, and moves the label when it is put on another version', async () => {
    await kit.ssm.send(new PutParameterCommand({ Name: '/labels/p', Value: 'one', Type: 'String' }));
    await kit.ssm.send(new PutParameterCommand({ Name: '/labels/p', Value: 'two', Overwrite: true }));
    const labelled = await kit.ssm.send(
      new LabelParameterVersionCommand({ Name: '/labels/p', ParameterVersion: 1, Labels: ['stable'] }),
    );
    expect(labelled).toMatchObject({ ParameterVersion: 1, InvalidLabels: [] });
    expect(
      (await kit.ssm.send(new GetParameterCommand({ Name: '/labels/p:stable' }))).Parameter,
    ).toMatchObject({
      Value: 'one',
      Selector: ':stable',
    });

    // Without ParameterVersion the latest version is labelled; the label leaves version 1.
    await kit.ssm.send(new LabelParameterVersionCommand({ Name: '/labels/p', Labels: ['stable'] }));
    expect((await kit.ssm.send(new GetParameterCommand({ Name: '/labels/p:stable' }))).Parameter?.Value).toBe(
      'two',
    );
    expect(kit.server.parameter('/labels/p')?.versions.map((v) => v.labels)).toEqual([[], ['stable']]);
  });

  it('returns labels that break the naming rules as InvalidLabels and applies the rest', async () => {
    await kit.ssm.send(new PutParameterCommand({ Name: '/labels/q', Value: 'v', Type: 'String' }));
    const result = await kit.ssm.send(
      new LabelParameterVersionCommand({ Name: '/labels/q', Labels: ['ok', '1st', 'awsLabel', 'bad label'] }),
    );
    expect(result.InvalidLabels).toEqual(['1st', 'awsLabel', 'bad label']);
    expect(kit.server.parameter('/labels/q')?.versions[0]?.labels).toEqual(['ok']);
  });

  it('allows 10 labels per version and answers ParameterVersionLabelLimitExceeded beyond', async () => {
    await kit.ssm.send(new PutParameterCommand({ Name: '/labels/r', Value: 'v', Type: 'String' }));
    const ten = Array.from({ length: 10 }, (_, i) => `l${i}`);
    await kit.ssm.send(new LabelParameterVersionCommand({ Name: '/labels/r', Labels: ten }));
    expect(
      await rejectionOf(
        kit.ssm.send(new LabelParameterVersionCommand({ Name: '/labels/r', Labels: ['eleventh'] })),
      ),
    ).toBeInstanceOf(ParameterVersionLabelLimitExceeded);
  });

  it('answers ParameterNotFound for an unknown label and ParameterVersionNotFound for labelling a missing version', async () => {
    expect(
      await rejectionOf(kit.ssm.send(new GetParameterCommand({ Name: '/app/b:nolabel' }))),
    ).toBeInstanceOf(ParameterNotFound);
    expect(
      await rejectionOf(
        kit.ssm.send(
          new LabelParameterVersionCommand({ Name: '/app/b', ParameterVersion: 9, Labels: ['x'] }),
        ),
      ),
    ).toBeInstanceOf(ParameterVersionNotFound);
  });
});

describe('GetParameters', () => {
  it('returns found parameters in alphabetical order and lists the rest as InvalidParameters', async () => {
    const result = await kit.ssm.send(
      new GetParametersCommand({
        Names: ['/app/db/port', '/missing', '/app/b', '/app/a:1', '/app/a:7', '/app/b'],
      }),
    );
    expect(result.Parameters?.map((p) => [p.Name, p.Value, p.Selector])).toEqual([
      ['/app/a', 'A', ':1'],
      ['/app/b', 'B', undefined],
      ['/app/db/port', 'P', undefined],
    ]);
    expect(result.InvalidParameters).toEqual(['/missing', '/app/a:7']);
  });

  it('applies WithDecryption to SecureString parameters only', async () => {
    const hidden = await kit.ssm.send(new GetParametersCommand({ Names: ['/app/secret', '/app/b'] }));
    expect(hidden.Parameters?.map((p) => p.Value)).toEqual(['B', ciphertext('alias/aws/ssm', 'S')]);
    const shown = await kit.ssm.send(
      new GetParametersCommand({ Names: ['/app/secret'], WithDecryption: true }),
    );
    expect(shown.Parameters?.[0]?.Value).toBe('S');
  });

  it('takes 1 to 10 names', async () => {
    const eleven = Array.from({ length: 11 }, (_, i) => `/app/n${i}`);
    expect(await rejectionOf(kit.ssm.send(new GetParametersCommand({ Names: eleven })))).toBeInstanceOf(
      ValidationException,
    );
    expect(await rejectionOf(kit.ssm.send(new GetParametersCommand({ Names: [] })))).toBeInstanceOf(
      ValidationException,
    );
    const ten = await kit.ssm.send(new GetParametersCommand({ Names: eleven.slice(0, 10) }));
    expect(ten.InvalidParameters).toHaveLength(10);
  });
});

describe('GetParametersByPath', () => {
  it('returns only the direct children of a path unless Recursive', async () => {
    expect(names(await allByPath({ Path: '/app' }))).toEqual(['/app/a', '/app/b', '/app/c', '/app/secret']);
    expect(names(await allByPath({ Path: '/app/', Recursive: true }))).toEqual([
      '/app/a',
      '/app/b',
      '/app/c',
      '/app/db/deep/x',
      '/app/db/host',
      '/app/db/port',
      '/app/secret',
    ]);
  });

  it('treats "/" as the root: single-level names directly, everything recursively', async () => {
    expect(names(await allByPath({ Path: '/' }))).toEqual(['root']);
    const everything = names(await allByPath({ Path: '/', Recursive: true }));
    expect(everything).toHaveLength(kit.server.parameterNames().length);
    expect(new Set(everything)).toEqual(new Set(kit.server.parameterNames()));
    expect(everything).toEqual(expect.arrayContaining(TREE.map(([name]) => name)));
  });

  it('pages with MaxResults and NextToken, returning every parameter exactly once', async () => {
    const first = await kit.ssm.send(
      new GetParametersByPathCommand({ Path: '/app', Recursive: true, MaxResults: 3 }),
    );
    expect(first.Parameters).toHaveLength(3);
    expect(first.NextToken).toBeDefined();
    const pages: string[][] = [];
    for await (const page of paginateGetParametersByPath(
      { client: kit.ssm, pageSize: 2 },
      { Path: '/app', Recursive: true },
    )) {
      pages.push(names(page.Parameters));
    }
    expect(pages.map((p) => p.length)).toEqual([2, 2, 2, 1]);
    expect(pages.flat()).toEqual(names(await allByPath({ Path: '/app', Recursive: true })));
  });

  it('takes MaxResults from 1 to 10 and rejects a NextToken from another request', async () => {
    for (const MaxResults of [0, 11]) {
      expect(
        await rejectionOf(kit.ssm.send(new GetParametersByPathCommand({ Path: '/app', MaxResults }))),
      ).toBeInstanceOf(ValidationException);
    }
    const { NextToken } = await kit.ssm.send(new GetParametersByPathCommand({ Path: '/app', MaxResults: 1 }));
    expect(
      await rejectionOf(kit.ssm.send(new GetParametersByPathCommand({ Path: '/other', NextToken }))),
    ).toBeInstanceOf(InvalidNextToken);
    expect(
      await rejectionOf(kit.ssm.send(new GetParametersByPathCommand({ Path: '/app', NextToken: 'garbage' }))),
    ).toBeInstanceOf(InvalidNextToken);
  });

  it('returns SecureString values decrypted only WithDecryption', async () => {
    const hidden = await allByPath({
      Path: '/app',
      ParameterFilters: [{ Key: 'Type', Values: ['SecureString'] }],
    });
    expect(hidden.map((p) => p.Value)).toEqual([ciphertext('alias/aws/ssm', 'S')]);
    const shown = await allByPath({
      Path: '/app',
      WithDecryption: true,
      ParameterFilters: [{ Key: 'Type', Values: ['SecureString'] }],
    });
    expect(shown.map((p) => p.Value)).toEqual(['S']);
  });

  it('filters by Type, KeyId and Label', async () => {
    expect(
      names(
        await allByPath({
          Path: '/app',
          ParameterFilters: [{ Key: 'Type', Option: 'Equals', Values: ['StringList'] }],
        }),
      ),
    ).toEqual(['/app/c']);
    expect(
      names(
        await allByPath({
          Path: '/app',
          ParameterFilters: [{ Key: 'KeyId', Option: 'BeginsWith', Values: ['alias/'] }],
        }),
      ),
    ).toEqual(['/app/secret']);
    await kit.ssm.send(
      new LabelParameterVersionCommand({ Name: '/app/a', ParameterVersion: 1, Labels: ['old'] }),
    );
    const labelled = await allByPath({ Path: '/app', ParameterFilters: [{ Key: 'Label', Values: ['old'] }] });
    expect(labelled.map((p) => [p.Name, p.Value, p.Version])).toEqual([['/app/a', 'A', 1]]);
  });

  it.each([
    ['Name', 'Equals', ['x'], InvalidFilterKey],
    ['Tier', 'Equals', ['Standard'], InvalidFilterKey],
    ['tag:team', 'Equals', ['x'], InvalidFilterKey],
    ['Type', 'Contains', ['String'], InvalidFilterOption],
    ['Label', 'BeginsWith', ['x'], InvalidFilterOption],
    ['Type', 'Equals', [], InvalidFilterValue],
    ['Type', 'Equals', ['Binary'], InvalidFilterValue],
    ['Colour', 'Equals', ['x'], ValidationException],
  ] as const)('rejects the filter %s/%s %j with %p', async (Key, Option, Values, expected) => {
    const error = await rejectionOf(
      kit.ssm.send(
        new GetParametersByPathCommand({
          Path: '/app',
          ParameterFilters: [{ Key, Option, Values: [...Values] }],
        }),
      ),
    );
    expect(error).toBeInstanceOf(expected);
  });

  it('rejects a filter key given twice with InvalidFilterKey', async () => {
    const filter = { Key: 'Type', Values: ['String'] };
    expect(
      await rejectionOf(
        kit.ssm.send(new GetParametersByPathCommand({ Path: '/app', ParameterFilters: [filter, filter] })),
      ),
    ).toBeInstanceOf(InvalidFilterKey);
  });

  it.each(['app', '/app//db', '/app/d b', '/' + Array.from({ length: 16 }, (_, i) => `l${i}`).join('/')])(
    'rejects the path %s with ValidationException',
    async (Path) => {
      expect(await rejectionOf(kit.ssm.send(new GetParametersByPathCommand({ Path })))).toBeInstanceOf(
        ValidationException,
      );
    },
  );
});
