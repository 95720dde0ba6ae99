import type { ProducerRouting } from '../functions/producer/environment';
import type { Order } from './example-pipeline';

/**
 * The example's routing, beyond what settings can say: an order sent without a partition key is keyed
 * by its order id, so the records of one order stay on one shard, in order. (What a message gives
 * itself always wins: the example's senders key orders by customer.) Used by the example's producer
 * handler (order-producer.ts) and by `npm start`.
 */
export const ORDER_ROUTING: ProducerRouting = {
  partitioner: (record) => {
    const orderId = (record.value as Partial<Order> | null)?.orderId;
    return typeof orderId === 'string' && orderId.length > 0
      ? { partitionKey: `order-${orderId}` }
      : undefined;
  },
};
