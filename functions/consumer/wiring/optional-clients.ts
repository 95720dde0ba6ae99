// The SDK clients only some consumer deployments use, each behind its build-time constant (see
// core/bundle-constants.ts). Defined as "false", esbuild folds the guard and drops the branch, and
// with it the only use of the client, which then leaves the bundle; defined otherwise or not at all,
// the client is imported like any other and so loaded with the bundle, as a deployment that uses it
// wants. The error says which constant left it out.
import type { SuccessorStarter } from '../../core/consumer/handover';
import type { OnFailureDestination } from '../../core/consumer/on-failure';
import type { BatchHandler } from '../../core/consumer/types';
import type { AwsClientFactory } from '../../core/aws/clients';
import { CONSUMER_SETTINGS } from '../../core/config/consumer-settings';
import { BUNDLE_CONSTANTS } from '../../core/bundle-constants';
import { ConfigurationError } from '../../core/errors';
import type { CheckpointWiring, WiringContext } from './context';
import * as DynamoDbWiring from './dynamodb';
import * as LambdaWiring from './lambda';
import * as SqsWiring from './sqs';
import * as SsmWiring from './ssm';

type OptionalClient = 'ssm' | 'dynamodb' | 'sqs' | 'lambda';

/** Checkpoints in SSM Parameter Store (`consumer.checkpoint.store` ssm). */
export function ssmCheckpoints(context: WiringContext): CheckpointWiring {
  if (process.env.CONNECTOR_BUNDLE_SSM !== 'false') {
    return SsmWiring.ssmCheckpoints(context);
  }
  throw leftOut('ssm', CONSUMER_SETTINGS.checkpointStore.key, 'ssm, the default');
}

/** Checkpoints in DynamoDB (`consumer.checkpoint.store` dynamodb). */
export function dynamoDbCheckpoints(context: WiringContext): CheckpointWiring {
  if (process.env.CONNECTOR_BUNDLE_DYNAMODB !== 'false') {
    return DynamoDbWiring.dynamoDbCheckpoints(context);
  }
  throw leftOut('dynamodb', CONSUMER_SETTINGS.checkpointStore.key, 'dynamodb');
}

/** The on-failure queue (`consumer.onfailure.queueurl`). */
export function sqsOnFailureQueue(context: WiringContext, queueUrl: string): OnFailureDestination {
  if (process.env.CONNECTOR_BUNDLE_SQS !== 'false') {
    return SqsWiring.sqsOnFailureQueue(context, queueUrl);
  }
  throw leftOut('sqs', CONSUMER_SETTINGS.onFailureQueueUrl.key, queueUrl);
}

/** Delivery to a target function (`consumer.target.function`). */
export function lambdaTargetDelivery(aws: AwsClientFactory, functionName: string): BatchHandler<Uint8Array> {
  if (process.env.CONNECTOR_BUNDLE_LAMBDA !== 'false') {
    return LambdaWiring.lambdaTargetDelivery(aws, functionName);
  }
  throw leftOut('lambda', CONSUMER_SETTINGS.targetFunction.key, functionName);
}

/** Continuous mode's successor start. */
export function lambdaSuccessorStarter(aws: AwsClientFactory): (functionName: string) => SuccessorStarter {
  if (process.env.CONNECTOR_BUNDLE_LAMBDA !== 'false') {
    return LambdaWiring.lambdaSuccessorStarter(aws);
  }
  throw leftOut('lambda', CONSUMER_SETTINGS.continuous.key, 'true');
}

// Each client's name, and when the KinesisConsumer construct bundles it.
const CLIENTS: Record<OptionalClient, { readonly name: string; readonly bundledWhen: string }> = {
  ssm: { name: 'SSM', bundledWhen: 'without checkpointTable' },
  dynamodb: { name: 'DynamoDB', bundledWhen: 'with checkpointTable' },
  sqs: { name: 'SQS', bundledWhen: 'with an on-failure queue' },
  lambda: { name: 'Lambda', bundledWhen: 'with a target or in continuous mode' },
};

function leftOut(client: OptionalClient, key: string, value: string): ConfigurationError {
  const { name, bundledWhen } = CLIENTS[client];
  return new ConfigurationError(
    `${key} is ${value}, which needs the ${name} client, but this bundle was built without it ` +
      `(${BUNDLE_CONSTANTS[client]} defined as "false"; the KinesisConsumer construct bundles it only ` +
      `${bundledWhen}). Configure it through the construct's props, or bundle without that define.`,
    key,
  );
}
