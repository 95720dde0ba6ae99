import type { Logger } from '@aws-lambda-powertools/logger';
import type { AwsClientFactory } from '../../core/aws/clients';
import type { CheckpointStore, SubtaskLease } from '../../core/checkpoints/checkpoint-store';
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
}
