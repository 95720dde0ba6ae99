import { createExactlyOnceHandler } from '../functions/consumer';
import { tumblingWindows } from '../functions/core/exactly-once';
import type { Order } from './example-pipeline';

// The example's exactly-once consumer: orders per customer per minute of event time (the time the order
// was sent, else its arrival), each minute's count written once to the results table when the watermark
// passes the minute's end. The window key is the record's partition key (the customer), so one shard holds
// each customer's orders. In your own project, import from 'serverless-kinesis-connector/runtime'.
const RESULTS_TABLE = process.env.ORDERS_PER_MINUTE_TABLE ?? '';

export const handler = createExactlyOnceHandler<unknown>(
  ({ state, dynamodb }) =>
    tumblingWindows<unknown, number>(
      {
        sizeMillis: 60_000,
        key: (record) => record.partitionKey,
        init: () => 0,
        add: (orders) => orders + 1,
        emit: ({ key, start, value }, { tables }) =>
          tables.put({
            TableName: RESULTS_TABLE,
            Item: { pk: { S: key }, sk: { S: start.toISOString() }, orders: { N: String(value) } },
          }),
      },
      state,
      dynamodb,
    ),
  {
    timestampAssigner: (record) =>
      (record.data as Partial<Order>).sentAt ?? record.approximateArrivalTimestamp,
  },
);
