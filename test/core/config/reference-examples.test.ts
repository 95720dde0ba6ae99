import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { AwsClientFactory } from '../../../functions/core/aws/clients';
import {
  CONSUMER_DEFAULTS,
  PRODUCER_DEFAULTS,
  consumerConfigFromProperties,
  producerConfigFromProperties,
  toAwsSettings,
} from '../../../functions/core/config';
import { configError } from '../../support/config-errors';

// The examples in the reference connector's documentation, ported as .properties files.
const fixture = (name: string) => readFileSync(join(__dirname, 'fixtures', name), 'utf8');

describe('the reference consumer example, ported', () => {
  const config = consumerConfigFromProperties(fixture('consumer-example.properties'), {
    streams: ['kinesis_stream_name'],
  });

  it('loads with BASIC credentials, LATEST and the reference defaults', () => {
    expect(config.aws.region).toBe('us-east-1');
    expect(config.aws.credentials).toEqual({
      provider: 'BASIC',
      accessKeyId: 'aws_access_key_id',
      secretAccessKey: 'aws_secret_access_key',
    });
    expect(config.streams).toEqual(['kinesis_stream_name']);
    expect(config.initialPosition).toBe('LATEST');
    expect(config.getRecords).toEqual(CONSUMER_DEFAULTS.getRecords);
    expect(config.listShards).toEqual(CONSUMER_DEFAULTS.listShards);
    expect(config.discoveryIntervalMillis).toBe(10000);
  });

  it('hands the client factory the configured keys', async () => {
    const factory = new AwsClientFactory(toAwsSettings(config.aws));
    await expect(factory.config('kinesis').credentials?.()).resolves.toMatchObject({
      accessKeyId: 'aws_access_key_id',
      secretAccessKey: 'aws_secret_access_key',
    });
  });

  it('reads the documented AT_TIMESTAMP forms', () => {
    const at = (extra: string) =>
      consumerConfigFromProperties(
        `${fixture('consumer-example.properties')}\nflink.stream.initpos=AT_TIMESTAMP\n${extra}`.replace(
          'flink.stream.initpos=LATEST\n',
          '',
        ),
        { streams: ['kinesis_stream_name'] },
      ).initialTimestamp?.toISOString();
    expect(at('flink.stream.initpos.timestamp=2016-04-04T19:58:46.480-00:00')).toBe(
      '2016-04-04T19:58:46.480Z',
    );
    expect(
      at('flink.stream.initpos.timestamp=2016-04-04\nflink.stream.initpos.timestamp.format=yyyy-MM-dd'),
    ).toBe('2016-04-04T00:00:00.000Z');
    expect(at('flink.stream.initpos.timestamp=1459799926.480')).toBe('2016-04-04T19:58:46.480Z');
  });
});

describe('the reference producer example, ported', () => {
  // The example's setFailOnError, setDefaultStream and setDefaultPartition calls become typed options.
  const fromCode = { failOnError: true, defaultStream: 'kinesis_stream_name', defaultPartitionKey: '0' };

  it('is refused verbatim: its CollectionMaxCount of 1000 is past the 500 records PutRecords takes', () => {
    const error = configError(() =>
      producerConfigFromProperties(fixture('producer-example.properties'), fromCode),
    );
    expect(error.message).toBe(
      'CollectionMaxCount must be an integer from 1 to 500 (PutRecords takes at most 500 records); got "1000".',
    );
    expect(error.key).toBe('CollectionMaxCount');
  });

  it('loads once CollectionMaxCount is within the limit, keeping every other ported value', () => {
    const text = fixture('producer-example.properties').replace(
      'CollectionMaxCount=1000',
      'CollectionMaxCount=500',
    );
    const config = producerConfigFromProperties(text, fromCode);
    expect(config).toMatchObject({
      aggregationMaxCount: 4294967295,
      collectionMaxCount: 500,
      recordTtlMillis: 30000,
      requestTimeoutMillis: 6000,
      threadPoolSize: 15,
      failOnError: true,
      defaultStream: 'kinesis_stream_name',
      defaultPartitionKey: '0',
      aggregationEnabled: PRODUCER_DEFAULTS.aggregationEnabled,
      rateLimitPercent: 100,
    });
    expect(config.aws.credentials).toMatchObject({ provider: 'BASIC', accessKeyId: 'aws_access_key_id' });
  });

  it('with its commented-out lines enabled, takes AggregationEnabled and explains ThreadingModel', () => {
    const text = fixture('producer-example.properties')
      .replace('CollectionMaxCount=1000', 'CollectionMaxCount=500')
      .replace('# AggregationEnabled=false', 'AggregationEnabled=false')
      .replace('# ThreadingModel=PER_REQUEST', 'ThreadingModel=PER_REQUEST');
    expect(configError(() => producerConfigFromProperties(text, fromCode)).message).toBe(
      'ThreadingModel PER_REQUEST has no equivalent: the producer keeps at most ThreadPoolSize requests in flight. ' +
        'Remove it or set it to POOLED.',
    );
    const pooled = producerConfigFromProperties(text.replace('=PER_REQUEST', '=POOLED'), fromCode);
    expect(pooled.aggregationEnabled).toBe(false);
  });
});

describe('the reference endpoint example, ported', () => {
  it('points every client at the endpoint while the region still signs', () => {
    const config = producerConfigFromProperties(fixture('endpoint-example.properties'));
    const factory = new AwsClientFactory(toAwsSettings(config.aws));
    expect(factory.config('kinesis')).toMatchObject({
      endpoint: 'http://localhost:4567',
      region: 'us-east-1',
    });
    expect(factory.config('sqs')).toMatchObject({ endpoint: 'http://localhost:4567', region: 'us-east-1' });
  });
});
