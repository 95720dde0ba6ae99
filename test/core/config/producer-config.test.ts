import {
  PRODUCER_DEFAULTS,
  PRODUCER_SETTINGS_LIST,
  producerConfig,
  producerConfigFromEnv,
  producerConfigFromProperties,
  type ProducerConfig,
} from '../../../functions/core/config';
import { configError, problemsOf } from '../../support/config-errors';
import { awsClientRows, testSettingRows, type SettingRow } from '../../support/setting-rows';

const BASE = { 'aws.region': 'us-east-1' };

function fromProps(extra: Record<string, string>): ProducerConfig {
  return producerConfigFromProperties({ ...BASE, ...extra });
}

type Row = SettingRow<ProducerConfig>;

const ROWS: Row[] = [
  ...awsClientRows<ProducerConfig>(),
  ['AggregationEnabled', (c) => c.aggregationEnabled, true, 'false', false],
  ['AggregationMaxCount', (c) => c.aggregationMaxCount, 4294967295, '100', 100],
  ['AggregationMaxSize', (c) => c.aggregationMaxSizeBytes, 51200, '102400', 102400],
  ['CollectionMaxCount', (c) => c.collectionMaxCount, 500, '100', 100],
  ['CollectionMaxSize', (c) => c.collectionMaxSizeBytes, 5242880, '2097152', 2097152],
  ['RecordMaxBufferedTime', (c) => c.recordMaxBufferedTimeMillis, 100, '0', 0],
  ['RecordTtl', (c) => c.recordTtlMillis, 30000, '60000', 60000],
  ['RequestTimeout', (c) => c.requestTimeoutMillis, 6000, '10000', 10000],
  ['RateLimit', (c) => c.rateLimitPercent, 100, '150', 150],
  ['ThreadPoolSize', (c) => c.threadPoolSize, 10, '15', 15],
  ['FailIfThrottled', (c) => c.failIfThrottled, false, 'true', true],
  ['producer.defaultstream', (c) => c.defaultStream, undefined, 'orders', 'orders'],
  ['producer.defaultpartitionkey', (c) => c.defaultPartitionKey, undefined, 'tenant-1', 'tenant-1'],
  ['producer.allowedstreams', (c) => c.allowedStreams, undefined, 'orders,refunds', ['orders', 'refunds']],
  ['producer.maxrecordsizebytes', (c) => c.maxRecordSizeBytes, 1048576, '2097152', 2097152],
  ['producer.failonerror', (c) => c.failOnError, false, 'true', true],
  ['producer.name', (c) => c.producerName, 'kinesis-producer', 'orders-producer', 'orders-producer'],
  ['producer.retry.backoff.base', (c) => c.retryBaseMillis, 100, '250', 250],
  ['producer.retry.backoff.max', (c) => c.retryMaxMillis, 2000, '4000', 4000],
  ['producer.retry.backoff.expconst', (c) => c.retryExpConst, 2, '1.5', 1.5],
  ['producer.shardmap.ttlmillis', (c) => c.shardMapTtlMillis, 60000, '300000', 300000],
  ['producer.heapgrowingpercent', (c) => c.heapGrowingPercent, 300, '150', 150],
  [
    'producer.deadletterqueueurl',
    (c) => c.deadLetterQueueUrl,
    undefined,
    'https://sqs.us-east-1.amazonaws.com/123456789012/dlq',
    'https://sqs.us-east-1.amazonaws.com/123456789012/dlq',
  ],
  [
    'producer.sourcequeueurl',
    (c) => c.sourceQueueUrl,
    undefined,
    'https://sqs.us-east-1.amazonaws.com/123456789012/orders',
    'https://sqs.us-east-1.amazonaws.com/123456789012/orders',
  ],
  ['producer.maxreceivecount', (c) => c.maxReceiveCount, undefined, '5', 5],
];

const SPECIAL_KEYS = ['aws.region', 'producer.raw'];

