import { SSMClient } from '@aws-sdk/client-ssm';
import { AwsClientFactory } from '../../../functions/core/aws/clients';
import { LOCAL_CREDENTIALS } from '../../../local/harness';
import { LocalSsmServer, type LocalSsmServerOptions } from '../../../local/ssm';

/** A local SSM server and an unmodified SDK v3 client that makes one attempt per call. */
export interface SsmKit {
  readonly server: LocalSsmServer;
  readonly ssm: SSMClient;
  stop(): Promise<void>;
}

export async function startSsm(options: LocalSsmServerOptions = {}): Promise<SsmKit> {
  const server = new LocalSsmServer(options);
  const endpoint = await server.listen();
  const factory = new AwsClientFactory({
    region: options.region ?? 'us-east-1',
    endpoints: { ssm: endpoint },
    credentials: LOCAL_CREDENTIALS,
    maxAttempts: { ssm: 1 },
  });
  const ssm = factory.client('ssm', SSMClient);
  return {
    server,
    ssm,
    stop: async () => {
      factory.destroy();
      await server.close();
    },
  };
}
