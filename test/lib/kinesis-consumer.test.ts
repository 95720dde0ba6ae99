import * as path from 'node:path';
import { CfnParameter, Duration, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import type * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import * as ssm from 'aws-cdk-lib/aws-ssm';
import { ALLOCATOR_ENVIRONMENT } from '../../functions/core/allocator-environment';
import { ConfigurationError } from '../../functions/core/errors';
import type { KinesisConsumerProps } from '../../lib';
import { KinesisConsumer, KinesisStreams } from '../../lib';
import { CONSUMER_DEFAULTS, consumerConfig, consumerConfigFromEnv } from '../../functions/core/config';
import { CONTINUOUS_TIME_BUDGET_SECONDS } from '../../lib/construct-defaults';
import {
  acknowledgedRuleIds,
  allPolicyActions,
  functionEnvironment,
  importedStream,
  logicalId,
  ownLogsStatement,
  roleStatements,
  strictStack,
  queueUrlStandIn,
} from './helpers';

const TARGET_ARN = 'arn:aws:lambda:eu-west-1:111122223333:function:orders-processor';
const SSM_PATH = (suffix: string) => ({
  'Fn::Join': [
    '',
    [
      'arn:',
      { Ref: 'AWS::Partition' },
      ':ssm:',
      { Ref: 'AWS::Region' },
      ':',
      { Ref: 'AWS::AccountId' },
      `:parameter/${suffix}`,
    ],
  ],
});

describe('KinesisConsumer delivering to a target function with SSM checkpoints', () => {
  const stack = strictStack();
  const streams = new KinesisStreams(stack, 'Streams', {
    streams: [{ id: 'Orders' }, { id: 'Audit', retentionPeriod: Duration.hours(48) }],
  });
  const topic = new sns.Topic(stack, 'Alarms', {
    enforceSSL: true,
    masterKey: kms.Alias.fromAliasName(stack, 'SnsKey', 'alias/aws/sns'),
  });
  const target = lambda.Function.fromFunctionArn(stack, 'Target', TARGET_ARN);
  const consumer = new KinesisConsumer(stack, 'Consumer', {
    consumerName: 'orders',
    streams: streams.streams,
    target,
    parallelism: 3,
    alarmAction: new actions.SnsAction(topic),
  });
  const template = Template.fromStack(stack);
  const orders = logicalId(streams.stream('Orders'));
  const audit = logicalId(streams.stream('Audit'));
  const functionId = logicalId(consumer.function);
  const queueId = logicalId(consumer.onFailureQueue);

  it('runs one function on Node.js 24 whose timeout (continuous mode) is its 14-minute budget and a minute', () => {
    template.resourceCountIs('AWS::Lambda::Function', 1);
    template.hasResourceProperties('AWS::Lambda::Function', {
      Runtime: 'nodejs24.x',
      Architectures: ['arm64'],
      Timeout: 900,
      Handler: 'index.handler',
    });
  });

  it('gives the runtime its streams, parallelism, time budget and checkpoint path, and the reference defaults for the rest', () => {
    const env = functionEnvironment(template, functionId);
    const config = consumerConfigFromEnv({ ...env, AWS_REGION: 'eu-west-1' });
    expect(config).toEqual(
      consumerConfig({
        aws: { region: 'eu-west-1' },
        streams: [orders, audit],
        parallelism: 3,
        timeBudgetMillis: 840_000,
        checkpoint: { ssmPrefix: '/serverless-kinesis-connector/orders' },
        consumerName: 'orders',
        delivery: { targetFunction: TARGET_ARN },
        onFailure: { queueUrl: queueUrlStandIn(queueId) },
      }),
    );
    // Continuous mode: 14 minutes of reading per invocation (the runtime's own default is scheduled mode's 50 s).
    expect(config.timeBudgetMillis).toBe(CONTINUOUS_TIME_BUDGET_SECONDS * 1000);
    expect(config.continuous).toBe(true);
    expect(consumer.checkpointParameterPath).toBe('/serverless-kinesis-connector/orders');
    expect(consumer.checkpointTable).toBeUndefined();
  });

  it('tells the runtime its name, its on-failure queue and its target as settings', () => {
    const env = functionEnvironment(template, functionId);
    const config = consumerConfigFromEnv({ ...env, AWS_REGION: 'eu-west-1' });
    expect(config.consumerName).toBe('orders');
    expect(config.onFailure.queueUrl).toBe(queueUrlStandIn(queueId));
    expect(config.delivery.targetFunction).toBe(TARGET_ARN);
    // Settings are SKC_ variables; the rest are the allocator settings every connector function gets.
    expect(env).toMatchObject(ALLOCATOR_ENVIRONMENT);
    const settings = Object.keys(env).filter((name) => !(name in ALLOCATOR_ENVIRONMENT));
    expect(settings.every((name) => name.startsWith('SKC_'))).toBe(true);
  });

  it('never retries or queues a late invocation for long', () => {
    template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
      FunctionName: { Ref: functionId },
      MaximumRetryAttempts: 0,
      MaximumEventAgeInSeconds: 60,
    });
  });

  it('invokes each subtask from its own schedule every minute with its index', () => {
    template.resourceCountIs('AWS::Scheduler::Schedule', 3);
    expect(consumer.schedules).toHaveLength(3);
    for (let subtaskIndex = 0; subtaskIndex < 3; subtaskIndex++) {
      template.hasResourceProperties('AWS::Scheduler::Schedule', {
        ScheduleExpression: 'rate(1 minute)',
        FlexibleTimeWindow: { Mode: 'OFF' },
        State: 'ENABLED',
        GroupName: consumer.scheduleGroup.scheduleGroupName,
        Target: {
          Arn: { 'Fn::GetAtt': [functionId, 'Arn'] },
          Input: JSON.stringify({ subtaskIndex, parallelism: 3 }),
          RetryPolicy: { MaximumRetryAttempts: 0, MaximumEventAgeInSeconds: 60 },
        },
      });
    }
  });

  it('creates every schedule after its group, which it names only by a literal', () => {
    const groupId = logicalId(consumer.scheduleGroup);
    for (const schedule of Object.values(template.findResources('AWS::Scheduler::Schedule'))) {
      expect(schedule.DependsOn).toEqual([groupId]);
    }
    template.hasResource('AWS::Scheduler::ScheduleGroup', { DeletionPolicy: 'Delete' });
  });

  it('lets only its own schedule group assume the role that invokes the function, and only that function', () => {
    const schedules = template.findResources('AWS::Scheduler::Schedule');
    const roleArns = new Set(
      Object.values(schedules).map((s) => JSON.stringify(s.Properties.Target.RoleArn)),
    );
    expect(roleArns.size).toBe(1);
    const roleId = logicalId(consumer.node.findChild('SchedulerRole'));
    template.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: {
        Statement: [
          {
            Effect: 'Allow',
            Action: 'sts:AssumeRole',
            Principal: { Service: 'scheduler.amazonaws.com' },
            Condition: {
              StringEquals: {
                'aws:SourceAccount': { Ref: 'AWS::AccountId' },
                'aws:SourceArn': { 'Fn::GetAtt': [logicalId(consumer.scheduleGroup), 'Arn'] },
              },
            },
          },
        ],
      },
    });
    expect(roleStatements(template, roleId)).toEqual([
      { Effect: 'Allow', Action: 'lambda:InvokeFunction', Resource: { 'Fn::GetAtt': [functionId, 'Arn'] } },
    ]);
  });

  it('gives the function exactly: its logs, four read actions on its streams, SSM on its path, invoke the target, send to the queue', () => {
    const roleId = logicalId(consumer.function.role as iam.IRole);
    expect(roleStatements(template, roleId)).toEqual([
      ownLogsStatement(template),
      {
        Effect: 'Allow',
        Action: [
          'kinesis:ListShards',
          'kinesis:GetShardIterator',
          'kinesis:GetRecords',
          'kinesis:DescribeStreamSummary',
        ],
        Resource: [{ 'Fn::GetAtt': [orders, 'Arn'] }, { 'Fn::GetAtt': [audit, 'Arn'] }],
      },
      {
        Effect: 'Allow',
        Action: ['ssm:GetParameter', 'ssm:GetParametersByPath', 'ssm:PutParameter', 'ssm:DeleteParameter'],
        Resource: [
          SSM_PATH('serverless-kinesis-connector/orders'),
          SSM_PATH('serverless-kinesis-connector/orders/*'),
        ],
      },
      { Effect: 'Allow', Action: 'lambda:InvokeFunction', Resource: TARGET_ARN },
      { Effect: 'Allow', Action: 'sqs:SendMessage', Resource: { 'Fn::GetAtt': [queueId, 'Arn'] } },
      // Continuous mode: each invocation starts its successor, and invokes nothing else of its own.
      { Effect: 'Allow', Action: 'lambda:InvokeFunction', Resource: { 'Fn::GetAtt': [functionId, 'Arn'] } },
    ]);
    expect(allPolicyActions(template).filter((action) => action.includes('*'))).toEqual([]);
  });

  it('acknowledges the SSM path wildcard and the on-failure queue having no DLQ, and nothing else', () => {
    expect(acknowledgedRuleIds(consumer)).toEqual([
      'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:ssm:<AWS::Region>:<AWS::AccountId>:parameter/serverless-kinesis-connector/orders/*]',
      'AwsSolutions-SQS3',
    ]);
  });

  it('creates an SSE-SQS, TLS-only on-failure queue that keeps batches 14 days', () => {
    template.hasResourceProperties('AWS::SQS::Queue', {
      SqsManagedSseEnabled: true,
      MessageRetentionPeriod: 14 * 86_400,
    });
    template.hasResourceProperties('AWS::SQS::QueuePolicy', {
      Queues: [{ Ref: queueId }],
      PolicyDocument: {
        Statement: [
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ],
      },
    });
  });

  it('alarms on lag at half of each stream’s retention, on errors and on the on-failure queue, all notifying the topic', () => {
    // Lag per stream (2), errors, the on-failure queue, throttles and a heartbeat per subtask (3).
    template.resourceCountIs('AWS::CloudWatch::Alarm', 8);
    const topicRef = [{ Ref: logicalId(topic) }];
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'AWS/Kinesis',
      MetricName: 'GetRecords.IteratorAgeMilliseconds',
      Dimensions: [{ Name: 'StreamName', Value: { Ref: orders } }],
      Statistic: 'Maximum',
      Period: 300,
      Threshold: 12 * 3_600_000,
      AlarmActions: topicRef,
      OKActions: topicRef,
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'GetRecords.IteratorAgeMilliseconds',
      Dimensions: [{ Name: 'StreamName', Value: { Ref: audit } }],
      Threshold: 24 * 3_600_000,
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'AWS/Lambda',
      MetricName: 'Errors',
      Dimensions: [{ Name: 'FunctionName', Value: { Ref: functionId } }],
      Statistic: 'Sum',
      Threshold: 1,
      AlarmActions: topicRef,
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'AWS/SQS',
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [queueId, 'QueueName'] } }],
      Threshold: 1,
      AlarmActions: topicRef,
    });
  });

  it('alarms per subtask when it has had no reader for 3 minutes, missing data breaching, and on throttles', () => {
    const topicRef = [{ Ref: logicalId(topic) }];
    for (const subtask of ['0', '1', '2']) {
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        Namespace: 'ServerlessKinesisConnector',
        MetricName: 'Heartbeat',
        Dimensions: Match.arrayWith([
          { Name: 'ConsumerName', Value: 'orders' },
          { Name: 'Subtask', Value: subtask },
          { Name: 'service', Value: 'kinesis-consumer' },
        ]),
        Statistic: 'Sum',
        Period: 60,
        EvaluationPeriods: 3,
        ComparisonOperator: 'LessThanThreshold',
        Threshold: 1,
        TreatMissingData: 'breaching',
        AlarmActions: topicRef,
      });
    }
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'AWS/Lambda',
      MetricName: 'Throttles',
      Dimensions: [{ Name: 'FunctionName', Value: { Ref: functionId } }],
      Statistic: 'Sum',
      Threshold: 1,
      TreatMissingData: 'notBreaching',
      AlarmActions: topicRef,
    });
  });

  it('offers lag and throughput metrics per stream and across streams', () => {
    const lag = consumer.metricMillisBehindLatest(streams.stream('Orders')) as cloudwatch.Metric;
    expect(lag.namespace).toBe('ServerlessKinesisConnector');
    expect(lag.statistic).toBe('Maximum');
    expect(lag.dimensions).toMatchObject({ ConsumerName: 'orders' });
    const maxLag = consumer.metricMillisBehindLatest() as cloudwatch.MathExpression;
    expect(maxLag.expression).toBe('MAX([s0,s1])');
    expect((consumer.metricRecordsDelivered() as cloudwatch.MathExpression).expression).toBe('SUM([s0,s1])');
    expect((consumer.metricRecordsRead(streams.stream('Audit')) as cloudwatch.Metric).metricName).toBe(
      'RecordsRead',
    );
    expect((consumer.metricDeliveryFailures() as cloudwatch.MathExpression).expression).toBe('SUM([s0,s1])');
  });
});

