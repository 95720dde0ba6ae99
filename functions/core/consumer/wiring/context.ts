import type { Logger } from '@aws-lambda-powertools/logger';
import type { AwsClientFactory } from '../../aws/clients';
import type { CheckpointStore, SubtaskLease } from '../../checkpoints/checkpoint-store';
import type { ConsumerConfig } from '../../config';
import type { Clock, Random } from '../../time/clock';

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
}
