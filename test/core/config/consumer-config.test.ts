import {
  CONSUMER_DEFAULTS,
  CONSUMER_SETTINGS_LIST,
  consumerConfig,
  consumerConfigFromEnv,
  consumerConfigFromProperties,
  type ConsumerConfig,
} from '../../../functions/core/config';
import { configError, problemsOf } from '../../support/config-errors';
import { awsClientRows, testSettingRows, type SettingRow } from '../../support/setting-rows';

const BASE = { 'aws.region': 'us-east-1', streams: 'orders' };
const BASE_ENV = { SKC_AWS_REGION: 'us-east-1', SKC_STREAMS: 'orders' };

function fromProps(extra: Record<string, string>): ConsumerConfig {
  return consumerConfigFromProperties({ ...BASE, ...extra });
}

type Row = SettingRow<ConsumerConfig>;

type Backoff = ConsumerConfig['getRecords']['backoff'];
type BackoffValues = Readonly<Record<keyof Backoff, readonly [byDefault: number, other: number]>>;

/** A reference backoff's four keys (`<prefix>.maxretries`, `.backoff.base`, `.max`, `.expconst`) as rows. */
function backoffRows(prefix: string, backoff: (c: ConsumerConfig) => Backoff, values: BackoffValues): Row[] {
  const keys = {
    maxRetries: 'maxretries',
    baseMillis: 'backoff.base',
    maxMillis: 'backoff.max',
    expConst: 'backoff.expconst',
  };
  return (Object.keys(keys) as (keyof Backoff)[]).map((field) => {
    const [byDefault, other] = values[field];
    return [`${prefix}.${keys[field]}`, (c) => backoff(c)[field], byDefault, String(other), other];
  });
}

const ROWS: Row[] = [
  ...awsClientRows<ConsumerConfig>(),
  ['flink.stream.initpos', (c) => c.initialPosition, 'LATEST', 'TRIM_HORIZON', 'TRIM_HORIZON'],
  ['flink.shard.getrecords.maxrecordcount', (c) => c.getRecords.maxRecordCount, 10000, '500', 500],
  ['flink.shard.getrecords.intervalmillis', (c) => c.getRecords.intervalMillis, 200, '1000', 1000],
  ...backoffRows('flink.shard.getrecords', (c) => c.getRecords.backoff, {
    maxRetries: [3, 5],
    baseMillis: [300, 100],
    maxMillis: [1000, 2000],
    expConst: [1.5, 2.5],
  }),
  ...backoffRows('flink.shard.getiterator', (c) => c.getShardIterator.backoff, {
    maxRetries: [3, 0],
    baseMillis: [300, 50],
    maxMillis: [1000, 3000],
    expConst: [1.5, 2],
  }),
  ['flink.shard.discovery.intervalmillis', (c) => c.discoveryIntervalMillis, 10000, '30000', 30000],
  ...backoffRows('flink.list.shards', (c) => c.listShards.backoff, {
    maxRetries: [10, 4],
    baseMillis: [1000, 500],
    maxMillis: [5000, 8000],
    expConst: [1.5, 1.25],
  }),
  ['flink.shard.adaptivereads', (c) => c.adaptiveReads, false, 'TRUE', true],
  ['flink.shard.idle.interval', (c) => c.shardIdleIntervalMillis, -1, '60000', 60000],
  ['consumer.parallelism', (c) => c.parallelism, 1, '4', 4],
  ['consumer.checkpoint.intervalmillis', (c) => c.checkpointIntervalMillis, 10000, '60000', 60000],
  ['consumer.timebudgetmillis', (c) => c.timeBudgetMillis, 50000, '240000', 240000],
  ['consumer.batchsize', (c) => c.batchSize, 100, '500', 500],
  ['consumer.maxbatchingmillis', (c) => c.maxBatchingMillis, 0, '1000', 1000],
  [
    'consumer.checkpoint.ssm.prefix',
    (c) => c.checkpoint.ssmPrefix,
    '/serverless-kinesis-connector/checkpoints',
    '/orders-app/cp',
    '/orders-app/cp',
  ],
  ['consumer.checkpoint.ssm.tier', (c) => c.checkpoint.ssmTier, 'Standard', 'Advanced', 'Advanced'],
  ['consumer.failonerror', (c) => c.failOnError, false, 'true', true],
  ['consumer.deserializer', (c) => c.deserializer, 'string', 'json', 'json'],
  ['consumer.name', (c) => c.consumerName, 'kinesis-consumer', 'orders-app', 'orders-app'],
  ...backoffRows('consumer.delivery', (c) => c.delivery.backoff, {
    maxRetries: [3, 6],
    baseMillis: [300, 50],
    maxMillis: [1000, 4000],
    expConst: [1.5, 3],
  }),
  ['consumer.delivery.bisect', (c) => c.delivery.bisect, true, 'false', false],
  [
    'consumer.target.function',
    (c) => c.delivery.targetFunction,
    undefined,
    'arn:aws:lambda:eu-west-1:123456789012:function:process-orders:live',
    'arn:aws:lambda:eu-west-1:123456789012:function:process-orders:live',
  ],
  [
    'consumer.onfailure.queueurl',
    (c) => c.onFailure.queueUrl,
    undefined,
    'https://sqs.eu-west-1.amazonaws.com/123456789012/orders-failed',
    'https://sqs.eu-west-1.amazonaws.com/123456789012/orders-failed',
  ],
  ['consumer.onfailure.maxmessagebytes', (c) => c.onFailure.maxMessageBytes, 262144, '1048576', 1048576],
  ['consumer.costmode', (c) => c.costMode, false, 'true', true],
  ['consumer.idlereturnmillis', (c) => c.idleReturnMillis, 5000, '0', 0],
  ['consumer.continuous', (c) => c.continuous, true, 'false', false],
  ['consumer.handover.leadmillis', (c) => c.handoverLeadMillis, 5000, '0', 0],
  ['consumer.lease.expirymillis', (c) => c.leaseExpiryMillis, 20000, '60000', 60000],
  ['flink.stream.efo.registration', (c) => c.efo.registration, 'LAZY', 'EAGER', 'EAGER'],
  ['flink.stream.efo.consumername', (c) => c.efo.consumerName, undefined, 'orders-app', 'orders-app'],
  ['flink.shard.subscribetoshard.timeout', (c) => c.efo.subscribeToShard.timeoutMillis, 60000, '30', 30000],
  ...backoffRows('flink.shard.subscribetoshard', (c) => c.efo.subscribeToShard.backoff, {
    maxRetries: [10, 4],
    baseMillis: [1000, 50],
    maxMillis: [2000, 3000],
    expConst: [1.5, 2],
  }),
  [
    'flink.stream.registerstreamconsumer.timeout',
    (c) => c.efo.registerStreamConsumer.timeoutMillis,
    60000,
    '90',
    90000,
  ],
  ...backoffRows('flink.stream.registerstreamconsumer', (c) => c.efo.registerStreamConsumer.backoff, {
    maxRetries: [10, 3],
    baseMillis: [500, 100],
    maxMillis: [2000, 900],
    expConst: [1.5, 2],
  }),
  ...backoffRows('flink.stream.describestreamconsumer', (c) => c.efo.describeStreamConsumer.backoff, {
    maxRetries: [50, 5],
    baseMillis: [2000, 100],
    maxMillis: [5000, 9000],
    expConst: [1.5, 2],
  }),
  ['consumer.lease.settlemillis', (c) => c.leaseSettleMillis, 2000, '500', 500],
  ['consumer.shutdown.reservemillis', (c) => c.shutdownReserveMillis, 5000, '8000', 8000],
  ['consumer.heapgrowingpercent', (c) => c.heapGrowingPercent, 300, '0', 0],
];

