import { createConsumerHandler, type ConsumerRecord } from 'serverless-kinesis-connector/runtime';
import type { Order } from './order';

// Your consumer code: the connector reads the shards, deaggregates, parses each record's JSON (the stack
// sets deserializer 'json'), and calls this with each shard's records in order. Delivery is at least
// once, so write idempotently, keyed by the record's position.
export function orderKey(record: ConsumerRecord<unknown>): string {
  return `${record.stream}/${record.shardId}/${record.sequenceNumber}/${record.subSequenceNumber ?? 0}`;
}

export const handler = createConsumerHandler<unknown>(async (records, { stream, shardId }) => {
  let total = 0;
  for (const record of records) {
    const order = record.data as Partial<Order>;
    if (typeof order.amount === 'number') total += order.amount;
  }
  console.log(JSON.stringify({ stream, shardId, orders: records.length, total }));
});
