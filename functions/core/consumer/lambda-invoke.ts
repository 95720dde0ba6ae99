import { InvokeCommand, type LambdaClient } from '@aws-sdk/client-lambda';
import type { LambdaInvokeApi } from './lambda-target';

/** The target's one Lambda call over an SDK v3 client: a synchronous (RequestResponse) Invoke. */
export function lambdaInvokeApi(client: Pick<LambdaClient, 'send'>): LambdaInvokeApi {
  return {
    async invoke({ functionName, payload, signal }) {
      const output = await client.send(
        new InvokeCommand({
          FunctionName: functionName,
          InvocationType: 'RequestResponse',
          Payload: payload,
        }),
        signal ? { abortSignal: signal } : {},
      );
      return {
        ...(output.Payload ? { payload: output.Payload } : {}),
        ...(output.FunctionError ? { functionError: output.FunctionError } : {}),
      };
    },
  };
}