/** Keys with tests of their own below: required ones and the AT_TIMESTAMP pair. */
const SPECIAL_KEYS = [
  'consumer.checkpoint.store',
  'consumer.checkpoint.dynamodb.table',
  'consumer.exactlyonce',
  'consumer.state.dynamodb.table',
  'aws.region',
  'streams',
  'flink.stream.initpos.timestamp',
  'flink.stream.initpos.timestamp.format',
  'flink.stream.recordpublisher',
  'flink.stream.efo.consumerarn.<stream>',
  // test/core/aws/stream-ref.test.ts
  'consumer.efo.consumerarns',
];

describe('enhanced fan-out settings', () => {
  const ARN = 'arn:aws:kinesis:us-east-1:123456789012:stream/orders/consumer/orders-app:1700000000';

  it('polls by default and reads with EFO as the named consumer', () => {
    expect(fromProps({}).recordPublisher).toBe('POLLING');
    const config = fromProps({
      'flink.stream.recordpublisher': 'EFO',
      'flink.stream.efo.consumername': 'orders-app',
    });
    expect(config.recordPublisher).toBe('EFO');
    expect(config.efo).toMatchObject({ consumerName: 'orders-app', registration: 'LAZY', consumerArns: {} });
  });

  it('needs a consumer name with EFO unless every stream has a consumer ARN, and every ARN with NONE', () => {
    expect(problemsOf(() => fromProps({ 'flink.stream.recordpublisher': 'EFO' }))).toEqual([
      'flink.stream.efo.consumername is required when flink.stream.recordpublisher is EFO: it names the stream ' +
        'consumer of orders.',
    ]);
    expect(
      problemsOf(() =>
        fromProps({
          'flink.stream.recordpublisher': 'EFO',
          'flink.stream.efo.registration': 'NONE',
          'flink.stream.efo.consumername': 'orders-app',
        }),
      ),
    ).toEqual([
      'flink.stream.efo.registration is NONE, so every stream needs flink.stream.efo.consumerarn.<stream>; ' +
        'missing for orders.',
    ]);
  });

  it('reads a consumer ARN per stream from properties, the environment and code', () => {
    const efo = { 'flink.stream.recordpublisher': 'EFO', 'flink.stream.efo.registration': 'NONE' };
    expect(fromProps({ ...efo, 'flink.stream.efo.consumerarn.orders': ARN }).efo.consumerArns).toEqual({
      orders: ARN,
    });
    const env = consumerConfigFromEnv({
      ...BASE_ENV,
      SKC_FLINK_STREAM_RECORDPUBLISHER: 'EFO',
      SKC_FLINK_STREAM_EFO_REGISTRATION: 'NONE',
      SKC_FLINK_STREAM_EFO_CONSUMERARN_ORDERS: ARN,
    });
    expect(env.efo.consumerArns).toEqual({ orders: ARN });
    const typed = consumerConfig({
      aws: { region: 'us-east-1' },
      streams: ['orders'],
      recordPublisher: 'EFO',
      efo: { registration: 'NONE', consumerArns: { orders: ARN } },
    });
    expect(typed.efo.consumerArns).toEqual({ orders: ARN });
  });

  it('names the key of a consumer ARN that is not one, or is for a stream not read', () => {
    expect(problemsOf(() => fromProps({ 'flink.stream.efo.consumerarn.orders': 'arn:nope' }))).toEqual([
      'flink.stream.efo.consumerarn.orders must be a stream consumer ARN ' +
        '(arn:aws:kinesis:<region>:<account>:stream/<stream>/consumer/<name>:<timestamp>); got "arn:nope".',
    ]);
  });
});

