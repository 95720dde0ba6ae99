import * as path from 'node:path';
import { CfnOutput, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import type { Construct } from 'constructs';
import { ConnectorDashboard, KinesisConsumer, KinesisProducer, KinesisStreams } from '../lib';
import { EXAMPLE_PIPELINE } from './example-pipeline';

/** Props of the example pipeline. */
export interface ExamplePipelineStackProps extends StackProps {
  /**
   * Where the alarms send email; the address must confirm the subscription.
   * @default - alarms notify nobody
   */
  readonly alarmEmail?: string;
}

/**
 * The example pipeline: one stream, the SQS-fronted producer writing to it, the scheduled consumer
 * running the sample processor, and an exactly-once consumer counting orders per customer per minute
 * into a table, with alarms and a dashboard. Built to be deleted again: the stream and
 * logs go with the stack.
 */
export class ExamplePipelineStack extends Stack {
  readonly streams: KinesisStreams;
  readonly producer: KinesisProducer;
  readonly consumer: KinesisConsumer;
  /** The exactly-once consumer: orders per customer per minute, into `ordersPerMinuteTable`. */
  readonly ordersPerMinute: KinesisConsumer;
  readonly ordersPerMinuteTable: dynamodb.Table;

  constructor(scope: Construct, id: string, props: ExamplePipelineStackProps = {}) {
    super(scope, id, props);
    const alarmAction = props.alarmEmail ? this.emailAlarms(props.alarmEmail) : undefined;

    const { streams, producer, consumer } = EXAMPLE_PIPELINE;
    this.streams = new KinesisStreams(this, 'Streams', {
      streams: streams.map(({ id, shardCount }) => ({ id, shardCount })),
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.producer = new KinesisProducer(this, 'Producer', {
      producerName: producer.producerName,
      fifo: producer.fifo,
      streams: this.streams.streams,
      // The example's own producer handler: the built-in one plus a custom partitioner.
      handlerEntry: path.join(__dirname, producer.handlerFile),
      alarmAction,
    });
    this.consumer = new KinesisConsumer(this, 'Consumer', {
      consumerName: consumer.consumerName,
      streams: this.streams.streams,
      handlerEntry: path.join(__dirname, consumer.handlerFile),
      deserializer: consumer.deserializer,
      parallelism: consumer.parallelism,
      alarmAction,
    });
    const keyed = { name: 'pk', type: dynamodb.AttributeType.STRING };
    const tableProps = {
      partitionKey: keyed,
      sortKey: { name: 'sk', type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      removalPolicy: RemovalPolicy.DESTROY,
    };
    this.ordersPerMinuteTable = new dynamodb.Table(this, 'OrdersPerMinuteTable', tableProps);
    this.ordersPerMinute = new KinesisConsumer(this, 'OrdersPerMinute', {
      consumerName: 'orders-per-minute',
      streams: this.streams.streams,
      handlerEntry: path.join(__dirname, 'orders-per-minute.ts'),
      deserializer: 'json',
      checkpointTable: new dynamodb.Table(this, 'Checkpoints', tableProps),
      exactlyOnce: {
        stateTable: new dynamodb.Table(this, 'OrdersPerMinuteState', tableProps),
        tables: [this.ordersPerMinuteTable],
      },
      environment: { ORDERS_PER_MINUTE_TABLE: this.ordersPerMinuteTable.tableName },
      alarmAction,
    });
    const dashboard = new ConnectorDashboard(this, 'Dashboard', {
      producers: [this.producer],
      consumers: [this.consumer, this.ordersPerMinute],
    });

    new CfnOutput(this, 'StreamName', { value: this.streams.streams[0]?.streamName ?? '' });
    new CfnOutput(this, 'ProducerQueueUrl', {
      value: this.producer.queue.queueUrl,
      description: 'Send messages here (see the producer message contract).',
    });
    new CfnOutput(this, 'ProducerDeadLetterQueueUrl', { value: this.producer.deadLetterQueue.queueUrl });
    new CfnOutput(this, 'ConsumerOnFailureQueueUrl', { value: this.consumer.onFailureQueue.queueUrl });
    new CfnOutput(this, 'ConsumerCheckpointPath', { value: this.consumer.checkpointParameterPath ?? '' });
    new CfnOutput(this, 'DashboardName', { value: dashboard.dashboard.dashboardName });
  }

  // CloudWatch can publish only to topics whose key lets it; the AWS managed SNS key does not.
  private emailAlarms(email: string): actions.SnsAction {
    const key = new kms.Key(this, 'AlarmTopicKey', {
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.DESTROY,
      description: 'Encrypts the example pipeline alarm topic',
    });
    key.grant(new iam.ServicePrincipal('cloudwatch.amazonaws.com'), 'kms:Decrypt', 'kms:GenerateDataKey');
    const topic = new sns.Topic(this, 'AlarmTopic', { masterKey: key, enforceSSL: true });
    topic.addSubscription(new subscriptions.EmailSubscription(email));
    return new actions.SnsAction(topic);
  }
}
