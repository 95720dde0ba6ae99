import {
  consumerConfig,
  consumerConfigFromEnv,
  consumerEnvironment,
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
    consumerName: 'orders-app',
    delivery: { targetFunction: 'arn:aws:lambda:eu-west-1:111122223333:function:processor' },
    onFailure: { queueUrl: 'https://sqs.eu-west-1.amazonaws.com/111122223333/failed' },
  };

  it('loads back through consumerConfigFromEnv as the same configuration', () => {
    expect(consumerConfigFromEnv(consumerEnvironment(options))).toEqual(consumerConfig(options));
  });

  it('writes a per-stream map (EFO consumer ARNs) one variable a stream, loaded back the same', () => {
    const arn = 'arn:aws:kinesis:eu-west-1:111122223333:stream/orders/consumer/app:1700000000';
    const withArns: ConsumerOptions = {
      ...options,
      streams: ['orders'],
      efo: { consumerArns: { orders: arn } },
    };
    const environment = consumerEnvironment(withArns);
    expect(Object.values(environment)).not.toContain('[object Object]');
    expect(environment).toMatchObject({ SKC_FLINK_STREAM_EFO_CONSUMERARN_ORDERS: arn });
    expect(consumerConfigFromEnv(environment)).toEqual(consumerConfig(withArns));
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
      producerName: 'orders-producer',
      deadLetterQueueUrl: 'https://sqs.eu-west-1.amazonaws.com/111122223333/dlq',
    };
    expect(producerConfigFromEnv(producerEnvironment(options))).toEqual(producerConfig(options));
  });
});

describe('settingText', () => {
  it('writes a date as epoch seconds with milliseconds, which every timestamp format accepts', () => {
    expect(settingText(new Date(1459799926480))).toBe('1459799926.480');
  });
});

describe('deployed resources as settings', () => {
  it('carry a DynamoDB checkpoint table, a target and an on-failure queue through SKC_ names only', () => {
    const options: ConsumerOptions = {
      streams: ['orders'],
      consumerName: 'orders-app',
      checkpoint: { store: 'dynamodb', dynamoDbTable: 'checkpoints' },
      delivery: { targetFunction: 'processor' },
      onFailure: { queueUrl: 'https://q.example.test/1/q' },
    };
    const env = consumerEnvironment(options);
    expect(env).toEqual({
      SKC_STREAMS: 'orders',
      SKC_CONSUMER_ONFAILURE_QUEUEURL: 'https://q.example.test/1/q',
      SKC_CONSUMER_TARGET_FUNCTION: 'processor',
      SKC_CONSUMER_NAME: 'orders-app',
      SKC_CONSUMER_CHECKPOINT_STORE: 'dynamodb',
      SKC_CONSUMER_CHECKPOINT_DYNAMODB_TABLE: 'checkpoints',
    });
    const config = consumerConfigFromEnv({ ...env, AWS_REGION: 'eu-west-1' });
    expect(config.checkpoint).toMatchObject({ store: 'dynamodb', dynamoDbTable: 'checkpoints' });
    expect(config.consumerName).toBe('orders-app');
  });

  it('name the producer and its dead-letter queue as settings, with the name defaulted', () => {
    expect(
      producerEnvironment({ producerName: 'p', deadLetterQueueUrl: 'https://q.example.test/1/dlq' }),
    ).toEqual({ SKC_PRODUCER_NAME: 'p', SKC_PRODUCER_DEADLETTERQUEUEURL: 'https://q.example.test/1/dlq' });
    const config = producerConfigFromEnv({ AWS_REGION: 'eu-west-1' });
    expect(config.producerName).toBe('kinesis-producer');
    expect(config.deadLetterQueueUrl).toBeUndefined();
  });

  it('refuse a dead-letter queue that is not a URL, naming the variable', () => {
    expect(() =>
      producerConfigFromEnv({ AWS_REGION: 'eu-west-1', SKC_PRODUCER_DEADLETTERQUEUEURL: 'dlq' }),
    ).toThrow(/SKC_PRODUCER_DEADLETTERQUEUEURL/);
  });
});