describe('consumer settings: every key and its default', () => {
  const defaults = fromProps({});

  testSettingRows(ROWS, {
    owner: 'consumer',
    keys: CONSUMER_SETTINGS_LIST.map((s) => s.key),
    specialKeys: SPECIAL_KEYS,
    fromProps,
    fromEnv: (extra) => consumerConfigFromEnv({ ...BASE_ENV, ...extra }),
  });

  it('matches the exported defaults, which docs and constructs use', () => {
    expect(defaults).toMatchObject({
      initialPosition: CONSUMER_DEFAULTS.initialPosition,
      getRecords: CONSUMER_DEFAULTS.getRecords,
      getShardIterator: CONSUMER_DEFAULTS.getShardIterator,
      listShards: CONSUMER_DEFAULTS.listShards,
      checkpoint: CONSUMER_DEFAULTS.checkpoint,
      timeBudgetMillis: CONSUMER_DEFAULTS.timeBudgetMillis,
    });
    expect(defaults.aws.credentials).toEqual({ provider: 'AUTO' });
    expect(defaults.initialTimestamp).toBeUndefined();
  });

  it('reads several streams from a comma-separated list, trimming spaces', () => {
    expect(fromProps({ streams: 'orders, payments ,refunds' }).streams).toEqual([
      'orders',
      'payments',
      'refunds',
    ]);
  });
});

