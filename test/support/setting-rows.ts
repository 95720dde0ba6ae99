import { envVarName, type AwsConfig } from '../../functions/core/config';

/** A setting's key, where it lands, its default, a text value other than the default, and what that reads as. */
export type SettingRow<C> = [string, (c: C) => unknown, unknown, string, unknown];

/** A stand-in endpoint per service, each a different one so that a key landing on the wrong service fails. */
const SERVICE_ENDPOINTS = {
  kinesis: 'http://127.0.0.1:4567',
  ssm: 'http://127.0.0.1:4568',
  sqs: 'http://127.0.0.1:4569',
  dynamodb: 'https://ddb.local',
  lambda: 'https://lambda.local',
} as const;

/** The rows of the AWS client settings the consumer and the producer both read. */
export function awsClientRows<C extends { readonly aws: AwsConfig }>(): SettingRow<C>[] {
  const services = Object.keys(SERVICE_ENDPOINTS) as (keyof typeof SERVICE_ENDPOINTS)[];
  return [
    ['aws.endpoint', (c) => c.aws.endpoint, undefined, 'http://localhost:4567', 'http://localhost:4567'],
    ...services.map((service): SettingRow<C> => {
      const endpoint = SERVICE_ENDPOINTS[service];
      return [`aws.endpoint.${service}`, (c) => c.aws.endpoints[service], undefined, endpoint, endpoint];
    }),
    ['aws.http-client.connection-timeout', (c) => c.aws.connectionTimeoutMillis, 5000, '2500', 2500],
    ['aws.http-client.read-timeout', (c) => c.aws.requestTimeoutMillis, 30000, '1000', 1000],
    ['aws.kinesis.cbor', (c) => c.aws.kinesisCbor, true, 'false', false],
  ];
}

/** How a config test loads its config: with nothing but the required keys, from properties, from SKC_ variables. */
export interface SettingLoaders<C> {
  /** What the settings are called in the test names ("consumer", "producer"). */
  readonly owner: string;
  /** Every key of the settings table. */
  readonly keys: readonly string[];
  /** Keys with tests of their own instead of a row. */
  readonly specialKeys: readonly string[];
  readonly fromProps: (extra: Record<string, string>) => C;
  readonly fromEnv: (extra: Record<string, string>) => C;
}

/**
 * The tests every settings table gets, inside the caller's `describe`: the rows and the special keys
 * cover the table, and each row's default, properties key and SKC_ variable land in its field.
 */
export function testSettingRows<C>(rows: readonly SettingRow<C>[], loaders: SettingLoaders<C>): void {
  it(`covers every ${loaders.owner} key in this table or a test of its own`, () => {
    expect([...rows.map((r) => r[0]), ...loaders.specialKeys].sort()).toEqual([...loaders.keys].sort());
  });

  it.each(rows)('%s defaults to %p', (_key, get, expected) => {
    expect(get(loaders.fromProps({}))).toEqual(expected);
  });

  it.each(rows)('%s read from properties sets its field', (key, get, _default, text, expected) => {
    expect(get(loaders.fromProps({ [key]: text }))).toEqual(expected);
  });

  it.each(rows)(
    '%s read from its SKC_ environment variable sets its field',
    (key, get, _default, text, expected) => {
      expect(get(loaders.fromEnv({ [envVarName(key)]: text }))).toEqual(expected);
    },
  );
}
