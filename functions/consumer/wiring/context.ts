import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { Logger } from '@aws-lambda-powertools/logger';
import type { AwsClientFactory } from '../../core/aws/clients';
import type {
  CheckpointStore,
  SubtaskLease,
  TransactionalCheckpoints,
} from '../../core/checkpoints/checkpoint-store';
import type { ConsumerConfig } from '../../core/config';
import type { Clock, Random } from '../../core/time/clock';

/** What the handler has made by the time it wires the clients only some deployments use. */
export interface WiringContext {
  readonly config: ConsumerConfig;
  readonly aws: AwsClientFactory;
  readonly clock: Clock;
  readonly random: Random;
  readonly logger: Logger;
  /** The SSM lease's settle delay. */
  readonly leaseSettleMillis: number;
}

/** A checkpoint store and the lease of each subtask. */
export interface CheckpointWiring {
  readonly store: CheckpointStore;
  readonly lease: (subtaskIndex: number, owner: string) => SubtaskLease;
  /** Commits with effects, for exactly-once mode; only the DynamoDB store has it. */
  readonly transactions?: TransactionalCheckpoints;
  /** The DynamoDB client, where the store has one (exactly-once mode's state table shares it). */
  readonly dynamodb?: Pick<DynamoDBClient, 'send'>;
}
