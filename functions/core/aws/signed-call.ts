import { hostHeaderMiddleware, recursionDetectionMiddleware } from '@aws-sdk/core/client';
import { AwsSdkSigV4Signer } from '@aws-sdk/core/httpAuthSchemes';
import { getEndpointFromInstructions } from '@smithy/core/endpoints';
import { contentLengthMiddleware } from '@smithy/core/protocols';
import { toEndpointV1 } from '@smithy/core/transport';
import type {
  EndpointParameterInstructions,
  EndpointV2,
  HttpRequest as IHttpRequest,
  HttpResponse,
  MetadataBearer,
  OperationSchema,
  Provider,
  RequestHandler,
  StaticOperationSchema,
} from '@smithy/types';

/**
 * What a signed call needs from an SDK client's resolved configuration: every part is the client's own
 * (its protocol, endpoint rules, credentials provider, signer, HTTP handler and clock-skew offset).
 */
export interface SignedCallClient {
  readonly config: {
    readonly protocol: {
      serializeRequest(schema: OperationSchema, input: unknown, context: unknown): Promise<IHttpRequest>;
      deserializeResponse(
        schema: OperationSchema,
        context: unknown,
        response: HttpResponse,
      ): Promise<unknown>;
      /** Protected in the SDK's class; the metadata its deserializer gives every response. */
      deserializeMetadata(response: HttpResponse): MetadataBearer['$metadata'];
    };
    readonly requestHandler: unknown;
    readonly region: Provider<string>;
    readonly bodyLengthChecker: (body: unknown) => number | undefined;
    readonly defaultSigningName?: string;
    readonly signingName?: string;
  };
}

/** A Command class: only its endpoint parameter instructions are used. */
export interface EndpointInstructionsSupplier {
  getEndpointParameterInstructions(): EndpointParameterInstructions;
}

/**
 * One operation of an SDK client, sent without the client's middleware stack.
 *
 * The stack costs a fixed share of every call (a third or more of the CPU of an empty GetRecords: see
 * bench/results/read-path.md) for work this runtime does not use on its hot path: the SDK's own
 * retries (Kinesis gets one attempt; the runtime retries), user-agent assembly, logging. What a call must
 * have is done here with the SDK's own parts, so nothing about where or how a request goes is written by
 * hand:
 * - the endpoint from the client's endpoint rules (`getEndpointFromInstructions` with the command's
 *   parameter instructions: a custom endpoint, the region's endpoint, FIPS and dual-stack as configured);
 * - the request built by the client's protocol (`serializeRequest`), with the host, content-length and
 *   X-Ray trace headers the SDK's build-step middleware would set;
 * - signed by the SDK's SigV4 signer (`AwsSdkSigV4Signer` with the client's `signer`, so the client's
 *   credentials provider, its refresh and its clock-skew correction apply);
 * - sent by the client's request handler (keep-alive, its connection and request timeouts, the abort
 *   signal);
 * - read by the client's protocol (`deserializeResponse`), so an error response becomes the SDK's
 *   exception class with `$metadata`, `$fault` and `$retryable` as the SDK sets them.
 */
export function signedCall<Input extends object, Output extends MetadataBearer>(
  client: SignedCallClient,
  command: EndpointInstructionsSupplier,
  schema: StaticOperationSchema,
): (input: Input, signal?: AbortSignal) => Promise<Output> {
  const config = client.config;
  const [, namespace, name, traits, input, output] = schema;
  // The operation object the SDK's serde middleware hands the protocol.
  const operation = { name, namespace, traits, input, output } as unknown as OperationSchema;
  const signer = new AwsSdkSigV4Signer();
  const handler = config.requestHandler as RequestHandler<IHttpRequest, HttpResponse>;
  const signingName = config.signingName ?? config.defaultSigningName;
  // The headers the SDK's own build-step middleware sets: `host` (SigV4 signs it), `content-length` (a
  // body without it would go chunked) and, inside Lambda, the X-Ray trace id that links the call to the
  // invocation's trace.
  const built = async (args: BuildArgs) => ({ output: {} as MetadataBearer, response: args.request });
  const withLength = contentLengthMiddleware(config.bodyLengthChecker)(built as never, {});
  const withHost = hostHeaderMiddleware({ requestHandler: handler })(withLength as never, {});
  const withTrace = recursionDetectionMiddleware()(withHost as never, {});
  const addHeaders = async (args: BuildArgs) => (await withTrace(args)).response as IHttpRequest;
  return async (commandInput, signal) => {
    // On a view of the config, as the SDK passes a copy: an endpoint found in the shared config files
    // or the environment is written to the config it is given.
    const endpointV2: EndpointV2 = await getEndpointFromInstructions(
      commandInput,
      command,
      Object.create(config) as Parameters<typeof getEndpointFromInstructions>[2],
    );
    // The serde context the SDK's middleware builds: the client's config with this call's endpoint.
    const context = Object.assign(Object.create(config) as object, {
      endpoint: async () => toEndpointV1(endpointV2),
      endpointV2,
    });
    const request = await addHeaders({
      input: commandInput,
      request: await config.protocol.serializeRequest(operation, commandInput, context),
    });
    // An endpoint rule may name its own signing region and name; the SDK's endpoint middleware then
    // signs with those.
    const authScheme = (endpointV2.properties?.authSchemes as AuthScheme[] | undefined)?.[0];
    const signingProperties = {
      config,
      context,
      signingName: authScheme?.signingName ?? signingName,
      signingRegion: authScheme?.signingRegion ?? (await config.region()),
    };
    const signed = (await signer.sign(request, {} as never, signingProperties)) as IHttpRequest;
    let response: HttpResponse;
    try {
      ({ response } = await handler.handle(signed, signal ? { abortSignal: signal } : {}));
    } catch (error) {
      return signer.errorHandler(signingProperties)(error as Error);
    }
    signer.successHandler(response, signingProperties);
    let parsed;
    try {
      parsed = (await config.protocol.deserializeResponse(operation, context, response)) as Output;
    } catch (error) {
      // As the SDK's deserializer middleware does: the raw response kept on the error, hidden, and a body
      // the protocol could not read (a proxy's HTML page) still carries the status the classifier needs.
      if (typeof error === 'object' && error !== null) {
        Object.defineProperty(error, '$response', { value: response, enumerable: false, configurable: true });
        if (!('$metadata' in error)) {
          (error as MetadataBearer).$metadata = config.protocol.deserializeMetadata(response);
        }
      }
      return signer.errorHandler(signingProperties)(error as Error);
    }
    // What the SDK's retry middleware records on a call that took one attempt.
    parsed.$metadata.attempts = 1;
    parsed.$metadata.totalRetryDelay = 0;
    return parsed;
  };
}

type BuildArgs = { input: object; request: IHttpRequest };
type AuthScheme = { signingName?: string; signingRegion?: string };
