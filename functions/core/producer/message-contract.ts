import { checkStreamRef, STREAM_REF_RULE } from '../aws/stream-ref';
/**
 * The producer's message contract: one SQS message is one Kinesis user record.
 *
 * Envelope mode (the default): the body is a JSON object
 * `{ "data": ..., "encoding"?: "utf8" | "base64" | "json", "partitionKey"?, "explicitHashKey"?, "stream"? }`.
 * Raw mode: the body is the data (UTF-8), and the String message attributes `partitionKey`,
 * `explicitHashKey`, `stream` and `encoding` (`utf8` or `base64`) may carry the rest.
 * The JSON schema of the envelope is `schema/producer-message.schema.json`.
 */
import type { MessageAttributeValue } from '@aws-sdk/client-sqs';

/** A message attribute as SQS carries it. */
export interface MessageAttribute {
  readonly dataType: string;
  readonly stringValue?: string;
  readonly binaryValue?: Uint8Array;
}

/** One SQS message as the producer sees it; the Lambda adapter maps the event into this. */
export interface ProducerMessage {
  readonly messageId: string;
  readonly body: string;
  readonly attributes?: Readonly<Record<string, MessageAttribute>>;
  /** When the message was first sent (SentTimestamp), in epoch milliseconds. */
  readonly sentTimestamp?: number;
  /** Present on FIFO queues: records of one group reach the stream in order. */
  readonly messageGroupId?: string;
  /** SQS's ApproximateReceiveCount: this delivery's number, from 1. */
  readonly receiveCount?: number;
  /**
   * SQS's ApproximateFirstReceiveTimestamp, in epoch milliseconds: on a first delivery, when the message
   * entered the queue's in-flight count. The budget share uses it to tell how long this container's next
   * batch was being gathered.
   */
  readonly firstReceivedAt?: number;
}

export type MessageFormat = 'envelope' | 'raw';

export type DataEncoding = 'utf8' | 'base64' | 'json';

/** What a message asks for, before routing fills in defaults. */
export interface ParsedRecord {
  readonly data: Uint8Array;
  /** The data as the message gave it: the envelope's JSON value, or the raw body. For routing functions. */
  readonly value: unknown;
  readonly partitionKey?: string;
  readonly explicitHashKey?: string;
  readonly stream?: string;
}

/** Why a message cannot become a record; it goes to the dead-letter queue with this reason. */
export interface Rejection {
  /** The field at fault, e.g. `partitionKey`, `data`, `body`. */
  readonly field: string;
  /** A whole sentence naming the field, the value and what is allowed. */
  readonly reason: string;
}

export type ParseResult =
  { readonly ok: true; readonly record: ParsedRecord } | ({ readonly ok: false } & Rejection);

export const ENVELOPE_FIELDS = ['data', 'encoding', 'partitionKey', 'explicitHashKey', 'stream'] as const;
export const DATA_ENCODINGS: readonly DataEncoding[] = ['utf8', 'base64', 'json'];
export const RAW_ATTRIBUTES = ['partitionKey', 'explicitHashKey', 'stream', 'encoding'] as const;

export const MAX_PARTITION_KEY_LENGTH = 256;
export const MAX_HASH_KEY = (1n << 128n) - 1n;
const EXPLICIT_HASH_KEY = /^(0|[1-9][0-9]{0,38})$/;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Parses and validates one message into what it asks for, or the reason it cannot be used. */
export function parseMessage(message: ProducerMessage, format: MessageFormat = 'envelope'): ParseResult {
  return format === 'raw' ? parseRaw(message) : parseEnvelope(message.body);
}

