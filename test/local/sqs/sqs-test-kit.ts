import { CreateQueueCommand, SQSClient } from '@aws-sdk/client-sqs';
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

/**
 * A local SQS server for one test file (or `describe`): started before its tests, emptied before each
 * test, closed after them. Its fields may be read inside tests and hooks.
 */
export function useSqs(options: LocalSqsServerOptions = {}): SqsFixture {
  let fixture: SqsFixture | undefined;
  beforeAll(async () => {
    fixture = await startSqs(options);
  });
  afterAll(() => fixture?.close());
  beforeEach(() => started().server.reset());
  const started = () => {
    if (!fixture) throw new Error('The local SQS server is not running: read it inside a test or hook.');
    return fixture;
  };
  return {
    get server() {
      return started().server;
    },
    get endpoint() {
      return started().endpoint;
    },
    get sqs() {
      return started().sqs;
    },
    get sqsOneAttempt() {
      return started().sqsOneAttempt;
    },
    close: () => started().close(),
  };
}

/** Creates a queue and returns its URL. */
export async function createQueue(
  sqs: SQSClient,
  QueueName: string,
  Attributes?: Record<string, string>,
): Promise<string> {
  const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName, Attributes }));
  return QueueUrl as string;
}

/** The fields an SDK v3 SQS error carries: its class name, the query-protocol code and the HTTP status. */
export function sqsError(name: string, code = name, status = 400) {
  return { name, Code: code, $metadata: expect.objectContaining({ httpStatusCode: status }) };
}
