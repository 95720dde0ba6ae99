import { sqsError } from './errors';

/** Readers for a request's fields that fail the way SQS does: MissingParameter or InvalidParameterValue. */
export type Input = Record<string, unknown>;

export function requiredString(input: Input, field: string): string {
  const value = input[field];
  if (value === undefined || value === null || value === '') {
    throw sqsError('MissingParameter', `The request must contain the parameter ${field}.`);
  }
  if (typeof value !== 'string') {
    throw sqsError('InvalidParameterValue', `Value ${show(value)} for parameter ${field} must be a string.`);
  }
  return value;
}

export function optionalString(input: Input, field: string): string | undefined {
  const value = input[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') {
    throw sqsError('InvalidParameterValue', `Value ${show(value)} for parameter ${field} must be a string.`);
  }
  return value;
}

/** An optional whole number in [min, max]. */
export function optionalInt(input: Input, field: string, min: number, max: number): number | undefined {
  const value = input[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw sqsError(
      'InvalidParameterValue',
      `Value ${show(value)} for parameter ${field} is invalid: it must be a whole number from ${min} to ${max}.`,
    );
  }
  return value;
}

export function optionalStringList(input: Input, field: string): string[] | undefined {
  const value = input[field];
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value) || value.some((v) => typeof v !== 'string')) {
    throw sqsError('InvalidParameterValue', `Parameter ${field} must be a list of strings.`);
  }
  return value as string[];
}

export function optionalStringMap(input: Input, field: string): Record<string, string> | undefined {
  const value = input[field];
  if (value === undefined || value === null) return undefined;
  if (!isRecord(value) || Object.values(value).some((v) => typeof v !== 'string')) {
    throw sqsError('InvalidParameterValue', `Parameter ${field} must be a map of strings to strings.`);
  }
  return value as Record<string, string>;
}

export function optionalList(input: Input, field: string): unknown[] | undefined {
  const value = input[field];
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value)) throw sqsError('InvalidParameterValue', `Parameter ${field} must be a list.`);
  return value;
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A value for an error message, cut short so a 1 MiB body does not end up in it. */
export function show(value: unknown): string {
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  return text === undefined ? String(value) : text.length > 100 ? `${text.slice(0, 100)}...` : text;
}

// XML 1.0's Char production: SQS accepts only these code points in bodies and string attributes.
const INVALID_CHARACTER = /[^\t\n\r\x20-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/u;

export function hasInvalidCharacters(text: string): boolean {
  return INVALID_CHARACTER.test(text);
}