describe('KinesisConsumer running its own processor with DynamoDB checkpoints and brought-in resources', () => {
  const stack = strictStack();
  const streamKey = new kms.Key(stack, 'StreamKey', { enableKeyRotation: true });
  const tableKey = new kms.Key(stack, 'TableKey', { enableKeyRotation: true });
  const queueKey = new kms.Key(stack, 'QueueKey', { enableKeyRotation: true });
  const streams = new KinesisStreams(stack, 'Streams', {
    streams: [{ id: 'Orders' }],
    encryptionKey: streamKey,
  });
  const table = new dynamodb.Table(stack, 'Checkpoints', {
    partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING },
    sortKey: { name: 'sk', type: dynamodb.AttributeType.STRING },
    encryption: dynamodb.TableEncryption.CUSTOMER_MANAGED,
    encryptionKey: tableKey,
    pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
    billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
  });
  const dlq = new sqs.Queue(stack, 'TheirDlq', { encryptionMasterKey: queueKey, enforceSSL: true });
  const onFailureQueue = new sqs.Queue(stack, 'TheirQueue', {
    encryptionMasterKey: queueKey,
    enforceSSL: true,
    deadLetterQueue: { queue: dlq, maxReceiveCount: 5 },
  });
  const timestamp = new Date('2026-01-02T03:04:05.678Z');
  const consumer = new KinesisConsumer(stack, 'Consumer', {
    consumerName: 'audit',
    streams: streams.streams,
    handlerEntry: path.join(__dirname, 'fixtures', 'processor.ts'),
    handlerName: 'processRecords',
    checkpointTable: table,
    onFailureQueue,
    failOnError: true,
    startingPosition: lambda.StartingPosition.AT_TIMESTAMP,
    startingTimestamp: timestamp,
    continuous: false,
    schedulePeriod: Duration.minutes(5),
    functionTimeout: Duration.minutes(4),
    timeBudget: Duration.minutes(3),
    enabled: false,
    batchSize: 500,
    maxBatchingWindow: Duration.seconds(2),
    deserializer: 'json',
    getRecordsMaxRecords: 2000,
    getRecordsInterval: Duration.millis(500),
    getRecordsMaxRetries: 5,
    getRecordsBackoffBase: Duration.millis(100),
    getRecordsBackoffMax: Duration.seconds(2),
    getRecordsBackoffExponent: 2,
    getShardIteratorMaxRetries: 4,
    getShardIteratorBackoffBase: Duration.millis(200),
    getShardIteratorBackoffMax: Duration.millis(800),
    getShardIteratorBackoffExponent: 1.2,
    listShardsMaxRetries: 6,
    listShardsBackoffBase: Duration.millis(500),
    listShardsBackoffMax: Duration.seconds(6),
    listShardsBackoffExponent: 3,
    shardDiscoveryInterval: Duration.seconds(30),
    adaptiveReads: true,
    kinesisCbor: false,
    idleShardInterval: Duration.minutes(2),
    checkpointInterval: Duration.seconds(20),
    memorySizeMb: 1024,
    architecture: lambda.Architecture.X86_64,
    logRetention: logs.RetentionDays.ONE_WEEK,
    environment: { PROCESSOR_MODE: 'strict' },
    lagAlarm: false,
    errorsAlarm: false,
    onFailureQueueAlarm: false,
    heartbeatAlarm: false,
    throttlesAlarm: false,
  });
  const template = Template.fromStack(stack);
  const arnOf = (construct: kms.IKey | sqs.IQueue | dynamodb.ITable) => ({
    'Fn::GetAtt': [logicalId(construct), 'Arn'],
  });

  it('bundles the user’s entry and runs the named export with the chosen size, architecture and log retention', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Handler: 'index.processRecords',
      Timeout: 240,
      MemorySize: 1024,
      Architectures: ['x86_64'],
      LoggingConfig: { LogGroup: { Ref: Object.keys(template.findResources('AWS::Logs::LogGroup'))[0] } },
    });
    template.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 7 });
  });

  it('gives the runtime every setting the props set, in the units it reads', () => {
    const env = functionEnvironment(template, logicalId(consumer.function));
    const config = consumerConfigFromEnv({ ...env, AWS_REGION: 'eu-west-1' });
    expect(config).toEqual(
      consumerConfig({
        aws: { region: 'eu-west-1', kinesisCbor: false },
        streams: [logicalId(streams.stream('Orders'))],
        continuous: false,
        initialPosition: 'AT_TIMESTAMP',
        initialTimestamp: timestamp,
        getRecords: {
          maxRecordCount: 2000,
          intervalMillis: 500,
          backoff: { maxRetries: 5, baseMillis: 100, maxMillis: 2000, expConst: 2 },
        },
        getShardIterator: { backoff: { maxRetries: 4, baseMillis: 200, maxMillis: 800, expConst: 1.2 } },
        listShards: { backoff: { maxRetries: 6, baseMillis: 500, maxMillis: 6000, expConst: 3 } },
        discoveryIntervalMillis: 30_000,
        adaptiveReads: true,
        shardIdleIntervalMillis: 120_000,
        parallelism: 1,
        checkpointIntervalMillis: 20_000,
        timeBudgetMillis: 180_000,
        batchSize: 500,
        maxBatchingMillis: 2000,
        failOnError: true,
        deserializer: 'json',
        consumerName: 'audit',
        checkpoint: { store: 'dynamodb', dynamoDbTable: logicalId(table) },
        onFailure: { queueUrl: queueUrlStandIn(logicalId(onFailureQueue)) },
      }),
    );
    expect(env.PROCESSOR_MODE).toBe('strict');
    expect(Object.keys(env).some((name) => name.includes('SSM'))).toBe(false);
  });

  it('tells the runtime about the table and the brought queue instead of SSM and a target', () => {
    const env = functionEnvironment(template, logicalId(consumer.function));
    const config = consumerConfigFromEnv({ ...env, AWS_REGION: 'eu-west-1' });
    expect(config.consumerName).toBe('audit');
    expect(config.onFailure.queueUrl).toBe(queueUrlStandIn(logicalId(onFailureQueue)));
    expect(config.delivery.targetFunction).toBeUndefined();
    expect(config.checkpoint).toEqual({
      store: 'dynamodb',
      dynamoDbTable: logicalId(table),
      ssmPrefix: CONSUMER_DEFAULTS.checkpoint.ssmPrefix,
      ssmTier: 'Standard',
    });
    expect(consumer.checkpointTable).toBe(table);
    expect(consumer.checkpointParameterPath).toBeUndefined();
    expect(consumer.onFailureQueue).toBe(onFailureQueue);
  });

  it('creates the schedules disabled, every 5 minutes', () => {
    template.hasResourceProperties('AWS::Scheduler::Schedule', {
      ScheduleExpression: 'rate(5 minutes)',
      State: 'DISABLED',
      Target: Match.objectLike({ Input: JSON.stringify({ subtaskIndex: 0, parallelism: 1 }) }),
    });
  });

  it('uses the table instead of SSM, decrypts the stream and sends to the brought queue, with exact KMS actions', () => {
    const statements = roleStatements(template, logicalId(consumer.function.role as iam.IRole));
    expect(statements.slice(1)).toEqual([
      {
        Effect: 'Allow',
        Action: [
          'kinesis:ListShards',
          'kinesis:GetShardIterator',
          'kinesis:GetRecords',
          'kinesis:DescribeStreamSummary',
        ],
        Resource: { 'Fn::GetAtt': [logicalId(streams.stream('Orders')), 'Arn'] },
      },
      { Effect: 'Allow', Action: 'kms:Decrypt', Resource: arnOf(streamKey) },
      {
        Effect: 'Allow',
        Action: ['dynamodb:GetItem', 'dynamodb:UpdateItem', 'dynamodb:Query'],
        Resource: arnOf(table),
      },
      {
        Effect: 'Allow',
        Action: ['kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey', 'kms:DescribeKey'],
        Resource: arnOf(tableKey),
      },
      { Effect: 'Allow', Action: 'sqs:SendMessage', Resource: arnOf(onFailureQueue) },
      { Effect: 'Allow', Action: ['kms:GenerateDataKey', 'kms:Decrypt'], Resource: arnOf(queueKey) },
    ]);
    expect(allPolicyActions(template).filter((action) => action.includes('*'))).toEqual([]);
    expect(acknowledgedRuleIds(consumer)).toEqual([]);
  });

  it('creates no queue of its own and no alarm when they are turned off', () => {
    template.resourceCountIs('AWS::SQS::Queue', 2);
    template.resourceCountIs('AWS::CloudWatch::Alarm', 0);
    expect(consumer.alarms).toEqual([]);
  });
});

