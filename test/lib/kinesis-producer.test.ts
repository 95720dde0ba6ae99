import { CfnParameter, Duration, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kinesis from 'aws-cdk-lib/aws-kinesis';
import * as kms from 'aws-cdk-lib/aws-kms';
import { ConfigurationError } from '../../functions/core/errors';
import type { KinesisProducerProps } from '../../lib';
import { KinesisProducer, KinesisStreams } from '../../lib';
import { ALLOCATOR_ENVIRONMENT } from '../../functions/core/allocator-environment';
import { producerConfig, producerConfigFromEnv } from '../../functions/core/config';
import {
  allPolicyActions,
  functionEnvironment,
  importedStream,
  logicalId,
  ownLogsStatement,
  queueUrlStandIn,
  roleStatements,
  strictStack,
} from './helpers';

const TLS_ONLY = {
  PolicyDocument: {
    Statement: Match.arrayWith([
      Match.objectLike({
        Effect: 'Deny',
        Action: 'sqs:*',
        Principal: { AWS: '*' },
        Condition: { Bool: { 'aws:SecureTransport': 'false' } },
      }),
    ]),
  },
};

describe('KinesisProducer with defaults', () => {
  const stack = strictStack();
  const streams = new KinesisStreams(stack, 'Streams', { streams: [{ id: 'Orders' }, { id: 'Audit' }] });
  const sender = new iam.Role(stack, 'Sender', {
    assumedBy: new iam.ServicePrincipal('ecs-tasks.amazonaws.com'),
  });
  const producer = new KinesisProducer(stack, 'Producer', { streams: streams.streams });
  producer.grantSend(sender);
  const template = Template.fromStack(stack);
  const orders = {
    'Fn::GetAtt': [
      stack.getLogicalId(streams.stream('Orders').node.defaultChild as kinesis.CfnStream),
      'Arn',
    ],
  };
  const audit = {
    'Fn::GetAtt': [stack.getLogicalId(streams.stream('Audit').node.defaultChild as kinesis.CfnStream), 'Arn'],
  };
  const queueId = logicalId(producer.queue);
  const dlqId = logicalId(producer.deadLetterQueue);
  const roleId = logicalId(producer.function.role as iam.IRole);

  it('creates an SSE-SQS queue with a visibility timeout of 6 x the function timeout and a 5-receive redrive', () => {
    template.hasResourceProperties('AWS::SQS::Queue', {
      SqsManagedSseEnabled: true,
      MessageRetentionPeriod: 4 * 86_400,
      VisibilityTimeout: 360,
      RedrivePolicy: { deadLetterTargetArn: { 'Fn::GetAtt': [dlqId, 'Arn'] }, maxReceiveCount: 5 },
      FifoQueue: Match.absent(),
    });
  });

  it('creates an SSE-SQS dead-letter queue that keeps messages 14 days', () => {
    template.hasResourceProperties('AWS::SQS::Queue', {
      SqsManagedSseEnabled: true,
      MessageRetentionPeriod: 14 * 86_400,
      RedrivePolicy: Match.absent(),
    });
  });

  it('denies every request to either queue that does not use TLS', () => {
    for (const id of [queueId, dlqId]) {
      template.hasResourceProperties('AWS::SQS::QueuePolicy', { ...TLS_ONLY, Queues: [{ Ref: id }] });
    }
  });

  it('writes the producer’s logs as JSON to its own log group, kept a month', () => {
    const logGroupId = Object.keys(template.findResources('AWS::Logs::LogGroup'))[0];
    template.resourceCountIs('AWS::Logs::LogGroup', 1);
    template.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 30 });
    template.hasResourceProperties('AWS::Lambda::Function', {
      LoggingConfig: { LogFormat: 'JSON', LogGroup: { Ref: logGroupId } },
    });
  });

  it('runs the producer on Node.js 24 on arm64', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Runtime: 'nodejs24.x',
      Architectures: ['arm64'],
      Timeout: 60,
      MemorySize: 512,
      Handler: 'index.handler',
      LoggingConfig: { LogFormat: 'JSON' },
    });
  });

  it('gives the runtime its default and allowed streams and the KPL defaults for the rest', () => {
    const env = functionEnvironment(template, logicalId(producer.function));
    expect(producerConfigFromEnv({ ...env, AWS_REGION: 'eu-west-1' })).toEqual(
      producerConfig({
        aws: { region: 'eu-west-1' },
        defaultStream: logicalId(streams.stream('Orders')),
        allowedStreams: [logicalId(streams.stream('Orders')), logicalId(streams.stream('Audit'))],
        producerName: 'Producer',
        deadLetterQueueUrl: queueUrlStandIn(dlqId),
        sourceQueueUrl: queueUrlStandIn(queueId),
        maxReceiveCount: 5,
      }),
    );
    // Settings are SKC_ variables; the rest are the allocator settings every connector function gets.
    expect(env).toMatchObject(ALLOCATOR_ENVIRONMENT);
    const settings = Object.keys(env).filter((name) => !(name in ALLOCATOR_ENVIRONMENT));
    expect(settings.every((name) => name.startsWith('SKC_'))).toBe(true);
  });

  it('reads the queue through a mapping with batching, a concurrency cap and partial batch responses', () => {
    template.resourceCountIs('AWS::Lambda::EventSourceMapping', 1);
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      EventSourceArn: { 'Fn::GetAtt': [queueId, 'Arn'] },
      BatchSize: 100,
      MaximumBatchingWindowInSeconds: 1,
      ScalingConfig: { MaximumConcurrency: 10 },
      FunctionResponseTypes: ['ReportBatchItemFailures'],
    });
  });

  it('gives the function exactly: its logs, PutRecords and ListShards on its streams, send to the DLQ, consume the queue', () => {
    expect(roleStatements(template, roleId)).toEqual([
      ownLogsStatement(template),
      { Effect: 'Allow', Action: ['kinesis:PutRecords', 'kinesis:ListShards'], Resource: [orders, audit] },
      {
        Effect: 'Allow',
        Action: ['sqs:SendMessage', 'sqs:GetQueueAttributes', 'sqs:GetQueueUrl'],
        Resource: { 'Fn::GetAtt': [dlqId, 'Arn'] },
      },
      {
        Effect: 'Allow',
        Action: [
          'sqs:ReceiveMessage',
          'sqs:ChangeMessageVisibility',
          'sqs:GetQueueUrl',
          'sqs:DeleteMessage',
          'sqs:GetQueueAttributes',
        ],
        Resource: { 'Fn::GetAtt': [queueId, 'Arn'] },
      },
    ]);
    template.hasResourceProperties('AWS::IAM::Role', {
      RoleName: Match.absent(),
      ManagedPolicyArns: Match.absent(),
    });
  });

  it('lets grantSend add send permissions on the queue only', () => {
    const senderId = stack.getLogicalId(sender.node.defaultChild as iam.CfnRole);
    expect(roleStatements(template, senderId)).toEqual([
      {
        Effect: 'Allow',
        Action: ['sqs:SendMessage', 'sqs:GetQueueAttributes', 'sqs:GetQueueUrl'],
        Resource: { 'Fn::GetAtt': [queueId, 'Arn'] },
      },
    ]);
  });

  it('allows no wildcard action anywhere', () => {
    expect(allPolicyActions(template).filter((action) => action.includes('*'))).toEqual([]);
  });

  it('alarms on a non-empty DLQ, an old message and throttled writes to each stream', () => {
    template.resourceCountIs('AWS::CloudWatch::Alarm', 4);
    expect(producer.alarms).toHaveLength(4);
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'AWS/SQS',
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [dlqId, 'QueueName'] } }],
      Statistic: 'Maximum',
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      TreatMissingData: 'notBreaching',
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'ApproximateAgeOfOldestMessage',
      Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [queueId, 'QueueName'] } }],
      Threshold: 300,
    });
    for (const stream of [orders, audit]) {
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        Namespace: 'AWS/Kinesis',
        MetricName: 'WriteProvisionedThroughputExceeded',
        Dimensions: [{ Name: 'StreamName', Value: { Ref: stream['Fn::GetAtt'][0] } }],
        Statistic: 'Sum',
        Period: 300,
        EvaluationPeriods: 3,
        Threshold: 1,
      });
    }
  });
});

