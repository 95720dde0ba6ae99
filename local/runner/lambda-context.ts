import { randomUUID } from 'node:crypto';
import type { Context } from 'aws-lambda';
import type { Clock } from '../../functions/core/time/clock';
import { LOCAL_FUNCTION_MEMORY_MB } from './lambda-runtime';

/** The part of Lambda's context object the connector's handlers use. */
export type LocalLambdaContext = Pick<
  Context,
  'awsRequestId' | 'functionName' | 'getRemainingTimeInMillis' | 'memoryLimitInMB'
>;

/** A context whose remaining time runs down to `deadline` on `clock`, as an invocation's does to its timeout. */
export function lambdaContext(
  functionName: string,
  deadline: number,
  clock: Clock,
  awsRequestId: string = randomUUID(),
): LocalLambdaContext {
  return {
    awsRequestId,
    functionName,
    memoryLimitInMB: String(LOCAL_FUNCTION_MEMORY_MB),
    getRemainingTimeInMillis: () => Math.max(0, deadline - clock.now()),
  };
}