function parseEnvelope(body: string): ParseResult {
  let envelope: unknown;
  try {
    envelope = JSON.parse(body);
  } catch (error) {
    return reject(
      'body',
      `The message body is not valid JSON (${(error as Error).message}); ` +
        'in envelope mode the body must be a JSON object with a "data" field.',
    );
  }
  if (typeof envelope !== 'object' || envelope === null || Array.isArray(envelope)) {
    return reject(
      'body',
      `The message body is JSON ${describeJsonType(envelope)}; ` +
        'in envelope mode it must be a JSON object with a "data" field.',
    );
  }
  const fields = envelope as Record<string, unknown>;
  for (const key of Object.keys(fields)) {
    if (!(ENVELOPE_FIELDS as readonly string[]).includes(key)) {
      return reject(
        key,
        `The envelope has an unknown field "${truncate(key)}"; the allowed fields are ${ENVELOPE_FIELDS.join(', ')}.`,
      );
    }
  }
  if (!('data' in fields)) return reject('data', 'The envelope has no "data" field; it is required.');
  const encoding = fields.encoding;
  if (encoding !== undefined && !(DATA_ENCODINGS as readonly unknown[]).includes(encoding)) {
    return reject(
      'encoding',
      `The field "encoding" is ${describeValue(encoding)}; it must be one of ${DATA_ENCODINGS.join(', ')}.`,
    );
  }
  const data = encodeData(fields.data, encoding as DataEncoding | undefined);
  if (!(data instanceof Uint8Array)) return { ok: false, ...data };
  const optional = readOptionalFields(fields, 'field');
  if (!optional.ok) return optional;
  return { ok: true, record: withFields({ data, value: fields.data }, optional.fields) };
}

function parseRaw(message: ProducerMessage): ParseResult {
  const attributes = message.attributes ?? {};
  const strings: Record<string, unknown> = {};
  for (const name of RAW_ATTRIBUTES) {
    const attribute = attributes[name];
    if (attribute === undefined) continue;
    if (!attribute.dataType.startsWith('String') || attribute.stringValue === undefined) {
      return reject(
        name,
        `The message attribute "${name}" has type ${attribute.dataType}; it must be a String attribute.`,
      );
    }
    strings[name] = attribute.stringValue;
  }
  const encoding = strings.encoding;
  if (encoding !== undefined && encoding !== 'utf8' && encoding !== 'base64') {
    return reject(
      'encoding',
      `The message attribute "encoding" is ${describeValue(encoding)}; in raw mode it must be utf8 or base64.`,
    );
  }
  const data = encodeData(message.body, encoding as DataEncoding | undefined);
  if (!(data instanceof Uint8Array)) return { ok: false, ...data, field: 'body' };
  const optional = readOptionalFields(strings, 'message attribute');
  if (!optional.ok) return optional;
  return { ok: true, record: withFields({ data, value: message.body }, optional.fields) };
}

function encodeData(value: unknown, encoding: DataEncoding | undefined): Uint8Array | Rejection {
  if (encoding === 'base64') {
    if (typeof value !== 'string') {
      return {
        field: 'data',
        reason: `The data is ${describeJsonType(value)} but encoding is base64; it must be a base64 string.`,
      };
    }
    if (!BASE64.test(value)) {
      return {
        field: 'data',
        reason:
          `The data ${describeValue(value)} is not valid base64; use the standard alphabet ` +
          '(A-Z, a-z, 0-9, +, /) with = padding to a multiple of 4 characters.',
      };
    }
    return Buffer.from(value, 'base64');
  }
  if (encoding === 'json' || (encoding === undefined && typeof value !== 'string')) {
    return Buffer.from(JSON.stringify(value), 'utf8');
  }
  if (typeof value !== 'string') {
    return {
      field: 'data',
      reason: `The data is ${describeJsonType(value)} but encoding is utf8; it must be a string (or drop the encoding to send JSON).`,
    };
  }
  if (LONE_SURROGATE.test(value)) {
    return {
      field: 'data',
      reason:
        'The data contains an unpaired UTF-16 surrogate, so it is not valid Unicode text; send it as base64.',
    };
  }
  return Buffer.from(value, 'utf8');
}

type OptionalFields = Pick<ParsedRecord, 'partitionKey' | 'explicitHashKey' | 'stream'>;

function withFields(
  record: { -readonly [K in keyof ParsedRecord]: ParsedRecord[K] },
  fields: OptionalFields,
): ParsedRecord {
  if (fields.partitionKey !== undefined) record.partitionKey = fields.partitionKey;
  if (fields.explicitHashKey !== undefined) record.explicitHashKey = fields.explicitHashKey;
  if (fields.stream !== undefined) record.stream = fields.stream;
  return record;
}

