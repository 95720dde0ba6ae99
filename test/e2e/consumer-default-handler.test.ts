import { KinesisClient } from '@aws-sdk/client-kinesis';
import type { ConsumerLambdaHandler } from '../../functions/consumer/schedule-event';
import { localAwsEnv, useLocalAws } from '../support/local-aws';
import { createStream, putRecords, uniquePath } from './consumer-support';

const aws = useLocalAws({ kinesis: true, ssm: true });

describe('the default consumer function', () => {
  const saved = { ...process.env };
  afterEach(() => {
    process.env = { ...saved };
  });

  it('loads its configuration from the environment when the module loads and reads the stream', async () => {
    await createStream(aws().clients.client('kinesis', KinesisClient), 'default-handler', 1);
    await putRecords(aws().clients.client('kinesis', KinesisClient), 'default-handler', 20);
    Object.assign(process.env, {
      POWERTOOLS_LOG_LEVEL: 'SILENT',
      SKC_STREAMS: 'default-handler',
      ...localAwsEnv(aws(), ['kinesis', 'ssm']),
      SKC_FLINK_STREAM_INITPOS: 'TRIM_HORIZON',
      SKC_CONSUMER_CHECKPOINT_SSM_PREFIX: uniquePath(),
      // Cost mode returns once the shard is caught up, so the budget is a bound, not the test's length:
      // SSM's 2 s settle delay comes out of it, and a loaded machine needs the rest.
      SKC_CONSUMER_TIMEBUDGETMILLIS: '30000',
      SKC_CONSUMER_COSTMODE: 'true',
      SKC_CONSUMER_IDLERETURNMILLIS: '300',
    });
    let handler: ConsumerLambdaHandler | undefined;
    await jest.isolateModulesAsync(async () => {
      handler = (await import('../../functions/consumer/handler')).handler;
    });
    const end = Date.now() + 40_000;
    const result = await handler?.(
      {},
      { awsRequestId: 'r-1', getRemainingTimeInMillis: () => end - Date.now() },
    );
    expect(result?.status).toBe('completed');
    expect(result?.summary?.recordsDelivered).toBe(20);
  });

  it('fails to load without its streams, naming the variable', async () => {
    delete process.env.SKC_STREAMS;
    process.env.SKC_AWS_REGION = 'us-east-1';
    await expect(
      jest.isolateModulesAsync(async () => {
        await import('../../functions/consumer/handler');
      }),
    ).rejects.toThrow(/SKC_STREAMS/);
  });
});
