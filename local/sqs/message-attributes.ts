import { createHash } from 'node:crypto';
import { sqsError } from './errors';
import { hasInvalidCharacters, isRecord, show } from './input';
import { SQS_LIMITS } from './limits';

/** One message attribute as the JSON protocol carries it (BinaryValue in base64). */
export interface MessageAttributeValue {
  readonly DataType: string;
  readonly StringValue?: string;
  readonly BinaryValue?: string;
}

export type MessageAttributes = Readonly<Record<string, MessageAttributeValue>>;

/** A validated attribute with its value's bytes, for the size limit. */
interface CheckedAttribute {
  readonly name: string;
  readonly value: MessageAttributeValue;
  readonly bytes: Buffer;
}

/** Validated message attributes, their size and their MD5 as SQS computes them. */
export interface AttributeSet {
  readonly attributes: MessageAttributes;
  /** Bytes of names, data types and values, which count toward the message size limit. */
  readonly size: number;
  readonly md5?: string;
}

export const EMPTY_ATTRIBUTES: AttributeSet = { attributes: {}, size: 0 };

const NAME = /^[A-Za-z0-9_.-]+$/;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const NUMBER = /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/;

/**
 * Validates `MessageAttributes` (or, with `system`, `MessageSystemAttributes`, whose only member is
 * AWSTraceHeader) and computes their MD5.
 */
export function checkMessageAttributes(raw: unknown, system = false): AttributeSet {
  const field = system ? 'MessageSystemAttributes' : 'MessageAttributes';
  if (raw === undefined || raw === null) return EMPTY_ATTRIBUTES;
  if (!isRecord(raw)) throw invalid(`${field} must be a map of names to attribute values.`);
  const entries = Object.entries(raw);
  if (entries.length === 0) return EMPTY_ATTRIBUTES;
  if (!system && entries.length > SQS_LIMITS.maxMessageAttributes) {
    throw invalid(
      `A message has ${entries.length} message attributes; at most ${SQS_LIMITS.maxMessageAttributes} are allowed.`,
    );
  }
  const checked = entries.map(([name, value]) =>
    system ? checkSystemAttribute(name, value) : checkAttribute(name, value),
  );
  const attributes = Object.fromEntries(checked.map((a) => [a.name, a.value]));
  const size = checked.reduce(
    (sum, a) => sum + Buffer.byteLength(a.name) + Buffer.byteLength(a.value.DataType) + a.bytes.length,
    0,
  );
  return { attributes, size, md5: md5OfMessageAttributes(attributes) };
}

function checkAttribute(name: string, raw: unknown): CheckedAttribute {
  if (!NAME.test(name) || name.length > SQS_LIMITS.maxAttributeNameLength) {
    throw invalid(
      `Message attribute name ${show(name)} is invalid: use 1 to ${SQS_LIMITS.maxAttributeNameLength} of A-Z, a-z, 0-9, '_', '-' and '.'.`,
    );
  }
  if (/^(aws\.|amazon\.)/i.test(name)) {
    throw invalid(
      `Message attribute name ${show(name)} is invalid: the prefixes AWS. and Amazon. are reserved.`,
    );
  }
  if (name.startsWith('.') || name.endsWith('.') || name.includes('..')) {
    throw invalid(
      `Message attribute name ${show(name)} is invalid: it cannot start or end with '.' or contain '..'.`,
    );
  }
  return checkValue(name, raw);
}

function checkSystemAttribute(name: string, raw: unknown): CheckedAttribute {
  if (name !== 'AWSTraceHeader') {
    throw invalid(`Message system attribute ${show(name)} is not supported; the only one is AWSTraceHeader.`);
  }
  const checked = checkValue(name, raw);
  if (checked.value.DataType !== 'String') {
    throw invalid(`Message system attribute AWSTraceHeader must have DataType String.`);
  }
  return checked;
}

