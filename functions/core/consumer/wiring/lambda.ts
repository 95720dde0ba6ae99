import { LambdaClient } from '@aws-sdk/client-lambda';
import type { AwsClientFactory } from '../../aws/clients';
import { lambdaInvokeApi, lambdaSuccessorStarter as successorStarter } from '../lambda-invoke';
import type { SuccessorStarter } from '../handover';
import { lambdaTarget } from '../lambda-target';
import type { BatchHandler } from '../types';

/** Delivery to the target function, synchronously invoked with each batch. */
export function lambdaTargetDelivery(aws: AwsClientFactory, functionName: string): BatchHandler<Uint8Array> {
  return lambdaTarget({ lambda: lambdaInvokeApi(aws.client('lambda', LambdaClient)), functionName });
}

/** Continuous mode's successor start: an asynchronous Invoke of this function. */
export function lambdaSuccessorStarter(aws: AwsClientFactory): (functionName: string) => SuccessorStarter {
  return successorStarter(aws.client('lambda', LambdaClient));
}
