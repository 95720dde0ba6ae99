import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDbCheckpointStore } from '../../core/checkpoints/dynamodb-checkpoint-store';
import { DynamoDbTransactionalCheckpoints } from '../../core/checkpoints/dynamodb-transactions';
import type { CheckpointWiring, WiringContext } from './context';

/** Checkpoints and leases in the configured DynamoDB table. */
export function dynamoDbCheckpoints(context: WiringContext): CheckpointWiring {
  const { config, clock, random, logger } = context;
  const dynamodb = context.aws.client('dynamodb', DynamoDBClient);
  const store = new DynamoDbCheckpointStore({
    dynamodb,
    tableName: config.checkpoint.dynamoDbTable as string,
    consumerName: config.consumerName,
    clock,
    random,
    logger,
  });
  return {
    store,
    lease: (subtaskIndex, owner) => store.lease(subtaskIndex, owner),
    transactions: new DynamoDbTransactionalCheckpoints(store),
    dynamodb,
  };
}