function readOptionalFields(
  source: Record<string, unknown>,
  noun: string,
): { ok: true; fields: OptionalFields } | ({ ok: false } & Rejection) {
  const fields: { -readonly [K in keyof OptionalFields]: OptionalFields[K] } = {};
  const checks: [keyof OptionalFields, (value: unknown, label: string) => string | undefined][] = [
    ['partitionKey', checkPartitionKey],
    ['explicitHashKey', checkExplicitHashKey],
    ['stream', checkStreamName],
  ];
  for (const [name, check] of checks) {
    const value = source[name];
    if (value === undefined) continue;
    const problem = check(value, `The ${noun} "${name}"`);
    if (problem) return reject(name, problem);
    fields[name] = value as string;
  }
  return { ok: true, fields };
}

/** The problem with a partition key, or undefined when Kinesis will accept it. */
export function checkPartitionKey(value: unknown, label = 'The partition key'): string | undefined {
  if (typeof value !== 'string') return `${label} is ${describeJsonType(value)}; it must be a string.`;
  // Counting UTF-16 units is the stricter of the two readings of "256 Unicode characters": one bad key
  // would fail a whole PutRecords call, so err on the side of refusing it here.
  if (value.length < 1 || value.length > MAX_PARTITION_KEY_LENGTH) {
    return `${label} is ${value.length} characters long; it must be 1 to ${MAX_PARTITION_KEY_LENGTH}.`;
  }
  if (LONE_SURROGATE.test(value))
    return `${label} contains an unpaired UTF-16 surrogate; it must be valid Unicode.`;
  return undefined;
}

/** The problem with an explicit hash key, or undefined when it is a decimal from 0 to 2^128 - 1. */
export function checkExplicitHashKey(value: unknown, label = 'The explicit hash key'): string | undefined {
  if (typeof value !== 'string') {
    return `${label} is ${describeJsonType(value)}; it must be a decimal string from 0 to 2^128 - 1.`;
  }
  if (!EXPLICIT_HASH_KEY.test(value) || BigInt(value) > MAX_HASH_KEY) {
    return `${label} is ${describeValue(value)}; it must be a decimal integer from 0 to ${MAX_HASH_KEY} without leading zeros.`;
  }
  return undefined;
}

/**
 * The problem with a stream, or undefined when it is a valid Kinesis stream name or a well-formed stream
 * ARN (a stream in another account is written by ARN).
 */
export function checkStreamName(value: unknown, label = 'The stream name'): string | undefined {
  if (typeof value !== 'string') return `${label} is ${describeJsonType(value)}; it must be a string.`;
  if (checkStreamRef(value, label) !== undefined) {
    return `${label} is ${describeValue(value)}; it must be ${STREAM_REF_RULE}.`;
  }
  return undefined;
}

/** Whether a string is valid Unicode text: no unpaired UTF-16 surrogate, which UTF-8 cannot carry. */
export function isWellFormed(text: string): boolean {
  return !LONE_SURROGATE.test(text);
}

function reject(field: string, reason: string): { ok: false } & Rejection {
  return { ok: false, field, reason };
}

/** A short rendering of a value for an error message, never the whole of a large one. */
export function describeValue(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(truncate(value));
  if (value === undefined) return 'missing';
  return truncate(JSON.stringify(value) ?? String(value));
}

function describeJsonType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return 'an object';
  return `a ${typeof value}`;
}

function truncate(text: string, max = 80): string {
  return text.length <= max ? text : `${text.slice(0, max)}... (${text.length} characters)`;
}

/** SQS's largest message, body and attributes together (a queue's MaximumMessageSize may be lower). */
export const SQS_MAX_MESSAGE_BYTES = 1024 * 1024;

/** Bytes SQS counts for message attributes: names, data types and values. */
export function attributeBytes(attributes: Record<string, MessageAttributeValue>): number {
  let bytes = 0;
  for (const [name, value] of Object.entries(attributes)) {
    bytes += Buffer.byteLength(name) + Buffer.byteLength(value.DataType ?? '');
    bytes += value.StringValue !== undefined ? Buffer.byteLength(value.StringValue) : 0;
    bytes += value.BinaryValue?.length ?? 0;
  }
  return bytes;
}