describe('producer settings: every key and its default', () => {
  const defaults = fromProps({});

  testSettingRows(ROWS, {
    owner: 'producer',
    keys: PRODUCER_SETTINGS_LIST.map((s) => s.key),
    specialKeys: SPECIAL_KEYS,
    fromProps,
    fromEnv: (extra) => producerConfigFromEnv({ SKC_AWS_REGION: 'us-east-1', ...extra }),
  });

  it('uses KPL defaults with RateLimit 100 as the reference connector sets it, and exports them', () => {
    expect(PRODUCER_DEFAULTS.rateLimitPercent).toBe(100);
    const { aws: _aws, ...rest } = defaults;
    expect(rest).toEqual(PRODUCER_DEFAULTS);
  });

  it('reads raw mode, which needs a default stream', () => {
    expect(fromProps({ 'producer.raw': 'true', 'producer.defaultstream': 'orders' }).raw).toBe(true);
    expect(problemsOf(() => fromProps({ 'producer.raw': 'true' }))).toEqual([
      'producer.defaultstream is required when producer.raw is true: raw messages carry no stream name.',
    ]);
  });

  it('caps values past a JavaScript number, as a Java long allows, at Number.MAX_SAFE_INTEGER', () => {
    const config = fromProps({
      RecordTtl: '9223372036854775807',
      AggregationMaxCount: '9223372036854775807',
    });
    expect(config.recordTtlMillis).toBe(Number.MAX_SAFE_INTEGER);
    expect(config.aggregationMaxCount).toBe(Number.MAX_SAFE_INTEGER);
  });
});

describe('producer validation messages', () => {
  it.each<[Record<string, string>, string]>([
    [
      { CollectionMaxCount: '1000' },
      'CollectionMaxCount must be an integer from 1 to 500 (PutRecords takes at most 500 records); got "1000".',
    ],
    [
      { CollectionMaxSize: '1024' },
      'CollectionMaxSize must be an integer from 52224 to 10485760 (bytes; PutRecords takes at most 5 MiB, 10 MiB where AWS raised it); got "1024".',
    ],
    [
      { AggregationMaxSize: '63' },
      'AggregationMaxSize must be an integer from 64 to 10485760 (bytes; at most producer.maxrecordsizebytes); got "63".',
    ],
    [
      { AggregationMaxSize: '2097152' },
      'AggregationMaxSize must be at most producer.maxrecordsizebytes (1048576), since an aggregated record is one Kinesis record; got 2097152.',
    ],
    [
      { 'producer.maxrecordsizebytes': '10485760' },
      'CollectionMaxSize must be at least producer.maxrecordsizebytes (10485760), so the largest record fits in a request; got 5242880.',
    ],
    [
      { AggregationMaxCount: '0' },
      'AggregationMaxCount must be an integer from 1 to 9223372036854775807; got "0".',
    ],
    [
      { AggregationMaxCount: '9223372036854775808' },
      'AggregationMaxCount must be an integer from 1 to 9223372036854775807; got "9223372036854775808".',
    ],
    [
      { RecordTtl: '99' },
      'RecordTtl must be an integer from 100 to 9223372036854775807 (milliseconds); got "99".',
    ],
    [
      { RecordMaxBufferedTime: '-1' },
      'RecordMaxBufferedTime must be an integer from 0 to 9223372036854775807 (milliseconds); got "-1".',
    ],
    [
      { RequestTimeout: '600001' },
      'RequestTimeout must be an integer from 100 to 600000 (milliseconds); got "600001".',
    ],
    [
      { RateLimit: '0' },
      'RateLimit must be an integer from 1 to 9223372036854775807 (percent of the 1 MiB/s and 1,000 records/s per shard); got "0".',
    ],
    [{ ThreadPoolSize: '0' }, 'ThreadPoolSize must be an integer from 1 to 256; got "0".'],
    [{ AggregationEnabled: 'no' }, 'AggregationEnabled must be true or false; got "no".'],
    [{ FailIfThrottled: '' }, 'FailIfThrottled must be true or false; got "".'],
    [
      { 'producer.defaultstream': 'a/b' },
      'producer.defaultstream must be a stream name (1 to 128 letters, digits, "_", "." or "-") or a stream ARN ' +
        '(arn:<partition>:kinesis:<region>:<12-digit account>:stream/<name>); got "a/b".',
    ],
    [
      { 'producer.defaultpartitionkey': 'k'.repeat(257) },
      `producer.defaultpartitionkey must be a partition key of 1 to 256 Unicode characters; got "${'k'.repeat(60)}"... (257 characters).`,
    ],
    [
      { 'producer.defaultstream': 'orders', 'producer.allowedstreams': 'refunds,payments' },
      'producer.defaultstream must be one of producer.allowedstreams (refunds, payments); got "orders".',
    ],
    [
      { 'producer.maxrecordsizebytes': '10485761' },
      'producer.maxrecordsizebytes must be an integer from 1048576 to 10485760 (bytes; 1 MiB unless the stream was raised with UpdateMaxRecordSize); got "10485761".',
    ],
  ])('%p is refused: %s', (extra, message) => {
    expect(configError(() => fromProps(extra)).message).toBe(message);
  });

  it('counts a partition key in Unicode characters, not UTF-16 units', () => {
    const key = '😀'.repeat(256);
    expect(fromProps({ 'producer.defaultpartitionkey': key }).defaultPartitionKey).toBe(key);
  });

  it('accepts a 10 MiB record size when the request size leaves room for it', () => {
    const config = fromProps({ 'producer.maxrecordsizebytes': '10485760', CollectionMaxSize: '10485760' });
    expect(config.maxRecordSizeBytes).toBe(10485760);
  });
});

