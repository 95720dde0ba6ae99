import * as path from 'node:path';
import { CfnOutput, Duration, Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import {
  ConnectorDashboard,
  KinesisConsumer,
  KinesisProducer,
  KinesisStreams,
} from 'serverless-kinesis-connector';

/**
 * A stack of your own with the connector's constructs in it: two streams of orders (routed by region),
 * the SQS-fronted producer that writes them, and a scheduled consumer that runs your processor
 * (src/order-processor.ts, bundled by esbuild at synth).
 */
export class OrdersStack extends Stack {
  constructor(scope: Construct, id: string, props?: StackProps) {
    super(scope, id, props);

    const streams = new KinesisStreams(this, 'Streams', {
      streams: [
        { id: 'EuOrders', shardCount: 2 },
        { id: 'UsOrders', shardCount: 1 },
      ],
    });
    const producer = new KinesisProducer(this, 'Producer', {
      producerName: 'orders-producer',
      streams: streams.streams,
    });
    const consumer = new KinesisConsumer(this, 'Consumer', {
      consumerName: 'orders-consumer',
      streams: streams.streams,
      handlerEntry: path.join(__dirname, '..', 'src', 'order-processor.ts'),
      deserializer: 'json',
      schedulePeriod: Duration.minutes(1),
    });
    new ConnectorDashboard(this, 'Dashboard', { producers: [producer], consumers: [consumer] });

    // Your services send with ProducerClient (src/send-orders.ts) to this queue, naming the stream.
    new CfnOutput(this, 'ProducerQueueUrl', { value: producer.queue.queueUrl });
    streams.streams.forEach(
      (stream, index) => new CfnOutput(this, `StreamName${index}`, { value: stream.streamName }),
    );
  }
}
