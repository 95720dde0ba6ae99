import { Option, type Command } from 'commander';
import { consumerCheckpointPath } from '../../functions/core/checkpoints/checkpoint-path';
import { CONSUMER_DEFAULTS, CONSUMER_SETTINGS } from '../../functions/core/config/consumer-settings';
import { listOption, settingOption } from '../command';

/** The options that name a consumer's checkpoints, shared by `status` and `reset`. */
export function addConsumerOptions(command: Command): Command {
  return command
    .option(
      '--consumer-prefix <path>',
      `the consumer's SSM checkpoint path (${CONSUMER_SETTINGS.ssmPrefix.key}; default: from --properties, else ${CONSUMER_DEFAULTS.checkpoint.ssmPrefix})`,
    )
    .option(
      '--consumer <name>',
      `a consumer deployed with the CDK construct: path ${consumerCheckpointPath('<name>')}; with --checkpoint-table, its ${CONSUMER_SETTINGS.consumerName.key}`,
    )
    .option(
      '--checkpoint-table <name>',
      `the consumer's DynamoDB checkpoint table (${CONSUMER_SETTINGS.dynamoDbTable.key}), instead of SSM; needs --consumer`,
    )
    .option(
      '--streams <names>',
      "the consumer's streams, names or ARNs, comma-separated (default: from --properties and the streams in its checkpoints)",
      listOption,
    )
    .option(
      '--parallelism <n>',
      "the consumer's parallelism, for the owning subtasks (default: from --properties, else the stored subtask values)",
      settingOption(CONSUMER_SETTINGS.parallelism),
    )
    .addOption(
      new Option(
        '--ssm-tier <tier>',
        `the tier of the checkpoint parameters (${CONSUMER_SETTINGS.ssmTier.key})`,
      ).choices(['Standard', 'Advanced', 'Intelligent-Tiering']),
    );
}