describe('consumerConfig (typed options)', () => {
  it('fills every default and keeps what was given, nested objects merged field by field', () => {
    const config = consumerConfig({
      streams: ['orders'],
      aws: { region: 'eu-west-1' },
      getRecords: { backoff: { maxRetries: 7 } },
      checkpoint: { ssmTier: 'Advanced' },
    });
    expect(config.getRecords).toEqual({
      maxRecordCount: 10000,
      intervalMillis: 200,
      backoff: { maxRetries: 7, baseMillis: 300, maxMillis: 1000, expConst: 1.5 },
    });
    expect(config.checkpoint).toEqual({
      store: 'ssm',
      ssmPrefix: '/serverless-kinesis-connector/checkpoints',
      ssmTier: 'Advanced',
    });
    expect(config.aws).toEqual({
      region: 'eu-west-1',
      endpoints: {},
      credentials: { provider: 'AUTO' },
      connectionTimeoutMillis: 5000,
      requestTimeoutMillis: 30000,
      kinesisCbor: true,
    });
  });

  it('returns a deeply frozen object so the runtime cannot change it', () => {
    const config = consumerConfig({ streams: ['orders'], aws: { region: 'eu-west-1' } });
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.getRecords.backoff)).toBe(true);
    expect(Object.isFrozen(config.streams)).toBe(true);
    expect(Object.isFrozen(config.aws.credentials)).toBe(true);
    expect(() => {
      (config.getRecords as { maxRecordCount: number }).maxRecordCount = 1;
    }).toThrow(TypeError);
  });

  it('takes AT_TIMESTAMP with a Date, or with text in a given pattern', () => {
    const date = new Date('2016-04-04T19:58:46.480Z');
    const withDate = consumerConfig({
      streams: ['orders'],
      aws: { region: 'eu-west-1' },
      initialPosition: 'AT_TIMESTAMP',
      initialTimestamp: date,
    });
    expect(withDate.initialTimestamp).toEqual(date);
    expect(withDate.initialTimestamp).not.toBe(date);
    const withText = consumerConfig({
      streams: ['orders'],
      aws: { region: 'eu-west-1' },
      initialPosition: 'AT_TIMESTAMP',
      initialTimestamp: '2016-04-04',
      initialTimestampFormat: 'yyyy-MM-dd',
    });
    expect(withText.initialTimestamp?.toISOString()).toBe('2016-04-04T00:00:00.000Z');
  });

  it('names typed paths in its messages and reports values of the wrong type', () => {
    expect(
      problemsOf(() =>
        consumerConfig({
          streams: 'orders' as unknown as string[],
          aws: { region: 'eu-west-1' },
          getRecords: { maxRecordCount: '100' as unknown as number, intervalMillis: 2.5 },
          adaptiveReads: 'true' as unknown as boolean,
        }),
      ),
    ).toEqual([
      'streams must be a list of distinct streams, each a stream name (1 to 128 letters, digits, "_", "." or "-") or a stream ARN (arn:<partition>:kinesis:<region>:<12-digit account>:stream/<name>), ' +
        'comma-separated in text; got "orders".',
      'getRecords.maxRecordCount must be an integer from 1 to 10000; got "100".',
      'getRecords.intervalMillis must be an integer from 0 to 299999 (milliseconds, below the 5-minute shard ' +
        'iterator expiry); got 2.5.',
      'adaptiveReads must be true or false; got "true".',
    ]);
  });

  it('reports unknown options with a suggestion, and values where an object belongs', () => {
    expect(
      problemsOf(() =>
        consumerConfig({
          streams: ['orders'],
          aws: { region: 'eu-west-1' },
          getRecord: { maxRecordCount: 5 },
          listShards: 3,
          checkpoint: { ssmPrefx: '/x' },
          colour: 'blue',
        } as never),
      ),
    ).toEqual([
      'Unknown option getRecord: did you mean getRecords?',
      'listShards must be an object; got 3.',
      'Unknown option checkpoint.ssmPrefx: did you mean checkpoint.ssmPrefix?',
      'Unknown option colour: it is not a consumer option.',
    ]);
  });

  it('refuses an invalid Date and a pattern given alongside a Date', () => {
    expect(
      problemsOf(() =>
        consumerConfig({
          streams: ['orders'],
          aws: { region: 'eu-west-1' },
          initialPosition: 'AT_TIMESTAMP',
          initialTimestamp: new Date('nonsense'),
        }),
      ),
    ).toEqual([
      "initialTimestamp must be a date in the pattern yyyy-MM-dd'T'HH:mm:ss.SSSXXX or epoch seconds such as " +
        '1459799926.480; got an invalid Date.',
    ]);
    expect(
      problemsOf(() =>
        consumerConfig({
          streams: ['orders'],
          aws: { region: 'eu-west-1' },
          initialPosition: 'AT_TIMESTAMP',
          initialTimestamp: new Date(0),
          initialTimestampFormat: 'yyyy',
        }),
      ),
    ).toEqual([
      'initialTimestampFormat is only used when initialTimestamp is text; initialTimestamp is a Date.',
    ]);
  });
});

