import { ISO_TIME_FORMS, parseIsoTime } from '../functions/core/config/timestamp';
import { UsageError } from './errors';

/** A place in a shard, as an operator names it on the command line. */
export type Position =
  | { readonly type: 'TRIM_HORIZON' }
  | { readonly type: 'LATEST' }
  | { readonly type: 'AT_TIMESTAMP'; readonly timestampMillis: number }
  | { readonly type: 'SEQUENCE'; readonly sequenceNumber: string; readonly subSequenceNumber?: number };

/** What an option takes besides TRIM_HORIZON, LATEST and a time. */
export type SequenceForms = 'none' | 'sequence' | 'sub-sequence';

const SEQUENCE = /^(0|[1-9]\d{0,127})(?::(\d{1,9}))?$/;
// Anything that starts like a date is read as a time, so a wrong day is called a wrong day.
const LOOKS_LIKE_TIME = /^\d{4}-\d{2}/;

/** The forms an option accepts, for its messages: exactly what parsePosition lets through. */
export function positionForms(sequences: SequenceForms): string {
  const base = `TRIM_HORIZON, LATEST, or ${ISO_TIME_FORMS}`;
  switch (sequences) {
    case 'none':
      return base;
    case 'sequence':
      return `${base}, or a sequence number`;
    case 'sub-sequence':
      return `${base}, or a sequence number (with :<sub-sequence number> for a record inside an aggregated record)`;
  }
}

/**
 * Parses `--from` and `--to` values. A time is read by the configuration's strict ISO 8601 parser (the
 * one `flink.stream.initpos.timestamp` uses): it needs its zone (or is a bare date, UTC midnight), since a
 * replay that starts an hour off is worse than an error, and an impossible day is refused, not rolled
 * over. `sequences` says whether a sequence number (and `:<sub-sequence number>`) is accepted.
 */
export function parsePosition(text: string, option: string, sequences: SequenceForms = 'none'): Position {
  const value = text.trim();
  const upper = value.toUpperCase();
  if (upper === 'TRIM_HORIZON') return { type: 'TRIM_HORIZON' };
  if (upper === 'LATEST') return { type: 'LATEST' };
  const forms = positionForms(sequences);
  if (LOOKS_LIKE_TIME.test(value)) {
    const time = parseIsoTime(value);
    if (time.ok) return { type: 'AT_TIMESTAMP', timestampMillis: time.date.getTime() };
    if (time.problem === 'range') {
      throw new UsageError(
        `${option} ${JSON.stringify(text)} is not a time that exists (a day, hour, minute or second out of range); ` +
          `${option} takes ${forms}.`,
      );
    }
  }
  const sequence = SEQUENCE.exec(value);
  if (sequence && sequences !== 'none' && (sequences === 'sub-sequence' || sequence[2] === undefined)) {
    return {
      type: 'SEQUENCE',
      sequenceNumber: sequence[1] as string,
      ...(sequence[2] !== undefined ? { subSequenceNumber: Number(sequence[2]) } : {}),
    };
  }
  throw new UsageError(`${option} must be ${forms}; got ${JSON.stringify(text)}.`);
}

/** Whether `text` has the form of a sequence number (with an optional `:<sub-sequence number>`). */
export function looksLikeSequenceNumber(text: string): boolean {
  return SEQUENCE.test(text.trim());
}

/** How a position reads in a table. */
export function describePosition(position: Position): string {
  switch (position.type) {
    case 'TRIM_HORIZON':
    case 'LATEST':
      return position.type;
    case 'AT_TIMESTAMP':
      return `AT_TIMESTAMP ${new Date(position.timestampMillis).toISOString()}`;
    case 'SEQUENCE':
      return `sequence ${position.sequenceNumber}${position.subSequenceNumber !== undefined ? `:${position.subSequenceNumber}` : ''}`;
  }
}
