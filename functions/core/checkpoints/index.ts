export {
  parseShardKey,
  shardKey,
  type CheckpointStore,
  type CheckpointValue,
  type LeaseHolder,
  type OperatorLease,
  type ShardCheckpoint,
  type ShardKey,
  type StoredCheckpoint,
  type SubtaskLease,
  type TransactionalCheckpoints,
} from './checkpoint-store';
export { decodeCheckpointValue, encodeCheckpointParts, encodeCheckpointValue } from './encoding';
export { compareCheckpoints, compareSequenceNumbers, mergeCheckpoints, type MergedCheckpoint } from './merge';
export {
  DEFAULT_SSM_WRITE_BACKOFF,
  SSM_VALUE_LIMIT_BYTES,
  SsmCheckpointStore,
  type CheckpointTier,
  type SsmCheckpointStoreOptions,
} from './ssm-checkpoint-store';
export { SsmSubtaskLease, type SsmSubtaskLeaseOptions } from './ssm-lease';
export {
  DEFAULT_DYNAMODB_BACKOFF,
  DYNAMODB_VALUE_LIMIT_BYTES,
  DynamoDbCheckpointStore,
  DynamoDbSubtaskLease,
  type DynamoDbCheckpointStoreOptions,
} from './dynamodb-checkpoint-store';
export { DYNAMODB_CHECKPOINT_ACTIONS, SSM_CHECKPOINT_ACTIONS } from './permissions';
export { DynamoDbTransactionalCheckpoints } from './dynamodb-transactions';