describe('consumer validation messages', () => {
  const AT = 'flink.stream.initpos';
  it.each<[Record<string, string>, string]>([
    [
      { 'flink.shard.getrecords.maxrecordcount': '0' },
      'flink.shard.getrecords.maxrecordcount must be an integer from 1 to 10000; got "0".',
    ],
    [
      { 'flink.shard.getrecords.maxrecordcount': '10001' },
      'flink.shard.getrecords.maxrecordcount must be an integer from 1 to 10000; got "10001".',
    ],
    [
      { 'flink.shard.getrecords.maxrecordcount': '1e3' },
      'flink.shard.getrecords.maxrecordcount must be an integer from 1 to 10000; got "1e3".',
    ],
    [
      { 'flink.shard.getrecords.intervalmillis': '300000' },
      'flink.shard.getrecords.intervalmillis must be an integer from 0 to 299999 (milliseconds, below the 5-minute shard iterator expiry); got "300000".',
    ],
    [
      { 'flink.shard.getrecords.maxretries': '-1' },
      'flink.shard.getrecords.maxretries must be an integer of at least 0; got "-1".',
    ],
    [
      { 'flink.shard.getiterator.backoff.base': 'fast' },
      'flink.shard.getiterator.backoff.base must be an integer of at least 0 (milliseconds); got "fast".',
    ],
    [
      { 'flink.list.shards.backoff.expconst': '0' },
      'flink.list.shards.backoff.expconst must be a number greater than 0; got "0".',
    ],
    [
      { 'flink.shard.getrecords.backoff.max': '200' },
      'flink.shard.getrecords.backoff.max must be at least flink.shard.getrecords.backoff.base (300); got 200.',
    ],
    [
      { 'flink.shard.discovery.intervalmillis': '0' },
      'flink.shard.discovery.intervalmillis must be an integer of at least 1 (milliseconds); got "0".',
    ],
    [{ 'flink.shard.adaptivereads': 'yes' }, 'flink.shard.adaptivereads must be true or false; got "yes".'],
    [
      { 'flink.shard.idle.interval': '0' },
      'flink.shard.idle.interval must be -1 (off) or an integer of at least 1 (milliseconds); got "0".',
    ],
    [
      { [AT]: 'EARLIEST' },
      'flink.stream.initpos must be one of LATEST, TRIM_HORIZON or AT_TIMESTAMP; got "EARLIEST".',
    ],
    [
      { [AT]: 'AT_TIMESTAMP' },
      "flink.stream.initpos.timestamp is required when flink.stream.initpos is AT_TIMESTAMP: a date in the pattern yyyy-MM-dd'T'HH:mm:ss.SSSXXX or epoch seconds such as 1459799926.480.",
    ],
    [
      { [AT]: 'AT_TIMESTAMP', 'flink.stream.initpos.timestamp': 'yesterday' },
      'flink.stream.initpos.timestamp must be a date in the pattern yyyy-MM-dd\'T\'HH:mm:ss.SSSXXX or epoch seconds such as 1459799926.480; got "yesterday".',
    ],
    [
      {
        [AT]: 'AT_TIMESTAMP',
        'flink.stream.initpos.timestamp': '04/04/2016',
        'flink.stream.initpos.timestamp.format': 'yyyy-MM-dd',
      },
      'flink.stream.initpos.timestamp must be a date in the pattern yyyy-MM-dd or epoch seconds such as 1459799926.480; got "04/04/2016".',
    ],
    [
      {
        [AT]: 'AT_TIMESTAMP',
        'flink.stream.initpos.timestamp': '2016-04-04 PST',
        'flink.stream.initpos.timestamp.format': 'yyyy-MM-dd z',
      },
      'flink.stream.initpos.timestamp.format must be a Java SimpleDateFormat pattern this parser supports (z (a time zone name such as PST) cannot be parsed here; use XXX (-08:00) or Z (-0800)); got "yyyy-MM-dd z".',
    ],
    [
      { 'flink.stream.initpos.timestamp': '1459799926.480' },
      'flink.stream.initpos.timestamp is only used when flink.stream.initpos is AT_TIMESTAMP; flink.stream.initpos is LATEST.',
    ],
    [
      { [AT]: 'TRIM_HORIZON', 'flink.stream.initpos.timestamp.format': 'yyyy-MM-dd' },
      'flink.stream.initpos.timestamp.format is only used when flink.stream.initpos is AT_TIMESTAMP; flink.stream.initpos is TRIM_HORIZON.',
    ],
    [
      { streams: 'orders,,refunds' },
      'streams must be a list of distinct streams, each a stream name (1 to 128 letters, digits, "_", "." or "-") or a stream ARN (arn:<partition>:kinesis:<region>:<12-digit account>:stream/<name>), comma-separated in text; got "orders,,refunds".',
    ],
    [
      { streams: 'orders,orders' },
      'streams must be a list of distinct streams, each a stream name (1 to 128 letters, digits, "_", "." or "-") or a stream ARN (arn:<partition>:kinesis:<region>:<12-digit account>:stream/<name>), comma-separated in text; got "orders,orders".',
    ],
    [
      { streams: 'my stream' },
      'streams must be a list of distinct streams, each a stream name (1 to 128 letters, digits, "_", "." or "-") or a stream ARN (arn:<partition>:kinesis:<region>:<12-digit account>:stream/<name>), comma-separated in text; got "my stream".',
    ],
    [
      { 'aws.region': 'US-EAST-1' },
      'aws.region must be an AWS region name such as us-east-1; got "US-EAST-1".',
    ],
    [
      { 'aws.endpoint': 'localhost:4567' },
      'aws.endpoint must be an http:// or https:// URL; got "localhost:4567".',
    ],
    [
      { 'aws.endpoint.kinesis': 'ftp://x' },
      'aws.endpoint.kinesis must be an http:// or https:// URL; got "ftp://x".',
    ],
    [
      { 'aws.http-client.read-timeout': '0' },
      'aws.http-client.read-timeout must be an integer from 1 to 900000 (milliseconds); got "0".',
    ],
    [{ 'consumer.parallelism': '0' }, 'consumer.parallelism must be an integer from 1 to 1000; got "0".'],
    [
      { 'consumer.checkpoint.intervalmillis': '999' },
      'consumer.checkpoint.intervalmillis must be an integer of at least 1000 (milliseconds; SSM writes are scarce); got "999".',
    ],
    [
      { 'consumer.timebudgetmillis': '900001' },
      'consumer.timebudgetmillis must be an integer from 1000 to 900000 (milliseconds; a Lambda invocation lasts at most 15 minutes); got "900001".',
    ],
    [
      { 'consumer.batchsize': '10001' },
      'consumer.batchsize must be an integer from 1 to 10000; got "10001".',
    ],
    [
      { 'consumer.maxbatchingmillis': '-5' },
      'consumer.maxbatchingmillis must be an integer from 0 to 300000 (milliseconds); got "-5".',
    ],
    ...['checkpoints', '/aws/checkpoints', '/SSM', '/app/', '/app//cp', '/app/c p'].map(
      (prefix): [Record<string, string>, string] => [
        { 'consumer.checkpoint.ssm.prefix': prefix },
        'consumer.checkpoint.ssm.prefix must be an SSM parameter path such as /my-app/checkpoints ("/"-separated segments of letters, digits, "_", "." or "-", not under /aws or /ssm, at most 512 characters); ' +
          `got "${prefix}".`,
      ],
    ),
    [
      { 'consumer.checkpoint.ssm.tier': 'standard' },
      'consumer.checkpoint.ssm.tier must be one of Standard, Advanced or Intelligent-Tiering; got "standard".',
    ],
    [{ 'consumer.failonerror': '1' }, 'consumer.failonerror must be true or false; got "1".'],
    [
      { 'consumer.deserializer': 'avro' },
      'consumer.deserializer must be one of string, json or bytes; got "avro".',
    ],
  ])('%p is refused: %s', (extra, message) => {
    const error = configError(() => fromProps(extra));
    expect(error.message).toBe(message);
    expect(error.problems).toHaveLength(1);
  });

  it('accepts an SSM prefix that merely starts with the letters aws', () => {
    expect(fromProps({ 'consumer.checkpoint.ssm.prefix': '/awsome/cp' }).checkpoint.ssmPrefix).toBe(
      '/awsome/cp',
    );
  });

  it('reports every problem at once, each naming its key', () => {
    const error = configError(() =>
      consumerConfigFromProperties({
        'flink.shard.getrecords.maxrecordcount': '0',
        'flink.shard.adaptivereads': 'maybe',
      }),
    );
    expect(error.message).toBe(
      'The consumer configuration has 4 problems:\n' +
        '- aws.region is required (the region of the streams, which signs requests even with aws.endpoint; ' +
        'from the environment, AWS_REGION by default): set it to an AWS region name such as us-east-1.\n' +
        "- streams is required (the streams to read, each by name or by ARN (another account's stream, in the client's region); a constructor argument in the reference connector): set it " +
        'to a list of distinct streams, each a stream name (1 to 128 letters, digits, "_", "." or "-") or a stream ARN (arn:<partition>:kinesis:<region>:<12-digit account>:stream/<name>), comma-separated in text.\n' +
        '- flink.shard.getrecords.maxrecordcount must be an integer from 1 to 10000; got "0".\n' +
        '- flink.shard.adaptivereads must be true or false; got "maybe".',
    );
    expect(error.key).toBeUndefined();
    expect(error.problems.map((p) => p.key)).toEqual([
      'aws.region',
      'streams',
      'flink.shard.getrecords.maxrecordcount',
      'flink.shard.adaptivereads',
    ]);
  });
});

