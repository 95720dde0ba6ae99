import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDbCheckpointStore } from '../../core/checkpoints/dynamodb-checkpoint-store';
import type { CheckpointWiring, WiringContext } from './context';

/** Checkpoints and leases in the configured DynamoDB table. */
export function dynamoDbCheckpoints(context: WiringContext): CheckpointWiring {
  const { config, clock, random, logger } = context;
  const store = new DynamoDbCheckpointStore({
    dynamodb: context.aws.client('dynamodb', DynamoDBClient),
    tableName: config.checkpoint.dynamoDbTable as string,
    consumerName: config.consumerName,
    clock,
    random,
    logger,
  });
  return { store, lease: (subtaskIndex, owner) => store.lease(subtaskIndex, owner) };
}
