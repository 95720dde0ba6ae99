// The IAM actions exactly-once mode needs beside the checkpoint store's, and nothing more; the CDK
// construct grants exactly these. A transaction needs no action of its own: DynamoDB checks each of its
// actions as the single-item call it stands for.

/** The state table: GetItem (state reads), PutItem and DeleteItem (state and window timers), Query (due timers). */
export const EXACTLY_ONCE_STATE_ACTIONS = [
  'dynamodb:GetItem',
  'dynamodb:PutItem',
  'dynamodb:DeleteItem',
  'dynamodb:Query',
] as const;

/** The user's own tables: the writes a processor may add to a transaction. */
export const EXACTLY_ONCE_TABLE_ACTIONS = [
  'dynamodb:PutItem',
  'dynamodb:UpdateItem',
  'dynamodb:DeleteItem',
  'dynamodb:ConditionCheckItem',
] as const;
