import { LambdaClient } from '@aws-sdk/client-lambda';
import type { AwsClientFactory } from '../../core/aws/clients';
import { lambdaInvokeApi } from '../../core/consumer/lambda-invoke';
import { lambdaTarget } from '../../core/consumer/lambda-target';
import type { BatchHandler } from '../../core/consumer/types';

/** Delivery to the target function, synchronously invoked with each batch. */
export function lambdaTargetDelivery(aws: AwsClientFactory, functionName: string): BatchHandler<Uint8Array> {
  return lambdaTarget({ lambda: lambdaInvokeApi(aws.client('lambda', LambdaClient)), functionName });
}