function checkValue(name: string, raw: unknown): CheckedAttribute {
  if (!isRecord(raw)) throw invalid(`Message attribute '${name}' must be an object with a DataType.`);
  const { DataType, StringValue, BinaryValue, StringListValues, BinaryListValues } = raw;
  if (typeof DataType !== 'string' || DataType === '') {
    throw invalid(`Message attribute '${name}' must have a non-empty DataType.`);
  }
  const base = DataType.split('.', 1)[0];
  if (
    (base !== 'String' && base !== 'Number' && base !== 'Binary') ||
    DataType.length > SQS_LIMITS.maxAttributeDataTypeLength ||
    DataType.endsWith('.')
  ) {
    throw invalid(
      `Message attribute '${name}' has DataType ${show(DataType)}; it must be String, Number or Binary, optionally followed by '.' and a label.`,
    );
  }
  if (hasNonEmptyList(StringListValues) || hasNonEmptyList(BinaryListValues)) {
    throw invalid(
      `Message attribute '${name}' uses StringListValues or BinaryListValues, which SQS does not implement.`,
    );
  }
  if (base === 'Binary') {
    if (StringValue !== undefined)
      throw invalid(`Binary message attribute '${name}' must not carry a StringValue.`);
    if (typeof BinaryValue !== 'string' || BinaryValue === '') {
      throw invalid(`Message attribute '${name}' of type ${DataType} must have a non-empty BinaryValue.`);
    }
    if (!BASE64.test(BinaryValue)) {
      throw invalid(`Message attribute '${name}' has a BinaryValue that is not base64.`);
    }
    return { name, value: { DataType, BinaryValue }, bytes: Buffer.from(BinaryValue, 'base64') };
  }
  if (BinaryValue !== undefined) {
    throw invalid(`Message attribute '${name}' of type ${DataType} must not carry a BinaryValue.`);
  }
  if (typeof StringValue !== 'string' || StringValue === '') {
    throw invalid(`Message attribute '${name}' of type ${DataType} must have a non-empty StringValue.`);
  }
  if (hasInvalidCharacters(StringValue)) {
    throw invalid(`Message attribute '${name}' contains characters outside the ones SQS allows.`);
  }
  if (base === 'Number' && !isSqsNumber(StringValue)) {
    throw invalid(
      `Message attribute '${name}' has Number value ${show(StringValue)}; it must be a decimal number of at most 38 significant digits.`,
    );
  }
  return { name, value: { DataType, StringValue }, bytes: Buffer.from(StringValue, 'utf8') };
}

function isSqsNumber(text: string): boolean {
  if (!NUMBER.test(text)) return false;
  const mantissa = text.replace(/^[-+]/, '').split(/[eE]/)[0] ?? '';
  const significant = mantissa.replace('.', '').replace(/^0+/, '').replace(/0+$/, '');
  return significant.length <= 38;
}

function hasNonEmptyList(value: unknown): boolean {
  return Array.isArray(value) && value.length > 0;
}

/**
 * The MD5 SQS returns as MD5OfMessageAttributes: over the attributes sorted by name, each encoded as
 * name, data type (each a 4-byte big-endian length then UTF-8 bytes), one transport byte (1 for
 * String and Number, 2 for Binary), then the value as a 4-byte length and its bytes.
 */
export function md5OfMessageAttributes(attributes: MessageAttributes): string | undefined {
  const names = Object.keys(attributes).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  if (names.length === 0) return undefined;
  const hash = createHash('md5');
  for (const name of names) {
    const value = attributes[name] as MessageAttributeValue;
    const binary = value.BinaryValue !== undefined;
    hash.update(lengthPrefixed(Buffer.from(name, 'utf8')));
    hash.update(lengthPrefixed(Buffer.from(value.DataType, 'utf8')));
    hash.update(Buffer.of(binary ? 2 : 1));
    hash.update(
      lengthPrefixed(
        binary
          ? Buffer.from(value.BinaryValue ?? '', 'base64')
          : Buffer.from(value.StringValue ?? '', 'utf8'),
      ),
    );
  }
  return hash.digest('hex');
}

function lengthPrefixed(bytes: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(bytes.length);
  return Buffer.concat([length, bytes]);
}

/** The attributes whose names a ReceiveMessage's MessageAttributeNames select. */
export function selectAttributes(attributes: MessageAttributes, names: readonly string[]): MessageAttributes {
  if (names.length === 0) return {};
  const all = names.some((n) => n === 'All' || n === '.*');
  const prefixes = names.filter((n) => n.endsWith('.*')).map((n) => n.slice(0, -1));
  const exact = new Set(names);
  return Object.fromEntries(
    Object.entries(attributes).filter(
      ([name]) => all || exact.has(name) || prefixes.some((p) => name.startsWith(p)),
    ),
  );
}

export function md5Hex(text: string): string {
  return createHash('md5').update(text, 'utf8').digest('hex');
}

function invalid(message: string) {
  return sqsError('InvalidParameterValue', message);
}
