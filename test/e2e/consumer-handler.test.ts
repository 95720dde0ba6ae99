import { Logger } from '@aws-lambda-powertools/logger';
import { KinesisClient } from '@aws-sdk/client-kinesis';
import { consumerConfigFromEnv } from '../../functions/core/config';
import { createConsumerHandler } from '../../functions/consumer/handler-factory';
import type { ConsumerRecord } from '../../functions/core/consumer/types';
import { ConfigurationError, DeliveryFailedError } from '../../functions/core/errors';
import type { LocalAws } from '../../local/harness';
import { nextMillisecond } from '../support/next-millisecond';
import { localAwsEnv, useLocalAws } from '../support/local-aws';
import { Collector, createStream, putRecords, uniquePath } from './consumer-support';

const aws = useLocalAws({ kinesis: true, ssm: true });
const kinesis = () => aws().clients.client('kinesis', KinesisClient);
const logger = new Logger({ logLevel: 'SILENT' });

/** The environment a deployed consumer gets, pointed at the local servers. */
function lambdaEnv(
  local: LocalAws,
  streams: string,
  extra: Record<string, string> = {},
): Record<string, string> {
  return {
    SKC_STREAMS: streams,
    ...localAwsEnv(local, ['kinesis', 'ssm']),
    SKC_CONSUMER_CHECKPOINT_SSM_PREFIX: uniquePath(),
    SKC_CONSUMER_TIMEBUDGETMILLIS: '1000',
    SKC_FLINK_SHARD_GETRECORDS_INTERVALMILLIS: '20',
    SKC_CONSUMER_CHECKPOINT_INTERVALMILLIS: '1000',
    ...extra,
  };
}

let requests = 0;
function context(remainingMillis: number) {
  const end = Date.now() + remainingMillis;
  return { awsRequestId: `request-${++requests}`, getRemainingTimeInMillis: () => end - Date.now() };
}

const handlerOptions = {
  logger,
  leaseSettleMillis: 300,
  shutdownReserveMillis: 200,
  metrics: false,
} as const;

