import type { ServiceName } from '../../functions/core/aws/clients';
import { envVarName } from '../../functions/core/config';
import { LOCAL_CREDENTIALS, startLocalAws, type LocalAws, type LocalAwsOptions } from '../../local/harness';

/**
 * Starts the chosen local AWS servers before the file's tests and stops them after, returning a
 * getter for the running set. Each jest worker (test file) gets its own servers on its own ports.
 *
 * ```ts
 * const aws = useLocalAws({ kinesis: true, ssm: true });
 * it('...', async () => { const kinesis = aws().clients.client('kinesis', KinesisClient); });
 * ```
 */
export function useLocalAws(options: LocalAwsOptions = {}): () => LocalAws {
  let local: LocalAws | undefined;
  beforeAll(async () => {
    local = await startLocalAws(options);
  });
  afterAll(async () => {
    await local?.stop();
    local = undefined;
  });
  return () => {
    if (!local)
      throw new Error('The local AWS servers are not running: call the getter inside a test or hook.');
    return local;
  };
}

/**
 * The SKC_ variables that point a handler under test at the local servers: the region, the endpoints
 * of the services it calls and the dummy credentials the servers accept.
 */
export function localAwsEnv(local: LocalAws, services: readonly ServiceName[]): Record<string, string> {
  const env: Record<string, string> = {
    [envVarName('aws.region')]: local.region,
    [envVarName('aws.credentials.provider')]: LOCAL_CREDENTIALS.provider,
    [envVarName('aws.credentials.provider.basic.accesskeyid')]: LOCAL_CREDENTIALS.accessKeyId,
    [envVarName('aws.credentials.provider.basic.secretkey')]: LOCAL_CREDENTIALS.secretAccessKey,
  };
  for (const service of services) {
    const endpoint = local.endpoints[service];
    if (endpoint === undefined) throw new Error(`The local ${service} server is not running.`);
    env[envVarName(`aws.endpoint.${service}`)] = endpoint;
  }
  return env;
}
