/**
 * The key of every DynamoDB table the runtime keeps items in: the checkpoint table and the exactly-once
 * state table (and the user tables of the tests and the local runner that mimic them). Both attributes
 * are strings. The construct, the local runner and the tests build their tables from this.
 */
export const TABLE_KEY = { partition: 'pk', sort: 'sk' } as const;