describe('consumer unknown and unsupported keys', () => {
  it('reports an unknown key with the closest known key, including a case-only difference', () => {
    expect(
      problemsOf(() =>
        fromProps({
          'flink.shard.getrecord.maxrecordcount': '10',
          'flink.shard.adaptiveReads': 'true',
          'aws.access.key.id': 'x',
          'something.else.entirely': '1',
        }),
      ),
    ).toEqual([
      'Unknown key flink.shard.getrecord.maxrecordcount: did you mean flink.shard.getrecords.maxrecordcount?',
      'Unknown key flink.shard.adaptiveReads: did you mean flink.shard.adaptivereads?',
      'Unknown key aws.access.key.id: it is not a consumer setting (docs/configuration.md lists them).',
      'Unknown key something.else.entirely: it is not a consumer setting (docs/configuration.md lists them).',
    ]);
  });

  it('says a producer key is a producer setting', () => {
    expect(problemsOf(() => fromProps({ AggregationEnabled: 'false' }))).toEqual([
      'AggregationEnabled is a producer setting; the consumer does not read it.',
    ]);
  });

  it('explains reference keys it recognises but does not act on', () => {
    expect(
      problemsOf(() =>
        fromProps({
          'flink.stream.deregisterstreamconsumer.maxretries': '3',
          'flink.watermark.sync.interval': '30000',
          'aws.trust.all.certificates': 'true',
        }),
      ),
    ).toEqual([
      'flink.stream.deregisterstreamconsumer.maxretries has no effect: the consumer never deregisters its stream ' +
        'consumer (the construct owns it with EAGER; with LAZY, deregister it yourself when the application is ' +
        'retired); remove it.',
      'flink.watermark.sync.interval configures Flink watermark alignment across subtasks, which has no ' +
        'equivalent here; remove it.',
      'aws.trust.all.certificates turns off TLS certificate checks, which this connector never does; remove it.',
    ]);
  });

  it('accepts those keys where their value already describes what the connector does', () => {
    const config = fromProps({
      'flink.stream.recordpublisher': 'POLLING',
      'aws.trust.all.certificates': 'false',
      'aws.http.protocol.version': 'HTTP1_1',
    });
    expect(config.streams).toEqual(['orders']);
  });

  it('reads the deprecated describe-stream backoff keys as the list-shards ones', () => {
    const config = fromProps({
      'flink.stream.describe.backoff.base': '2000',
      'flink.stream.describe.backoff.max': '9000',
      'flink.stream.describe.backoff.expconst': '2',
    });
    expect(config.listShards.backoff).toEqual({
      maxRetries: 10,
      baseMillis: 2000,
      maxMillis: 9000,
      expConst: 2,
    });
    expect(
      problemsOf(() =>
        fromProps({ 'flink.stream.describe.backoff.base': '2000', 'flink.list.shards.backoff.base': '3000' }),
      ),
    ).toEqual([
      'flink.stream.describe.backoff.base is the deprecated name of flink.list.shards.backoff.base and both are ' +
        'set; keep flink.list.shards.backoff.base.',
    ]);
  });
});

