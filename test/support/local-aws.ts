import { startLocalAws, type LocalAws, type LocalAwsOptions } from '../../local/harness';

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