describe('KinesisProducer on FIFO queues with customer keys and the alarms off', () => {
  const stack = strictStack();
  const streamKey = new kms.Key(stack, 'StreamKey', { enableKeyRotation: true });
  const queueKey = new kms.Key(stack, 'QueueKey', { enableKeyRotation: true });
  const streams = new KinesisStreams(stack, 'Streams', {
    streams: [{ id: 'Orders' }, { id: 'Audit' }],
    encryptionKey: streamKey,
  });
  const sender = new iam.Role(stack, 'Sender', {
    assumedBy: new iam.ServicePrincipal('ecs-tasks.amazonaws.com'),
  });
  const producer = new KinesisProducer(stack, 'Producer', {
    streams: streams.streams,
    defaultStream: streams.stream('Audit'),
    producerName: 'orders-producer',
    fifo: true,
    contentBasedDeduplication: true,
    queueEncryptionKey: queueKey,
    maxReceiveCount: 8,
    functionTimeout: Duration.seconds(30),
    visibilityTimeout: Duration.minutes(10),
    batchSize: 5,
    maxConcurrency: 2,
    memorySizeMb: 1024,
    aggregationEnabled: false,
    aggregationMaxCount: 1000,
    aggregationMaxSizeBytes: 25_600,
    collectionMaxCount: 250,
    collectionMaxSizeBytes: 2 * 1024 * 1024,
    recordMaxBufferedTime: Duration.millis(50),
    recordTtl: Duration.seconds(20),
    requestTimeout: Duration.seconds(3),
    rateLimitPercent: 80,
    threadPoolSize: 4,
    failIfThrottled: true,
    defaultPartitionKey: 'tenant-1',
    rawMessages: true,
    maxRecordSizeBytes: 2 * 1024 * 1024,
    failOnError: true,
    deadLetterQueueAlarm: false,
    oldestMessageAlarm: false,
    throttledWritesAlarm: false,
  });
  producer.grantSend(sender);
  const template = Template.fromStack(stack);
  const streamKeyArn = {
    'Fn::GetAtt': [stack.getLogicalId(streamKey.node.defaultChild as kms.CfnKey), 'Arn'],
  };
  const queueKeyArn = { 'Fn::GetAtt': [stack.getLogicalId(queueKey.node.defaultChild as kms.CfnKey), 'Arn'] };
  const roleId = logicalId(producer.function.role as iam.IRole);

  it('makes both queues FIFO and encrypts them with the customer key', () => {
    template.resourceCountIs('AWS::SQS::Queue', 2);
    for (const queue of Object.values(template.findResources('AWS::SQS::Queue'))) {
      expect(queue.Properties).toMatchObject({ FifoQueue: true, KmsMasterKeyId: queueKeyArn });
    }
    template.hasResourceProperties('AWS::SQS::Queue', {
      ContentBasedDeduplication: true,
      VisibilityTimeout: 600,
      RedrivePolicy: Match.objectLike({ maxReceiveCount: 8 }),
    });
  });

  it('maps FIFO batches of at most 10 without a batching window', () => {
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      BatchSize: 5,
      MaximumBatchingWindowInSeconds: Match.absent(),
      ScalingConfig: { MaximumConcurrency: 2 },
      FunctionResponseTypes: ['ReportBatchItemFailures'],
    });
  });

  it('gives the runtime the chosen default stream and every setting the props set', () => {
    template.hasResourceProperties('AWS::Lambda::Function', { Timeout: 30, MemorySize: 1024 });
    const env = functionEnvironment(template, logicalId(producer.function));
    expect(producerConfigFromEnv({ ...env, AWS_REGION: 'eu-west-1' })).toEqual(
      producerConfig({
        aws: { region: 'eu-west-1' },
        defaultStream: logicalId(streams.stream('Audit')),
        allowedStreams: [logicalId(streams.stream('Orders')), logicalId(streams.stream('Audit'))],
        aggregationEnabled: false,
        aggregationMaxCount: 1000,
        aggregationMaxSizeBytes: 25_600,
        collectionMaxCount: 250,
        collectionMaxSizeBytes: 2 * 1024 * 1024,
        recordMaxBufferedTimeMillis: 50,
        recordTtlMillis: 20_000,
        requestTimeoutMillis: 3000,
        rateLimitPercent: 80,
        threadPoolSize: 4,
        failIfThrottled: true,
        defaultPartitionKey: 'tenant-1',
        raw: true,
        maxRecordSizeBytes: 2 * 1024 * 1024,
        failOnError: true,
        producerName: 'orders-producer',
        deadLetterQueueUrl: queueUrlStandIn(logicalId(producer.deadLetterQueue)),
        sourceQueueUrl: queueUrlStandIn(logicalId(producer.queue)),
        maxReceiveCount: 8,
      }),
    );
    expect(producerConfigFromEnv({ ...env, AWS_REGION: 'eu-west-1' }).producerName).toBe('orders-producer');
  });

  it('grants exactly the KMS actions each key needs, and nothing with a wildcard', () => {
    const kmsStatements = roleStatements(template, roleId).filter((s) =>
      [s.Action].flat()[0]?.startsWith('kms:'),
    );
    expect(kmsStatements).toEqual(
      expect.arrayContaining([
        { Effect: 'Allow', Action: 'kms:GenerateDataKey', Resource: streamKeyArn },
        { Effect: 'Allow', Action: ['kms:GenerateDataKey', 'kms:Decrypt'], Resource: queueKeyArn },
        { Effect: 'Allow', Action: 'kms:Decrypt', Resource: queueKeyArn },
      ]),
    );
    expect(kmsStatements).toHaveLength(3);
    const senderId = stack.getLogicalId(sender.node.defaultChild as iam.CfnRole);
    expect(roleStatements(template, senderId)).toContainEqual({
      Effect: 'Allow',
      Action: ['kms:GenerateDataKey', 'kms:Decrypt'],
      Resource: queueKeyArn,
    });
    expect(allPolicyActions(template).filter((action) => action.includes('*'))).toEqual([]);
  });

  it('creates no alarm when every alarm is turned off', () => {
    template.resourceCountIs('AWS::CloudWatch::Alarm', 0);
    expect(producer.alarms).toEqual([]);
  });
});

