import {
  consumerConfig,
  consumerConfigFromEnv,
  consumerDeploymentEnvironment,
  consumerDeploymentFromEnv,
  consumerEnvironment,
  producerDeploymentEnvironment,
  producerDeploymentFromEnv,
  producerConfig,
  producerConfigFromEnv,
  producerEnvironment,
  settingText,
  type ConsumerOptions,
  type ProducerOptions,
} from '../../../functions/core/config';
import { ConfigurationError } from '../../../functions/core/errors';

// The environment a deployment writes must load back as exactly the options it was written from.
describe('consumerEnvironment', () => {
  const options: ConsumerOptions = {
    aws: { region: 'eu-west-1', endpoint: 'https://kinesis.example.test', requestTimeoutMillis: 12000 },
    streams: ['orders', 'audit'],
    initialPosition: 'AT_TIMESTAMP',
    initialTimestamp: new Date('2026-01-02T03:04:05.678Z'),
    getRecords: { maxRecordCount: 500, intervalMillis: 750, backoff: { maxRetries: 5, expConst: 1.25 } },
    getShardIterator: { backoff: { baseMillis: 100 } },
    listShards: { backoff: { maxMillis: 9000 } },
    discoveryIntervalMillis: 30000,
    adaptiveReads: true,
    shardIdleIntervalMillis: 60000,
    parallelism: 4,
    checkpointIntervalMillis: 5000,
    timeBudgetMillis: 40000,
    batchSize: 250,
    maxBatchingMillis: 1000,
    checkpoint: { ssmPrefix: '/apps/orders', ssmTier: 'Advanced' },
    failOnError: true,
    deserializer: 'json',
  };

  it('loads back through consumerConfigFromEnv as the same configuration', () => {
    expect(consumerConfigFromEnv(consumerEnvironment(options))).toEqual(consumerConfig(options));
  });

  it('writes only the settings that are set, under their SKC_ names', () => {
    expect(consumerEnvironment({ streams: ['orders'], batchSize: 10 })).toEqual({
      SKC_STREAMS: 'orders',
      SKC_CONSUMER_BATCHSIZE: '10',
    });
  });

  it('refuses credentials, which must not reach a function’s environment', () => {
    const withKeys: ConsumerOptions = {
      streams: ['orders'],
      aws: { credentials: { provider: 'BASIC', accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' } },
    };
    expect(() => consumerEnvironment(withKeys)).toThrow(ConfigurationError);
    expect(() => consumerEnvironment(withKeys)).toThrow(
      'aws.credentials cannot be written to environment variables',
    );
  });
});

describe('producerEnvironment', () => {
  it('loads back through producerConfigFromEnv as the same configuration', () => {
    const options: ProducerOptions = {
      aws: { region: 'eu-west-1' },
      aggregationEnabled: false,
      aggregationMaxCount: 4294967295,
      aggregationMaxSizeBytes: 25600,
      collectionMaxCount: 100,
      recordMaxBufferedTimeMillis: 50,
      recordTtlMillis: 20000,
      rateLimitPercent: 80,
      threadPoolSize: 4,
      failIfThrottled: true,
      defaultStream: 'orders',
      defaultPartitionKey: 'key with spaces, and a comma',
      allowedStreams: ['orders', 'audit'],
      failOnError: true,
    };
    expect(producerConfigFromEnv(producerEnvironment(options))).toEqual(producerConfig(options));
  });
});

describe('settingText', () => {
  it('writes a date as epoch seconds with milliseconds, which every timestamp format accepts', () => {
    expect(settingText(new Date(1459799926480))).toBe('1459799926.480');
  });
});

describe('deployment variables', () => {
  it('carry a consumer deployment there and back, optional values included only when set', () => {
    const full = {
      consumerName: 'orders',
      onFailureQueueUrl: 'https://sqs.eu-west-1.amazonaws.com/111122223333/failed',
      targetFunction: 'arn:aws:lambda:eu-west-1:111122223333:function:processor',
      checkpointTable: 'checkpoints',
    };
    expect(consumerDeploymentFromEnv(consumerDeploymentEnvironment(full))).toEqual(full);
    const minimal = { consumerName: 'orders', onFailureQueueUrl: full.onFailureQueueUrl };
    expect(Object.keys(consumerDeploymentEnvironment(minimal))).toEqual([
      'CONSUMER_NAME',
      'CONSUMER_ON_FAILURE_QUEUE_URL',
    ]);
    expect(consumerDeploymentFromEnv(consumerDeploymentEnvironment(minimal))).toEqual(minimal);
  });

  it('carry a producer deployment there and back', () => {
    const deployment = { producerName: 'orders', deadLetterQueueUrl: 'https://sqs.example.test/1/dlq' };
    expect(producerDeploymentFromEnv(producerDeploymentEnvironment(deployment))).toEqual(deployment);
  });

  it('name the missing variable when one is not set', () => {
    expect(() => producerDeploymentFromEnv({ PRODUCER_NAME: 'p' })).toThrow(
      "PRODUCER_DEAD_LETTER_QUEUE_URL is not set; the function's deployment (the CDK construct) must set it to its deadLetterQueueUrl.",
    );
  });

  it('stay outside the SKC_ names, so the settings loaders never see them', () => {
    const env = {
      ...consumerDeploymentEnvironment({
        consumerName: 'c',
        onFailureQueueUrl: 'https://q.example.test/1/q',
      }),
      SKC_STREAMS: 'orders',
      AWS_REGION: 'eu-west-1',
    };
    expect(consumerConfigFromEnv(env).streams).toEqual(['orders']);
  });
});
