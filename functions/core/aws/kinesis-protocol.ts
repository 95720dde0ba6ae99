import { AwsJson1_1Protocol } from '@aws-sdk/core/protocols';
import type { GetRecordsInput, PutRecordsInput } from '@aws-sdk/client-kinesis';
import { cbor } from '@smithy/core/cbor';
import type {
  HttpRequest,
  HttpResponse,
  MetadataBearer,
  OperationSchema,
  SerdeFunctions,
} from '@smithy/types';
import { CBOR_CONTENT_TYPE, getRecordsRequestCbor, parseGetRecordsCbor } from './get-records-cbor';
import { parseGetRecordsJson } from './get-records-json';
import { putRecordsBody } from './put-records-json';

type DeserializeContext = Parameters<AwsJson1_1Protocol['deserializeResponse']>[1];
type SerializeContext = Parameters<AwsJson1_1Protocol['serializeRequest']>[2];

/** Receive buffers kept for reuse: enough for a few shards' calls landing at once. */
const POOLED_RECEIVE_BUFFERS = 2;
/**
 * The largest receive buffer kept: a full GetRecords page (10 MiB of data, 13.4 MiB as base64, plus
 * each record's members). A consumer catching up reads such pages call after call, and a fresh buffer
 * of that size costs its page faults every time.
 */
const MAX_POOLED_RECEIVE_BYTES = 16 * 1024 * 1024;
const INITIAL_RECEIVE_BYTES = 64 * 1024;

/**
 * The Kinesis client's protocol with GetRecords responses parsed by this project's parsers instead of
 * the SDK's schema-driven JSON parser, which measured as the read path's largest cost. Everything else
 * is the SDK's: signing, retries, credentials, the HTTP handler, every other operation, and errors
 * (a GetRecords error response goes to the SDK's parser, so ExpiredIteratorException and
 * ProvisionedThroughputExceededException keep their SDK classes for the retry classifier).
 *
 * This class sends GetRecords in the JSON protocol (`parseGetRecordsJson`);
 * `KinesisCborReadProtocol` sends it in Kinesis's CBOR protocol (`parseGetRecordsCbor`). A response is
 * read by its own Content-Type either way.
 *
 * The response body is received into a buffer reused from call to call: nothing the parsers return
 * points into it (strings and record data are copies), and writing a fresh buffer of the body's size
 * on every call measured as costly as the parse itself.
 *
 * It is set through the client's `protocol` option, which the SDK constructs with the client's own
 * protocol settings: `new KinesisClient({ ...config, protocol: KinesisReadProtocol })`.
 */
export class KinesisReadProtocol extends AwsJson1_1Protocol {
  private readonly receiveBuffers: Buffer[] = [];
  /** Whether GetRecords goes out in Kinesis's CBOR protocol. */
  protected readonly getRecordsInCbor: boolean = false;

  /**
   * GetRecords in CBOR when `getRecordsInCbor`; PutRecords bodies written by `putRecordsBody`; every
   * other request is the SDK's.
   */
  override async serializeRequest<Input extends object>(
    operationSchema: OperationSchema,
    input: Input,
    context: SerializeContext,
  ): Promise<HttpRequest> {
    if (operationSchema.name === 'GetRecords' && this.getRecordsInCbor) {
      // The SDK's request (target, path, headers), with the body and its type in CBOR.
      const request = await super.serializeRequest(operationSchema, input, context);
      const body = getRecordsRequestCbor(input as GetRecordsInput);
      request.body = body;
      request.headers['content-type'] = CBOR_CONTENT_TYPE;
      if (request.headers['content-length'] !== undefined)
        request.headers['content-length'] = String(body.byteLength);
      return request;
    }
    const records = operationSchema.name === 'PutRecords' ? (input as PutRecordsInput).Records : undefined;
    if (!Array.isArray(records) || records.length === 0) {
      return super.serializeRequest(operationSchema, input, context);
    }
    const request = await super.serializeRequest(operationSchema, { ...input, Records: [] }, context);
    const body = putRecordsBody(records, request.body as string | Uint8Array);
    if (body === undefined) return super.serializeRequest(operationSchema, input, context);
    request.body = body;
    return request;
  }

