/** Every environment variable this toolkit reads starts with this; all others are left alone. */
export const ENV_PREFIX = 'SKC_';

/**
 * The environment variable for a property key: `SKC_`, then the key in upper snake case, with dots
 * and dashes as underscores and camelCase split: `flink.shard.getrecords.maxrecordcount` is
 * `SKC_FLINK_SHARD_GETRECORDS_MAXRECORDCOUNT`, `aws.credentials.provider.role.sessionName` is
 * `SKC_AWS_CREDENTIALS_PROVIDER_ROLE_SESSION_NAME` and `RecordMaxBufferedTime` is
 * `SKC_RECORD_MAX_BUFFERED_TIME`.
 */
export function envVarName(key: string): string {
  return (
    ENV_PREFIX +
    key
      .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
      .replace(/[.-]/g, '_')
      .toUpperCase()
  );
}

/** The `SKC_*` variables of an environment, with their values. */
export function connectorVariables(env: Readonly<Record<string, string | undefined>>): [string, string][] {
  return Object.entries(env).filter(
    (entry): entry is [string, string] => entry[0].startsWith(ENV_PREFIX) && entry[1] !== undefined,
  );
}
