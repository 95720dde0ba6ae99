import { cbor, tag, tagSymbol } from '@smithy/core/cbor';
import { JSON_CONTENT_TYPE, TARGET_PREFIX, type IncomingCall, type Reply } from './upstream';

// Kinesis's CBOR protocol (AWS CBOR 1.1, the AWS SDK for Java's default for Kinesis) at the proxy's edge.
// A CBOR call of a translated operation is turned into the same call in awsJson 1.1 and answered by the
// proxy's JSON path (faults, repairs, write limits, MillisBehindLatest, all of it); the JSON answer is
// then written back in CBOR as Kinesis writes it. Kinesalite's own CBOR is not Kinesis's: it answers Data
// as a base64 text string and ApproximateArrivalTimestamp as an untagged float of epoch seconds, where
// Kinesis sends a byte string and CBOR tag 1 over an integer of epoch milliseconds, and it stores the
// Data of a CBOR PutRecords as a map ({ type: 'Buffer', data: [...] }) instead of its bytes.
//
// The translated operations are the ones whose blobs and timestamps are known here without a model:
// requests carry blobs only as Data and timestamps only as tag 1, and answers carry them only in
// GetRecords' records. Other operations sent as CBOR go to kinesalite untouched: their answers hold
// timestamps (StreamCreationTimestamp and others) that would need each operation's shapes.

const CBOR_CONTENT_TYPE = 'application/x-amz-cbor-1.1';

/** CBOR's tag for an epoch-based date/time; AWS CBOR puts epoch milliseconds under it. */
const EPOCH_TIMESTAMP_TAG = 1;
/** The one member of the translated requests that is a blob (PutRecord's, PutRecords' entries'). */
const BLOB_MEMBER = 'Data';
const TRANSLATED_TARGETS = new Set(
  ['GetRecords', 'GetShardIterator', 'ListShards', 'PutRecord', 'PutRecords'].map((op) => TARGET_PREFIX + op),
);

/** Whether the proxy answers this request in Kinesis's CBOR: a signed call of a translated operation. */
export function speaksKinesisCbor(req: IncomingCall): boolean {
  const contentType = String(req.headers['content-type'] ?? '')
    .split(';')[0]
    ?.trim();
  const signed = Boolean(req.headers.authorization) || (req.url ?? '').includes('X-Amz-Signature');
  return (
    contentType === CBOR_CONTENT_TYPE &&
    signed &&
    TRANSLATED_TARGETS.has(String(req.headers['x-amz-target'] ?? ''))
  );
}

/** Answers a CBOR request through `answerJson`, which is given the same call in awsJson 1.1. */
export async function answerInCbor(
  req: IncomingCall,
  body: Buffer,
  answerJson: (req: IncomingCall, body: Buffer) => Promise<Reply>,
): Promise<Reply> {
  let input: Record<string, unknown>;
  try {
    input = cborRequestInput(body);
  } catch (error) {
    return cborReply(400, { __type: 'SerializationException', message: (error as Error).message });
  }
  const jsonCall: IncomingCall = {
    method: req.method,
    url: req.url,
    headers: { ...req.headers, 'content-type': JSON_CONTENT_TYPE },
  };
  return jsonReplyToCbor(await answerJson(jsonCall, Buffer.from(JSON.stringify(input))));
}

/**
 * The JSON answer to a GetRecords (or any error answer) in Kinesis's CBOR: each record's Data as a byte
 * string, its ApproximateArrivalTimestamp as tag 1 over integer epoch milliseconds, the rest as it is.
 * A body that is not a JSON object (kinesalite's empty 413) comes back unchanged.
 */
export function jsonReplyToCbor(reply: Reply): Reply {
  let answer: unknown;
  try {
    answer = JSON.parse(reply.body.toString('utf8'));
  } catch {
    return reply;
  }
  if (!isPlainMap(answer)) return reply;
  if (reply.status === 200 && Array.isArray(answer.Records)) {
    answer = { ...answer, Records: answer.Records.map(cborRecord) };
  }
  return {
    status: reply.status,
    headers: { ...reply.headers, 'content-type': CBOR_CONTENT_TYPE },
    body: Buffer.from(cbor.serialize(answer)),
  };
}