describe('KinesisProducer validation', () => {
  const build = (props: Partial<KinesisProducerProps>) => {
    const stack = new Stack();
    const stream = importedStream(stack);
    return new KinesisProducer(stack, 'Producer', { streams: [stream], ...props });
  };

  it.each<[string, Partial<KinesisProducerProps>, string]>([
    ['no streams', { streams: [] }, 'streams is empty; give at least one stream the producer may write to.'],
    [
      'a batch over 10,000',
      { batchSize: 10_001 },
      'batchSize is 10001; it must be a whole number from 1 to 10000.',
    ],
    [
      'a FIFO batch over 10',
      { fifo: true, batchSize: 11 },
      'batchSize is 11; it must be a whole number from 1 to 10.',
    ],
    [
      'a batching window on FIFO',
      { fifo: true, maxBatchingWindow: Duration.seconds(1) },
      'maxBatchingWindow is not supported on FIFO queues; leave it unset.',
    ],
    [
      'a batching window over 300 seconds',
      { maxBatchingWindow: Duration.seconds(301) },
      'maxBatchingWindow is 5 minutes 1 second; it must be at least 0 seconds and at most 5 minutes in whole seconds.',
    ],
    [
      'no batching window for batches over 10',
      { batchSize: 50, maxBatchingWindow: Duration.seconds(0) },
      'maxBatchingWindow is 0 seconds but batchSize is 50; Lambda needs a batching window of at least 1 second for batches over 10.',
    ],
    [
      'a concurrency of 1',
      { maxConcurrency: 1 },
      'maxConcurrency is 1; it must be a whole number from 2 to 1000.',
    ],
    [
      'zero receives',
      { maxReceiveCount: 0 },
      'maxReceiveCount is 0; it must be a whole number from 1 to 1000.',
    ],
    [
      'a visibility timeout under 6 x the function timeout',
      { functionTimeout: Duration.seconds(60), visibilityTimeout: Duration.seconds(359) },
      'visibilityTimeout is 5 minutes 59 seconds; it must be at least 6 minutes and at most 12 hours in whole seconds.',
    ],
    [
      'a function timeout over 15 minutes',
      { functionTimeout: Duration.minutes(16) },
      'functionTimeout is 16 minutes; it must be at least 1 second and at most 15 minutes in whole seconds.',
    ],
    [
      'content-based deduplication on a standard queue',
      { contentBasedDeduplication: true },
      'contentBasedDeduplication applies only to FIFO queues; set fifo: true or leave it unset.',
    ],
    ['a bad producer name', { producerName: 'a b' }, 'producerName is "a b"; use 1 to 64 letters'],
    [
      'a PutRecords batch over 500 records',
      { collectionMaxCount: 501 },
      'collectionMaxCount is 501; it must be an integer from 1 to 500 (PutRecords takes at most 500 records).',
    ],
    [
      'an aggregated record larger than a record may be',
      { aggregationMaxSizeBytes: 2 * 1024 * 1024 },
      'aggregationMaxSizeBytes is 2097152; it must be at most maxRecordSizeBytes (1048576), since an aggregated record is one Kinesis record.',
    ],
    [
      'a request smaller than the largest record',
      { collectionMaxSizeBytes: 100_000 },
      'collectionMaxSizeBytes is 100000; it must be at least maxRecordSizeBytes (1048576), so the largest record fits in a request.',
    ],
    [
      'a record TTL as long as the function timeout',
      { functionTimeout: Duration.seconds(30) },
      'recordTtl is 30 seconds; it must be shorter than functionTimeout (30 seconds) so a record is reported as put or failed before the invocation ends.',
    ],
    [
      'a request timeout under 100 ms',
      { requestTimeout: Duration.millis(50) },
      'requestTimeout is 50 milliseconds (50 ms); it must be an integer from 100 to 600000 (milliseconds).',
    ],
  ])('rejects %s, naming the prop, the value and the range', (_name, props, message) => {
    expect(() => build(props)).toThrow(ConfigurationError);
    expect(() => build(props)).toThrow(`KinesisProducer: ${message}`);
  });

  it('rejects a default stream that is not among the allowed streams', () => {
    const stack = new Stack();
    const a = kinesis.Stream.fromStreamArn(stack, 'A', 'arn:aws:kinesis:eu-west-1:111122223333:stream/a');
    const b = kinesis.Stream.fromStreamArn(stack, 'B', 'arn:aws:kinesis:eu-west-1:111122223333:stream/b');
    expect(() => new KinesisProducer(stack, 'P', { streams: [a], defaultStream: b })).toThrow(
      'KinesisProducer: defaultStream is not one of streams; add it to streams.',
    );
  });

  it('asks for a visibility timeout when the function timeout is a Token', () => {
    const stack = new Stack();
    const seconds = new CfnParameter(stack, 'Timeout', { type: 'Number' }).valueAsNumber;
    expect(() => build({ functionTimeout: Duration.seconds(seconds) })).toThrow(
      'functionTimeout is a Token, so the visibility timeout cannot be derived from it; give visibilityTimeout',
    );
  });

  it('accepts Tokens for the batch size, concurrency, receive count and timeouts', () => {
    const stack = new Stack();
    const parameter = (id: string) => new CfnParameter(stack, id, { type: 'Number' }).valueAsNumber;
    const stream = importedStream(stack);
    new KinesisProducer(stack, 'Producer', {
      streams: [stream],
      batchSize: parameter('Batch'),
      maxConcurrency: parameter('Concurrency'),
      maxReceiveCount: parameter('Receives'),
      functionTimeout: Duration.seconds(parameter('Timeout')),
      visibilityTimeout: Duration.seconds(parameter('Visibility')),
    });
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      BatchSize: { Ref: 'Batch' },
      ScalingConfig: { MaximumConcurrency: { Ref: 'Concurrency' } },
    });
    template.hasResourceProperties('AWS::SQS::Queue', {
      VisibilityTimeout: { Ref: 'Visibility' },
      RedrivePolicy: Match.objectLike({ maxReceiveCount: { Ref: 'Receives' } }),
    });
    template.hasResourceProperties('AWS::Lambda::Function', { Timeout: { Ref: 'Timeout' } });
  });
});