describe('consumerConfigFromProperties with typed overrides', () => {
  it('takes the streams from code, as the reference connector takes them in its constructor', () => {
    const config = consumerConfigFromProperties('aws.region=us-east-1\nflink.stream.initpos=TRIM_HORIZON', {
      streams: ['orders', 'refunds'],
      deserializer: 'json',
    });
    expect(config.streams).toEqual(['orders', 'refunds']);
    expect(config.initialPosition).toBe('TRIM_HORIZON');
    expect(config.deserializer).toBe('json');
  });

  it('refuses a setting given both in the properties and in code', () => {
    expect(
      problemsOf(() =>
        consumerConfigFromProperties(BASE, { streams: ['refunds'], getRecords: { maxRecordCount: 5 } }),
      ),
    ).toEqual(['streams is set both in the properties and in code (streams); set it in one place.']);
    expect(
      problemsOf(() =>
        consumerConfigFromProperties(
          { ...BASE, 'flink.shard.getrecords.maxrecordcount': '100' },
          { getRecords: { maxRecordCount: 5 } },
        ),
      ),
    ).toEqual([
      'flink.shard.getrecords.maxrecordcount is set both in the properties and in code ' +
        '(getRecords.maxRecordCount); set it in one place.',
    ]);
  });

  it('checks the shape of the overrides too', () => {
    expect(problemsOf(() => consumerConfigFromProperties(BASE, { stream: ['x'] } as never))).toEqual([
      'Unknown option stream: did you mean streams?',
    ]);
  });
});