  override async deserializeResponse<Output extends MetadataBearer>(
    operationSchema: OperationSchema,
    context: DeserializeContext,
    response: HttpResponse,
  ): Promise<Output> {
    if (operationSchema.name !== 'GetRecords') {
      return super.deserializeResponse(operationSchema, context, response);
    }
    const inCbor = isCbor(response);
    if (this.isErrorResponse(response.statusCode)) {
      // The error's members (`__type`, `message`) handed to the SDK's parser as the JSON it reads.
      if (inCbor) response.body = await cborErrorAsJson(response.body, context);
      return super.deserializeResponse(operationSchema, context, response);
    }
    const received = await receive(response.body, this.receiveBuffers, context);
    let output;
    try {
      // A CborBodyError for a CBOR body that is not a GetRecords response, with the response kept on
      // it by the caller (the SDK's deserializer middleware or `signedCall`), as for the SDK's errors.
      output = inCbor ? parseGetRecordsCbor(received.bytes) : parseGetRecordsJson(received.bytes);
      if (output === undefined) {
        // Not a body this parser reads: the SDK's parser gets a copy of it and reports what is wrong.
        response.body = Uint8Array.prototype.slice.call(received.bytes);
        return super.deserializeResponse(operationSchema, context, response);
      }
    } finally {
      const reusable = received.reusable;
      if (
        reusable &&
        this.receiveBuffers.length < POOLED_RECEIVE_BUFFERS &&
        reusable.length <= MAX_POOLED_RECEIVE_BYTES
      ) {
        this.receiveBuffers.push(reusable);
      }
    }
    return { ...output, $metadata: this.deserializeMetadata(response) } as unknown as Output;
  }
}

/**
 * The Kinesis client's protocol with GetRecords in Kinesis's CBOR protocol (`application/x-amz-cbor-1.1`,
 * the AWS SDK for Java's default for Kinesis): record data travel as raw bytes, a third fewer bytes
 * than base64 in JSON, and are read without decoding. Every other operation is as in
 * `KinesisReadProtocol`.
 */
export class KinesisCborReadProtocol extends KinesisReadProtocol {
  protected override readonly getRecordsInCbor = true;
}

/** Whether a response's body is CBOR, by its Content-Type. */
function isCbor(response: HttpResponse): boolean {
  for (const name in response.headers) {
    if (name.toLowerCase() === 'content-type') return response.headers[name]!.startsWith(CBOR_CONTENT_TYPE);
  }
  return false;
}

/** A CBOR error body as JSON bytes; a body that is not CBOR is passed on as it is. */
async function cborErrorAsJson(body: unknown, context: SerdeFunctions): Promise<Uint8Array> {
  const bytes = body instanceof Uint8Array ? body : await context.streamCollector(body);
  if (bytes.byteLength === 0) return bytes;
  try {
    return Buffer.from(JSON.stringify(cbor.deserialize(bytes)));
  } catch {
    return bytes;
  }
}

/**
 * The whole body. A Node stream is read into a buffer from `pool` (or a new one), grown as needed and
 * handed back as `reusable`; anything else goes to the SDK's collector.
 */
async function receive(
  body: unknown,
  pool: Buffer[],
  context: SerdeFunctions,
): Promise<{ bytes: Buffer; reusable?: Buffer }> {
  if (body === undefined || body === null) return { bytes: Buffer.alloc(0) };
  if (!isNodeReadable(body)) {
    const bytes = body instanceof Uint8Array ? body : await context.streamCollector(body);
    return { bytes: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength) };
  }
  let buffer = pool.pop() ?? Buffer.allocUnsafeSlow(INITIAL_RECEIVE_BYTES);
  return new Promise((resolve, reject) => {
    let length = 0;
    body.on('data', (chunk: Buffer) => {
      if (length + chunk.length > buffer.length) {
        const grown = Buffer.allocUnsafeSlow(Math.max(buffer.length * 2, length + chunk.length));
        buffer.copy(grown, 0, 0, length);
        buffer = grown;
      }
      chunk.copy(buffer, length);
      length += chunk.length;
    });
    body.once('end', () => resolve({ bytes: buffer.subarray(0, length), reusable: buffer }));
    body.once('error', reject);
  });
}

interface NodeReadable {
  on(event: 'data', listener: (chunk: Buffer) => void): unknown;
  once(event: 'end', listener: () => void): unknown;
  once(event: 'error', listener: (error: Error) => void): unknown;
}

function isNodeReadable(body: unknown): body is NodeReadable {
  return (
    typeof (body as { on?: unknown }).on === 'function' &&
    typeof (body as { pipe?: unknown }).pipe === 'function'
  );
}
