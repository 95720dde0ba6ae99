import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { credentialKeys } from '../../../functions/core/config/aws-config';
import { CONSUMER_SETTINGS_LIST, PRODUCER_SETTINGS_LIST, envVarName } from '../../../functions/core/config';
import { settingsTables } from '../../support/config-docs';

describe('envVarName', () => {
  it.each([
    ['flink.shard.getrecords.maxrecordcount', 'SKC_FLINK_SHARD_GETRECORDS_MAXRECORDCOUNT'],
    ['streams', 'SKC_STREAMS'],
    ['aws.http-client.read-timeout', 'SKC_AWS_HTTP_CLIENT_READ_TIMEOUT'],
    ['aws.credentials.provider.role.sessionName', 'SKC_AWS_CREDENTIALS_PROVIDER_ROLE_SESSION_NAME'],
    [
      'aws.credentials.provider.webIdentityToken.file',
      'SKC_AWS_CREDENTIALS_PROVIDER_WEB_IDENTITY_TOKEN_FILE',
    ],
    ['RecordMaxBufferedTime', 'SKC_RECORD_MAX_BUFFERED_TIME'],
    ['RecordTtl', 'SKC_RECORD_TTL'],
  ])('%s is %s', (key, name) => {
    expect(envVarName(key)).toBe(name);
  });

  it('gives every key of both configurations, credentials three roles deep, a distinct name', () => {
    const keys = [
      ...new Set(
        [...CONSUMER_SETTINGS_LIST, ...PRODUCER_SETTINGS_LIST].map((s) => s.key).concat(credentialKeys(3)),
      ),
    ];
    const names = keys.map(envVarName);
    const clashes = keys.filter((_key, i) => names.indexOf(names[i] as string) !== i);
    expect(clashes).toEqual([]);
    expect(keys.length).toBeGreaterThan(80);
  });
});

describe('docs/configuration.md', () => {
  const doc = readFileSync(join(__dirname, '..', '..', '..', 'docs', 'configuration.md'), 'utf8');

  it.each(Object.entries(settingsTables()))(
    'holds the %s table exactly as the settings describe it (regenerate: npx tsx test/support/config-docs.ts)',
    (_name, table) => {
      expect(doc).toContain(table);
    },
  );
});