/** A reply of the proxy's own, in CBOR. */
function cborReply(status: number, body: Record<string, unknown>): Reply {
  return {
    status,
    headers: { 'content-type': CBOR_CONTENT_TYPE, 'x-amzn-requestid': crypto.randomUUID() },
    body: Buffer.from(cbor.serialize(body)),
  };
}

function cborRecord(record: unknown): unknown {
  if (!isPlainMap(record)) return record;
  const { Data, ApproximateArrivalTimestamp } = record;
  return {
    ...record,
    ...(typeof Data === 'string' ? { Data: Buffer.from(Data, 'base64') } : {}),
    ...(typeof ApproximateArrivalTimestamp === 'number'
      ? {
          ApproximateArrivalTimestamp: tag({
            tag: EPOCH_TIMESTAMP_TAG,
            value: Math.round(ApproximateArrivalTimestamp * 1000),
          }),
        }
      : {}),
  };
}

/**
 * The request's members as JSON values, as awsJson 1.1 writes them: Data's byte string as base64, a
 * timestamp's tag 1 (epoch milliseconds) as epoch seconds. A body that is not CBOR, not a map, or holds a
 * value JSON cannot carry (a byte string elsewhere than Data, another tag, an integer beyond 2^53) throws,
 * to be answered as Kinesis answers a body it cannot read.
 */
function cborRequestInput(body: Buffer): Record<string, unknown> {
  let decoded: unknown;
  try {
    decoded = body.length === 0 ? undefined : cbor.deserialize(body);
  } catch (error) {
    throw new Error(`The request body is not valid CBOR: ${(error as Error).message}`, { cause: error });
  }
  if (!isPlainMap(decoded)) {
    throw new Error(
      `The request body must be a CBOR map of the operation's members; got ${describe(decoded)}.`,
    );
  }
  return jsonValue(decoded, 'The request body') as Record<string, unknown>;
}

function jsonValue(value: unknown, member: string): unknown {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return value;
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  if (Array.isArray(value)) return value.map((item) => jsonValue(item, member));
  if (value instanceof Uint8Array && member === BLOB_MEMBER) return Buffer.from(value).toString('base64');
  if (isPlainMap(value)) {
    const out: Record<string, unknown> = {};
    for (const [key, inner] of Object.entries(value)) out[key] = jsonValue(inner, key);
    return out;
  }
  if (isTag(value) && value.tag === EPOCH_TIMESTAMP_TAG && typeof value.value === 'number') {
    return value.value / 1000;
  }
  throw new Error(
    `${member} cannot be ${describe(value)}: Kinesis takes a byte string only for ${BLOB_MEMBER}, ` +
      `CBOR tag ${EPOCH_TIMESTAMP_TAG} only over epoch milliseconds, and integers up to 2^53.`,
  );
}

function isTag(value: unknown): value is { tag: unknown; value: unknown } {
  return typeof value === 'object' && value !== null && tagSymbol in value;
}

function isPlainMap(value: unknown): value is Record<string, unknown> {
  return (
    typeof value === 'object' &&
    value !== null &&
    Object.getPrototypeOf(value) === Object.prototype &&
    !(tagSymbol in value)
  );
}

function describe(value: unknown): string {
  if (value === undefined) return 'an empty body';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (value instanceof Uint8Array) return 'a byte string';
  if (typeof value === 'bigint') return `the integer ${value} (beyond 2^53)`;
  if (typeof value === 'number') return `the number ${value}`;
  if (isTag(value)) return `a value under CBOR tag ${String(value.tag)}`;
  return typeof value === 'object' ? 'a value JSON cannot carry' : `a ${typeof value}`;
}