describe('createConsumerHandler', () => {
  it('reads from the environment’s configuration and returns within its time budget', async () => {
    await createStream(kinesis(), 'handler-basic', 2);
    const sent = await putRecords(kinesis(), 'handler-basic', 300);
    const collector = new Collector();
    const handler = createConsumerHandler<string>((records) => collector.add(records), {
      ...handlerOptions,
      config: consumerConfigFromEnv(
        lambdaEnv(aws(), 'handler-basic', { SKC_FLINK_STREAM_INITPOS: 'TRIM_HORIZON' }),
      ),
    });
    // One invocation usually reads everything in its 1 s budget; a loaded machine may need another,
    // which resumes from the first one's checkpoint. Each returns at its budget: real time is what is
    // tested here, so the margin over the 1 s budget absorbs a slow machine, and stays far below the
    // 30 s the invocation has left, which is where it would stop if it ignored the budget.
    for (let invocation = 0; invocation < 10 && collector.missing(sent).length > 0; invocation++) {
      const started = Date.now();
      const result = await handler({ subtaskIndex: 0, parallelism: 1 }, context(30_000));
      expect(Date.now() - started).toBeLessThan(6_000);
      expect(result.status).toBe('completed');
      expect(result.summary?.stoppedBy).toBe('deadline');
    }
    expect(collector.missing(sent)).toEqual([]);
  });

  it.each([
    ['epoch seconds', (t: number) => ({ SKC_FLINK_STREAM_INITPOS_TIMESTAMP: (t / 1000).toFixed(3) })],
    [
      'a date in the configured pattern',
      (t: number) => ({
        SKC_FLINK_STREAM_INITPOS_TIMESTAMP: new Date(t)
          .toISOString()
          .replace('T', ' ')
          .replace('Z', '+00:00'),
        SKC_FLINK_STREAM_INITPOS_TIMESTAMP_FORMAT: 'yyyy-MM-dd HH:mm:ss.SSSXXX',
      }),
    ],
  ])('starts AT_TIMESTAMP given as %s', async (_form, timestampEnv) => {
    const stream = `handler-at-${requests}`;
    await createStream(kinesis(), stream, 1);
    await putRecords(kinesis(), stream, 50, { prefix: 'old' });
    const at = (await nextMillisecond()).getTime();
    const sent = await putRecords(kinesis(), stream, 50, { prefix: 'new', from: 50 });
    const collector = new Collector();
    const handler = createConsumerHandler<string>((records) => collector.add(records), {
      ...handlerOptions,
      config: consumerConfigFromEnv(
        lambdaEnv(aws(), stream, { SKC_FLINK_STREAM_INITPOS: 'AT_TIMESTAMP', ...timestampEnv(at) }),
      ),
    });
    await handler({}, context(10_000));
    expect(collector.missing(sent)).toEqual([]);
    expect(collector.records.filter((r) => r.data.startsWith('old'))).toEqual([]);
  });

  it('skips an invocation of a subtask another invocation is running', async () => {
    await createStream(kinesis(), 'handler-overlap', 1);
    const handler = createConsumerHandler<string>(() => undefined, {
      ...handlerOptions,
      leaseSettleMillis: 300,
      config: consumerConfigFromEnv(lambdaEnv(aws(), 'handler-overlap')),
    });
    const results = await Promise.all([
      handler({ subtaskIndex: 1, parallelism: 2 }, context(10_000)),
      handler({ subtaskIndex: 1, parallelism: 2 }, context(10_000)),
    ]);
    expect(results.map((r) => r.status).sort()).toEqual(['completed', 'skipped']);
  });

  it('throws after checkpointing the records before a record that keeps failing, and the next invocation delivers it', async () => {
    await createStream(kinesis(), 'handler-fail', 1);
    await putRecords(kinesis(), 'handler-fail', 30);
    const config = consumerConfigFromEnv(
      lambdaEnv(aws(), 'handler-fail', {
        SKC_FLINK_STREAM_INITPOS: 'TRIM_HORIZON',
        SKC_CONSUMER_BATCHSIZE: '10',
      }),
    );
    let failing = true;
    const seen: ConsumerRecord<string>[] = [];
    const handler = createConsumerHandler<string>(
      (records) => {
        if (failing && records.some((r) => r.data === 'r-15')) throw new Error('downstream rejected it');
        seen.push(...records);
      },
      { ...handlerOptions, config },
    );
    await expect(handler({}, context(10_000))).rejects.toThrow(DeliveryFailedError);
    expect(seen.map((r) => r.data)).toEqual(Array.from({ length: 15 }, (_, i) => `r-${i}`));
    failing = false;
    await handler({}, context(10_000));
    expect(seen.map((r) => r.data)).toEqual(Array.from({ length: 30 }, (_, i) => `r-${i}`));
  });

  it('rejects bad configuration and bad events with errors naming what to fix', async () => {
    expect(() => createConsumerHandler(() => undefined, { logger, config: undefined })).toThrow(
      ConfigurationError,
    );
    expect(() => createConsumerHandler(() => undefined, { logger })).toThrow(/SKC_STREAMS/);
    expect(() =>
      consumerConfigFromEnv(lambdaEnv(aws(), 'x', { SKC_FLINK_STREAM_INITPOS: 'AT_TIMESTAMP' })),
    ).toThrow(/SKC_FLINK_STREAM_INITPOS_TIMESTAMP is required/);
    const handler = createConsumerHandler(() => undefined, {
      ...handlerOptions,
      config: consumerConfigFromEnv(lambdaEnv(aws(), 'handler-events', { SKC_CONSUMER_PARALLELISM: '3' })),
    });
    await expect(handler({}, context(10_000))).rejects.toThrow(
      /with parallelism 3 the schedule's target input must carry/,
    );
    await expect(handler({ subtaskIndex: 3 }, context(10_000))).rejects.toThrow(/subtaskIndex is 3/);
    await expect(handler({ subtaskIndex: 0, parallelism: 0 }, context(10_000))).rejects.toThrow(
      /parallelism is 0/,
    );
    await expect(handler({ subtaskIndex: 0 }, context(200))).rejects.toThrow(/there is too little to read/);
    await expect(handler({ subtaskIndex: 0 }, context(10_000))).rejects.toThrow(
      /Stream "handler-events" was not found .*check the stream names and the region/,
    );
  });
});
