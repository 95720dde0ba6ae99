// Renders the settings tables of docs/configuration.md from the settings themselves, so a test can
// hold the docs to the code. Print them with: npx tsx test/support/config-docs.ts
import { CREDENTIAL_FIELDS } from '../../functions/core/config/aws-config';
import {
  AWS_ENDPOINT_SETTINGS,
  AWS_SETTINGS,
  CONSUMER_SETTINGS_LIST,
  CREDENTIALS_KEY,
  PRODUCER_SETTINGS_LIST,
  envVarName,
  type Setting,
} from '../../functions/core/config';

const HEADER = '| key | environment variable | default | allowed | what it does |\n|---|---|---|---|---|';

function cell(text: string): string {
  return text.replace(/\|/g, '\\|');
}

function defaultCell(s: Setting<unknown>): string {
  if (s.required) return 'required';
  if (s.default !== undefined)
    return typeof s.default === 'string' ? `\`${s.default}\`` : `\`${String(s.default)}\``;
  return cell(s.defaultText ?? '-');
}

/** One table row per setting. */
export function settingRow(s: Setting<unknown>): string {
  return `| \`${s.key}\` | \`${envVarName(s.key)}\` | ${defaultCell(s)} | ${cell(s.kind.allowed)} | ${cell(s.description)} |`;
}

const aws = [...Object.values(AWS_SETTINGS), ...Object.values(AWS_ENDPOINT_SETTINGS)] as Setting<unknown>[];
const awsKeys = new Set(aws.map((s) => s.key));

/** The tables, by section: AWS, consumer, producer, credentials. */
export function settingsTables(): Record<'aws' | 'consumer' | 'producer' | 'credentials', string> {
  const table = (list: readonly Setting<unknown>[]) =>
    [HEADER, ...list.filter((s) => list === aws || !awsKeys.has(s.key)).map(settingRow)].join('\n');
  const credentialRows = [
    `| \`${CREDENTIALS_KEY}\` | \`${envVarName(CREDENTIALS_KEY)}\` | all | BASIC, ENV_VAR, PROFILE, ASSUME_ROLE, WEB_IDENTITY_TOKEN or AUTO | the provider; unset means BASIC when both basic keys are set, else AUTO |`,
    ...CREDENTIAL_FIELDS.map(
      (f) =>
        `| \`${CREDENTIALS_KEY}${f.suffix}\` | \`${envVarName(CREDENTIALS_KEY + f.suffix)}\` | ${f.providers.join(', ')} | ` +
        `${cell(f.kind.allowed)} | ${cell(f.description)}${f.requiredBy ? ` (required by ${f.requiredBy.join(', ')})` : ''} |`,
    ),
  ];
  return {
    aws: table(aws),
    consumer: table(CONSUMER_SETTINGS_LIST),
    producer: table(PRODUCER_SETTINGS_LIST),
    credentials: [
      '| key | environment variable | used by | allowed | what it does |\n|---|---|---|---|---|',
      ...credentialRows,
    ].join('\n'),
  };
}

if (require.main === module) {
  for (const [name, table] of Object.entries(settingsTables())) console.log(`<!-- ${name} -->\n${table}\n`);
}
