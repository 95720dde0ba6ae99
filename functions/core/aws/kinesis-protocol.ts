import { AwsJson1_1Protocol } from '@aws-sdk/core/protocols';
import type { HttpResponse, MetadataBearer, OperationSchema, SerdeFunctions } from '@smithy/types';
import { parseGetRecordsJson } from './get-records-json';

type DeserializeContext = Parameters<AwsJson1_1Protocol['deserializeResponse']>[1];

/**
 * The Kinesis client's protocol with GetRecords responses parsed by `parseGetRecordsJson` instead of
 * the SDK's schema-driven JSON parser, which measured as the read path's largest cost. Everything else
 * is the SDK's: signing, retries, credentials, the HTTP handler, every other operation, and errors
 * (a GetRecords error response goes to the SDK's parser, so ExpiredIteratorException and
 * ProvisionedThroughputExceededException keep their SDK classes for the retry classifier).
 *
 * It is set through the client's `protocol` option, which the SDK constructs with the client's own
 * protocol settings: `new KinesisClient({ ...config, protocol: KinesisReadProtocol })`.
 */
export class KinesisReadProtocol extends AwsJson1_1Protocol {
  override async deserializeResponse<Output extends MetadataBearer>(
    operationSchema: OperationSchema,
    context: DeserializeContext,
    response: HttpResponse,
  ): Promise<Output> {
    if (operationSchema.name !== 'GetRecords' || this.isErrorResponse(response.statusCode)) {
      return super.deserializeResponse(operationSchema, context, response);
    }
    const bytes = await collect(response.body, context);
    const output = parseGetRecordsJson(bytes);
    if (output === undefined) {
      // Not a body this parser reads: the SDK's parser gets the same bytes and reports what is wrong.
      response.body = bytes;
      return super.deserializeResponse(operationSchema, context, response);
    }
    return { ...output, $metadata: this.deserializeMetadata(response) } as unknown as Output;
  }
}

async function collect(body: unknown, context: SerdeFunctions): Promise<Uint8Array> {
  if (body instanceof Uint8Array) return body;
  if (body === undefined || body === null) return new Uint8Array(0);
  return context.streamCollector(body);
}
