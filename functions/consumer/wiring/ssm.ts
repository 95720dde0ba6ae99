import { SSMClient } from '@aws-sdk/client-ssm';
import { SsmCheckpointStore } from '../../core/checkpoints/ssm-checkpoint-store';
import { SsmSubtaskLease } from '../../core/checkpoints/ssm-lease';
import type { CheckpointWiring, WiringContext } from './context';

/** Checkpoints and leases in SSM Parameter Store, under the configured prefix. */
export function ssmCheckpoints(context: WiringContext): CheckpointWiring {
  const { config, clock, random, logger } = context;
  const ssm = context.aws.client('ssm', SSMClient);
  const store = new SsmCheckpointStore({
    ssm,
    parameterPath: config.checkpoint.ssmPrefix,
    tier: config.checkpoint.ssmTier,
    clock,
    random,
    logger,
  });
  return {
    store,
    lease: (subtaskIndex, owner) =>
      new SsmSubtaskLease({
        ssm,
        parameterName: store.leaseParameterName(subtaskIndex),
        owner,
        settleMillis: context.leaseSettleMillis,
        clock,
        random,
        logger,
      }),
  };
}
