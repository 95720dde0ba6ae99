import { InvokeCommand, type LambdaClient } from '@aws-sdk/client-lambda';
import type { SuccessorStarter } from './handover';
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

/**
 * Starts a successor as an asynchronous (Event) Invoke of `functionName`: Lambda queues the event and
 * answers 202 at once. A duplicate delivery of the event is safe: only one successor claims the handoff.
 */
export function lambdaSuccessorStarter(
  client: Pick<LambdaClient, 'send'>,
): (functionName: string) => SuccessorStarter {
  return (functionName) => async (event) => {
    await client.send(
      new InvokeCommand({
        FunctionName: functionName,
        InvocationType: 'Event',
        Payload: new TextEncoder().encode(JSON.stringify(event)),
      }),
    );
  };
}
