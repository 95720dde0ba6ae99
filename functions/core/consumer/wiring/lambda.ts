import { LambdaClient } from '@aws-sdk/client-lambda';
import type { AwsClientFactory } from '../../aws/clients';
import { lambdaInvokeApi } from '../lambda-invoke';
import { lambdaTarget } from '../lambda-target';
import type { BatchHandler } from '../types';

/** Delivery to the target function, synchronously invoked with each batch. */
export function lambdaTargetDelivery(aws: AwsClientFactory, functionName: string): BatchHandler<Uint8Array> {
  return lambdaTarget({ lambda: lambdaInvokeApi(aws.client('lambda', LambdaClient)), functionName });
}