describe('consumerConfigFromEnv', () => {
  it('ignores every variable without the SKC_ prefix, as Lambda sets many', () => {
    const config = consumerConfigFromEnv({
      ...BASE_ENV,
      PATH: '/usr/bin',
      AWS_LAMBDA_FUNCTION_NAME: 'consumer',
      AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs22.x',
      _HANDLER: 'index.handler',
      LAMBDA_TASK_ROOT: '/var/task',
      skc_lowercase_is_not_ours: 'x',
    });
    expect(config.streams).toEqual(['orders']);
  });

  it('falls back to AWS_REGION, then AWS_DEFAULT_REGION, and lets SKC_AWS_REGION win', () => {
    expect(consumerConfigFromEnv({ SKC_STREAMS: 'a', AWS_REGION: 'eu-west-1' }).aws.region).toBe('eu-west-1');
    expect(consumerConfigFromEnv({ SKC_STREAMS: 'a', AWS_DEFAULT_REGION: 'eu-north-1' }).aws.region).toBe(
      'eu-north-1',
    );
    expect(
      consumerConfigFromEnv({ SKC_STREAMS: 'a', SKC_AWS_REGION: 'ap-south-1', AWS_REGION: 'eu-west-1' }).aws
        .region,
    ).toBe('ap-south-1');
    expect(
      consumerConfigFromEnv({ SKC_STREAMS: 'a', AWS_REGION: 'eu-west-1' }, { aws: { region: 'us-west-2' } })
        .aws.region,
    ).toBe('us-west-2');
  });

  it('names environment variables in its messages', () => {
    expect(problemsOf(() => consumerConfigFromEnv({ SKC_STREAMS: 'a', AWS_REGION: 'bad region' }))).toEqual([
      'AWS_REGION must be an AWS region name such as us-east-1; got "bad region".',
    ]);
    expect(
      problemsOf(() =>
        consumerConfigFromEnv({ ...BASE_ENV, SKC_FLINK_SHARD_GETRECORDS_MAXRECORDCOUNT: '0' }),
      ),
    ).toEqual(['SKC_FLINK_SHARD_GETRECORDS_MAXRECORDCOUNT must be an integer from 1 to 10000; got "0".']);
    expect(problemsOf(() => consumerConfigFromEnv({}))).toEqual([
      'SKC_AWS_REGION is required (the region of the streams, which signs requests even with aws.endpoint; from ' +
        'the environment, AWS_REGION by default): set it to an AWS region name such as us-east-1.',
      "SKC_STREAMS is required (the streams to read, each by name or by ARN (another account's stream, in the client's region); a constructor argument in the reference connector): set it " +
        'to a list of distinct streams, each a stream name (1 to 128 letters, digits, "_", "." or "-") or a stream ARN (arn:<partition>:kinesis:<region>:<12-digit account>:stream/<name>), comma-separated in text.',
    ]);
  });

  it('reports unknown SKC_ variables with a suggestion, producer ones, and unsupported ones', () => {
    expect(
      problemsOf(() =>
        consumerConfigFromEnv({
          ...BASE_ENV,
          SKC_STREAM: 'x',
          SKC_FLINK_SHARD_GETRECORDS_MAXRECORDCOUNTS: '5',
          SKC_NOTHING_LIKE_IT_AT_ALL: '1',
          SKC_AGGREGATION_ENABLED: 'true',
          SKC_FLINK_WATERMARK_SYNC_INTERVAL: '5',
        }),
      ),
    ).toEqual([
      'Unknown key SKC_STREAM: did you mean SKC_STREAMS?',
      'Unknown key SKC_FLINK_SHARD_GETRECORDS_MAXRECORDCOUNTS: did you mean SKC_FLINK_SHARD_GETRECORDS_MAXRECORDCOUNT?',
      'Unknown key SKC_NOTHING_LIKE_IT_AT_ALL: it is not a consumer setting (docs/configuration.md lists them).',
      'SKC_FLINK_WATERMARK_SYNC_INTERVAL configures Flink watermark alignment across subtasks, which has no ' +
        'equivalent here; remove it.',
      'SKC_AGGREGATION_ENABLED is a producer setting; the consumer does not read it.',
    ]);
  });

  it('reads AT_TIMESTAMP and its pattern from the environment', () => {
    const config = consumerConfigFromEnv({
      ...BASE_ENV,
      SKC_FLINK_STREAM_INITPOS: 'AT_TIMESTAMP',
      SKC_FLINK_STREAM_INITPOS_TIMESTAMP: '2016-04-04',
      SKC_FLINK_STREAM_INITPOS_TIMESTAMP_FORMAT: 'yyyy-MM-dd',
    });
    expect(config.initialTimestamp?.toISOString()).toBe('2016-04-04T00:00:00.000Z');
  });
});

describe('the checkpoint store settings', () => {
  it('defaults to SSM and takes DynamoDB with a table and an explicit consumer name', () => {
    expect(fromProps({}).checkpoint.store).toBe('ssm');
    const config = consumerConfigFromEnv({
      ...BASE_ENV,
      SKC_CONSUMER_CHECKPOINT_STORE: 'dynamodb',
      SKC_CONSUMER_CHECKPOINT_DYNAMODB_TABLE: 'connector-checkpoints',
      SKC_CONSUMER_NAME: 'orders-app',
    });
    expect(config.checkpoint).toMatchObject({ store: 'dynamodb', dynamoDbTable: 'connector-checkpoints' });
    expect(config.consumerName).toBe('orders-app');
  });

  it('requires the table and the consumer name with DynamoDB, naming both', () => {
    expect(problemsOf(() => fromProps({ 'consumer.checkpoint.store': 'dynamodb' }))).toEqual([
      'consumer.checkpoint.dynamodb.table is required when consumer.checkpoint.store is dynamodb: name the table.',
      "consumer.name is required when consumer.checkpoint.store is dynamodb: it keys this consumer's items, " +
        'so two consumers sharing a table must not both take the default.',
    ]);
  });

  it('refuses a table without the DynamoDB store, and an unknown store', () => {
    expect(problemsOf(() => fromProps({ 'consumer.checkpoint.dynamodb.table': 'cp-table' }))).toEqual([
      'consumer.checkpoint.dynamodb.table is only used when consumer.checkpoint.store is dynamodb; it is ssm.',
    ]);
    expect(problemsOf(() => fromProps({ 'consumer.checkpoint.store': 'redis' }))).toEqual([
      'consumer.checkpoint.store must be one of ssm or dynamodb; got "redis".',
    ]);
  });

  it('refuses a target that is not a function name or ARN', () => {
    expect(problemsOf(() => fromProps({ 'consumer.target.function': 'arn:aws:sqs:x' }))).toEqual([
      'consumer.target.function must be a Lambda function name, name:alias or function ARN; got "arn:aws:sqs:x".',
    ]);
  });
});
