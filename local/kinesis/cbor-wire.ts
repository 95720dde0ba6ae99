import { cbor, tag, tagSymbol } from '@smithy/core/cbor';
import { JSON_CONTENT_TYPE, TARGET_PREFIX, type IncomingCall, type Reply } from './upstream';

// Kinesis's CBOR protocol (AWS CBOR 1.1, the AWS SDK for Java's default for Kinesis) at the proxy's edge.
// A CBOR GetRecords is turned into the same call in awsJson 1.1 and answered by the proxy's JSON path
// (faults, repairs, MillisBehindLatest, all of it); the JSON answer is then written back in CBOR as Kinesis
// writes it. Kinesalite's own CBOR is not Kinesis's: it sends Data as a base64 text string and
// ApproximateArrivalTimestamp as an untagged float of epoch seconds, where Kinesis sends a byte string
// and CBOR tag 1 holding an integer of epoch milliseconds. Other operations sent as CBOR go to kinesalite
// untouched: their timestamps and blobs would need each operation's shapes to translate faithfully.

export const CBOR_CONTENT_TYPE = 'application/x-amz-cbor-1.1';

/** CBOR's tag for an epoch-based date/time; AWS CBOR puts epoch milliseconds under it. */
const EPOCH_TIMESTAMP_TAG = 1;
const TRANSLATED_TARGETS = new Set([`${TARGET_PREFIX}GetRecords`]);

/** Whether the proxy answers this request in Kinesis's CBOR: a signed GetRecords sent as CBOR. */
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
export function cborReply(status: number, body: Record<string, unknown>): Reply {
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
 * The request's members as JSON values. GetRecords' members are text and integers; a body that is not
 * CBOR, not a map, or holds a value JSON cannot carry (a byte string, a tag, an integer beyond 2^53)
 * throws, to be answered as Kinesis answers a body it cannot read.
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
  return jsonValue(decoded, 'the request body') as Record<string, unknown>;
}

function jsonValue(value: unknown, at: string): unknown {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return value;
  if (typeof value === 'number') {
    if (Number.isFinite(value)) return value;
  } else if (Array.isArray(value)) {
    return value.map((item, index) => jsonValue(item, `${at}[${index}]`));
  } else if (isPlainMap(value)) {
    const out: Record<string, unknown> = {};
    for (const [key, member] of Object.entries(value)) out[key] = jsonValue(member, key);
    return out;
  }
  throw new Error(`${at} cannot be ${describe(value)}; GetRecords takes text and integers.`);
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
  if (typeof value === 'object' && tagSymbol in value)
    return `a value under CBOR tag ${String((value as { tag?: unknown }).tag)}`;
  return `a ${typeof value}`;
}
