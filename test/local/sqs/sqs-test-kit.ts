import { SQSClient } from '@aws-sdk/client-sqs';
import { AwsClientFactory } from '../../../functions/core/aws/clients';
import { LocalSqsServer, type LocalSqsServerOptions } from '../../../local/sqs';

/** A local SQS server on a free port and an unmodified SDK v3 client pointed at it. */
export interface SqsFixture {
  readonly server: LocalSqsServer;
  readonly endpoint: string;
  readonly sqs: SQSClient;
  /** A client whose SDK makes one attempt only, to see throttling and failures as they come. */
  readonly sqsOneAttempt: SQSClient;
  close(): Promise<void>;
}

export async function startSqs(options: LocalSqsServerOptions = {}): Promise<SqsFixture> {
  const server = new LocalSqsServer(options);
  const endpoint = await server.listen(0);
  const settings = {
    region: 'us-east-1',
    endpoint,
    credentials: { provider: 'BASIC' as const, accessKeyId: 'AKIDLOCAL', secretAccessKey: 'local' },
  };
  const factory = new AwsClientFactory(settings);
  const oneAttempt = new AwsClientFactory({ ...settings, maxAttempts: { sqs: 1 } });
  return {
    server,
    endpoint,
    sqs: factory.client('sqs', SQSClient),
    sqsOneAttempt: oneAttempt.client('sqs', SQSClient),
    async close() {
      factory.destroy();
      oneAttempt.destroy();
      await server.close();
    },
  };
}

/** The fields an SDK v3 SQS error carries: its class name, the query-protocol code and the HTTP status. */
export function sqsError(name: string, code = name, status = 400) {
  return { name, Code: code, $metadata: expect.objectContaining({ httpStatusCode: status }) };
}
