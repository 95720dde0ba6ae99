import { SQSClient } from '@aws-sdk/client-sqs';
import { ProducerClient, type ProducerRecord } from 'serverless-kinesis-connector/runtime';
import type { Order } from './order';

// Your service's side: orders go to the producer's queue, each naming its stream (by region) and its
// partition key (the customer, so one customer's orders stay in order on one shard). The producer
// function aggregates them per shard and writes them to Kinesis.
export function routeOrder(order: Order, streamNames: { eu: string; us: string }): ProducerRecord {
  return { data: order, stream: streamNames[order.region], partitionKey: order.customerId };
}

export async function sendOrders(
  orders: readonly Order[],
  options: { queueUrl: string; streamNames: { eu: string; us: string }; sqs?: SQSClient },
): Promise<number> {
  const client = new ProducerClient({ sqs: options.sqs ?? new SQSClient({}), queueUrl: options.queueUrl });
  const result = await client.send(orders.map((order) => routeOrder(order, options.streamNames)));
  return result.accepted;
}