describe('KinesisConsumer validation', () => {
  const build = (props: Partial<KinesisConsumerProps>) => {
    const stack = new Stack();
    const stream = importedStream(stack);
    const target = lambda.Function.fromFunctionArn(stack, 'T', TARGET_ARN);
    return new KinesisConsumer(stack, 'Consumer', { consumerName: 'c', streams: [stream], target, ...props });
  };

  it.each<[string, Partial<KinesisConsumerProps>, string]>([
    ['a bad consumer name', { consumerName: 'a/b' }, 'consumerName is "a/b"; use 1 to 64 letters'],
    ['no streams', { streams: [] }, 'streams is empty; give at least one stream to read.'],
    ['no subtasks', { parallelism: 0 }, 'parallelism is 0; it must be an integer from 1 to 1000.'],
    [
      'too many subtasks',
      { parallelism: 1001 },
      'parallelism is 1001; it must be an integer from 1 to 1000.',
    ],
    [
      'no delivery',
      { target: undefined },
      'neither handlerEntry nor target is set; give your processor’s handler file or a function to invoke.',
    ],
    [
      'two deliveries',
      { handlerEntry: 'x.ts' },
      'both handlerEntry and target are set; give one: your processor bundled in-process, or a function to invoke.',
    ],
    [
      'a handler name without an entry',
      { handlerName: 'main' },
      'handlerName is set without handlerEntry; it names an export of handlerEntry.',
    ],
    [
      'AT_TIMESTAMP without a timestamp',
      { startingPosition: lambda.StartingPosition.AT_TIMESTAMP },
      'startingPosition is AT_TIMESTAMP but startingTimestamp is not set; give the time to start from.',
    ],
    [
      'a timestamp without AT_TIMESTAMP',
      { startingTimestamp: new Date(0) },
      'startingTimestamp is set but startingPosition is LATEST (the default); use AT_TIMESTAMP or drop the timestamp.',
    ],
    [
      'a table and an SSM prefix',
      {
        checkpointTable: dynamodb.Table.fromTableName(new Stack(), 'T', 't'),
        checkpointParameterPrefix: 'x',
      },
      'checkpointTable is set together with an SSM checkpoint setting',
    ],
    [
      'a reserved SSM prefix',
      { checkpointParameterPrefix: '/aws/things' },
      'checkpointParameterPrefix is "/aws/things"; it must be an SSM parameter path such as /my-app/checkpoints',
    ],
    [
      'an empty SSM path segment',
      { checkpointParameterPrefix: '/a//b' },
      'checkpointParameterPrefix is "/a//b"; it must be an SSM parameter path such as /my-app/checkpoints',
    ],
    [
      'a period that is not whole minutes',
      { schedulePeriod: Duration.seconds(90) },
      'schedulePeriod is 1 minute 30 seconds; it must be at least 1 minute and at most 1 hour in whole minutes.',
    ],
    [
      'a timeout as long as the period (scheduled mode)',
      { continuous: false, functionTimeout: Duration.seconds(60) },
      'functionTimeout is 1 minute; it must be shorter than schedulePeriod (1 minute) so that an invocation always ends before the next one of its subtask starts.',
    ],
    [
      'a timeout too short to read',
      { functionTimeout: Duration.seconds(9) },
      'functionTimeout is 9 seconds; it must be at least 10 seconds and at most 15 minutes in whole seconds.',
    ],
    [
      'a timeout too short to read after a longer settle delay and reserve',
      {
        functionTimeout: Duration.seconds(14),
        leaseSettleDelay: Duration.seconds(3),
        shutdownReserve: Duration.seconds(9),
      },
      'functionTimeout is 14 seconds; it must be at least 15 seconds and at most 15 minutes in whole seconds.',
    ],
    [
      'a budget as long as the timeout',
      { functionTimeout: Duration.seconds(30), timeBudget: Duration.seconds(30) },
      'timeBudget is 30 seconds; it must be shorter than functionTimeout (30 seconds) to leave time for the last delivery and checkpoint.',
    ],
    ['an empty batch', { batchSize: 0 }, 'batchSize is 0; it must be an integer from 1 to 10000.'],
    [
      'too many records per call',
      { getRecordsMaxRecords: 10_001 },
      'getRecordsMaxRecords is 10001; it must be an integer from 1 to 10000.',
    ],
    [
      'a read interval as long as the iterator lifetime',
      { getRecordsInterval: Duration.minutes(5) },
      'getRecordsInterval is 5 minutes (300000 ms); it must be an integer from 0 to 299999 (milliseconds, below the 5-minute shard iterator expiry).',
    ],
    [
      'an environment variable of the connector',
      { environment: { SKC_CONSUMER_BATCHSIZE: '5' } },
      'environment sets SKC_CONSUMER_BATCHSIZE, a name the connector reserves (SKC_*, its settings); use a typed prop or rename it.',
    ],
    [
      'a setting the construct writes itself',
      { environment: { SKC_CONSUMER_TARGET_FUNCTION: 'x' } },
      'environment sets SKC_CONSUMER_TARGET_FUNCTION, a name the connector reserves',
    ],
    [
      'a prefix without its leading slash',
      { checkpointParameterPrefix: 'apps' },
      'checkpointParameterPrefix is "apps"; it must be an SSM parameter path',
    ],
    [
      'a checkpoint interval under a second',
      { checkpointInterval: Duration.millis(500) },
      'checkpointInterval is 500 milliseconds (500 ms); it must be an integer of at least 1000 (milliseconds; SSM writes are scarce).',
    ],
    [
      'a negative retry count',
      { listShardsMaxRetries: -1 },
      'listShardsMaxRetries is -1; it must be an integer of at least 0.',
    ],
    [
      'a backoff exponent of zero',
      { getRecordsBackoffExponent: 0 },
      'getRecordsBackoffExponent is 0; it must be a number greater than 0.',
    ],
    [
      'a backoff ceiling below its base',
      { getShardIteratorBackoffBase: Duration.seconds(2) },
      'getShardIteratorBackoffMax is 1 second; it must be at least getShardIteratorBackoffBase (2 seconds).',
    ],
  ])('rejects %s, naming the prop, the value and the range', (_name, props, message) => {
    expect(() => build(props)).toThrow(ConfigurationError);
    expect(() => build(props)).toThrow(`KinesisConsumer: ${message}`);
  });

  it('rejects a Token parallelism, which decides how many schedules exist', () => {
    const stack = new Stack();
    const parallelism = new CfnParameter(stack, 'P', { type: 'Number' }).valueAsNumber;
    expect(() => build({ parallelism })).toThrow(
      'KinesisConsumer: parallelism is a Token; it sets how many schedules to create and must be known at synth.',
    );
  });

  it('accepts Tokens for the read, batch and timing settings and passes them through to the runtime', () => {
    const stack = new Stack();
    const parameter = (id: string) => new CfnParameter(stack, id, { type: 'Number' }).valueAsNumber;
    const stream = importedStream(stack);
    const consumer = new KinesisConsumer(stack, 'Consumer', {
      consumerName: 'c',
      streams: [stream],
      target: lambda.Function.fromFunctionArn(stack, 'T', TARGET_ARN),
      batchSize: parameter('Batch'),
      getRecordsMaxRecords: parameter('MaxRecords'),
      getRecordsInterval: Duration.millis(parameter('Interval')),
      functionTimeout: Duration.seconds(parameter('Timeout')),
      timeBudget: Duration.millis(parameter('Budget')),
      checkpointParameterTier: ssm.ParameterTier.ADVANCED,
    });
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::Lambda::Function', { Timeout: { Ref: 'Timeout' } });
    const env = functionEnvironment(template, logicalId(consumer.function));
    const config = consumerConfigFromEnv({
      ...env,
      AWS_REGION: 'eu-west-1',
      // What CloudFormation would put in place of each parameter.
      ...Object.fromEntries(
        Object.entries(env)
          .filter(([, value]) => ['Batch', 'MaxRecords', 'Interval', 'Budget'].includes(value))
          .map(([name, value]) => [
            name,
            { Batch: '7', MaxRecords: '70', Interval: '700', Budget: '7000' }[value],
          ]),
      ),
    });
    expect(config).toMatchObject({
      streams: ['s'],
      batchSize: 7,
      getRecords: { maxRecordCount: 70, intervalMillis: 700 },
      timeBudgetMillis: 7000,
      checkpoint: { ssmTier: 'Advanced' },
    });
  });

  it('passes the shutdown reserve and the lease settle delay to the runtime, and keeps the reserve out of the default budget', () => {
    // Scheduled mode, whose default budget is the default timeout (55 s) less the reserve.
    const consumer = build({
      continuous: false,
      shutdownReserve: Duration.seconds(8),
      leaseSettleDelay: Duration.millis(500),
    });
    const env = functionEnvironment(Template.fromStack(Stack.of(consumer)), logicalId(consumer.function));
    const config = consumerConfigFromEnv({ ...env, AWS_REGION: 'eu-west-1' });
    expect(config.shutdownReserveMillis).toBe(8000);
    expect(config.leaseSettleMillis).toBe(500);
    expect(config.timeBudgetMillis).toBe(55_000 - 8000);
    expect(() => build({ leaseSettleDelay: Duration.millis(50) })).toThrow(
      'KinesisConsumer: leaseSettleDelay is 50 milliseconds',
    );
  });

  it('asks for a time budget when the timeout is a Token', () => {
    const stack = new Stack();
    const seconds = new CfnParameter(stack, 'Timeout', { type: 'Number' }).valueAsNumber;
    expect(() => build({ functionTimeout: Duration.seconds(seconds) })).toThrow(
      'KinesisConsumer: functionTimeout is a Token; give timeBudget too, shorter than the timeout.',
    );
  });
});
