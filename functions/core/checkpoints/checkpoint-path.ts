import { CHECKPOINT_PATH_ROOT } from '../config/consumer-settings';

// Where a consumer's checkpoints and leases live, built in one place for the runtime's stores, the
// constructs (which scope IAM to these names), the CLI and the local runner.

/**
 * The SSM path of one consumer's checkpoints and leases as the KinesisConsumer construct lays it out:
 * `{root}/{consumerName}`. (A consumer configured by hand uses consumer.checkpoint.ssm.prefix as given.)
 */
export function consumerCheckpointPath(consumerName: string, root: string = CHECKPOINT_PATH_ROOT): string {
  return `${root}/${consumerName}`;
}

/** The SSM parameter holding part `part` of a subtask's checkpoint under `path`. */
export function ssmCheckpointParameter(path: string, subtaskIndex: number, part = 0): string {
  return `${path}/subtask-${subtaskIndex}${part ? `-part-${part}` : ''}`;
}

/** The SSM parameter holding a subtask's lease, beside its checkpoint. */
export function ssmLeaseParameter(path: string, subtaskIndex: number): string {
  return `${path}/lease-subtask-${subtaskIndex}`;
}