describe('producer keys from KPL files and older connector versions', () => {
  it('explains KPL keys that have no effect here', () => {
    expect(
      problemsOf(() =>
        fromProps({
          ThreadingModel: 'PER_REQUEST',
          MaxConnections: '24',
          MetricsLevel: 'detailed',
          Region: 'us-east-1',
          KinesisEndpoint: 'kinesis.us-east-1.amazonaws.com',
          NativeExecutable: '/opt/kpl',
        }),
      ),
    ).toEqual([
      'ThreadingModel PER_REQUEST has no equivalent: the producer keeps at most ThreadPoolSize requests in flight. ' +
        'Remove it or set it to POOLED.',
      'MaxConnections has no separate equivalent: ThreadPoolSize bounds concurrent requests; use it.',
      'MetricsLevel configures KPL CloudWatch metrics; this producer publishes its metrics through Powertools ' +
        'instead. Remove it.',
      'Region is aws.region here; use that key.',
      'KinesisEndpoint is aws.endpoint here (a full URL); use that key.',
      'NativeExecutable configures the KPL native process, which this producer does not have; remove it.',
    ]);
  });

  it('accepts ThreadingModel=POOLED and VerifyCertificate=true, which describe what it does', () => {
    expect(fromProps({ ThreadingModel: 'POOLED', VerifyCertificate: 'true' }).threadPoolSize).toBe(10);
  });

  it('reads the deprecated aws.producer.* keys as their KPL names', () => {
    const config = fromProps({
      'aws.producer.collectionMaxCount': '200',
      'aws.producer.aggregationMaxCount': '50',
      'aws.producer.rateLimit': '80',
    });
    expect([config.collectionMaxCount, config.aggregationMaxCount, config.rateLimitPercent]).toEqual([
      200, 50, 80,
    ]);
  });

  it('says a consumer key is a consumer setting', () => {
    expect(problemsOf(() => fromProps({ 'flink.stream.initpos': 'LATEST', streams: 'a' }))).toEqual([
      'flink.stream.initpos is a consumer setting; the producer does not read it.',
      'streams is a consumer setting; the producer does not read it.',
    ]);
  });

  it('reports an unknown KPL-style key with a suggestion', () => {
    expect(problemsOf(() => fromProps({ AggregationMaxSise: '100' }))).toEqual([
      'Unknown key AggregationMaxSise: did you mean AggregationMaxSize?',
    ]);
  });
});

describe('producerConfig (typed options) and env', () => {
  it('fills the defaults around typed options and freezes the result', () => {
    const config = producerConfig({
      aws: { region: 'eu-west-1' },
      defaultStream: 'orders',
      allowedStreams: ['orders'],
      rateLimitPercent: 50,
    });
    expect(config).toMatchObject({ defaultStream: 'orders', rateLimitPercent: 50, collectionMaxCount: 500 });
    expect(Object.isFrozen(config.allowedStreams)).toBe(true);
  });

  it('names typed fields in its messages', () => {
    expect(
      problemsOf(() => producerConfig({ aws: { region: 'eu-west-1' }, collectionMaxCount: 501, raw: true })),
    ).toEqual([
      'collectionMaxCount must be an integer from 1 to 500 (PutRecords takes at most 500 records); got 501.',
      'defaultStream is required when raw is true: raw messages carry no stream name.',
    ]);
  });

  it('maps KPL keys to SKC_ names with camel case split', () => {
    const config = producerConfigFromEnv({
      AWS_REGION: 'eu-west-1',
      SKC_RECORD_MAX_BUFFERED_TIME: '250',
      SKC_FAIL_IF_THROTTLED: 'true',
      SKC_PRODUCER_ALLOWEDSTREAMS: 'a,b',
    });
    expect([config.recordMaxBufferedTimeMillis, config.failIfThrottled, config.allowedStreams]).toEqual([
      250,
      true,
      ['a', 'b'],
    ]);
  });

  it('says a consumer variable is a consumer setting', () => {
    expect(problemsOf(() => producerConfigFromEnv({ AWS_REGION: 'eu-west-1', SKC_STREAMS: 'a' }))).toEqual([
      'SKC_STREAMS is a consumer setting; the producer does not read it.',
    ]);
  });
});
