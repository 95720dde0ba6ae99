import { UsageError } from './errors';

/** A place in a shard, as an operator names it on the command line. */
export type Position =
  | { readonly type: 'TRIM_HORIZON' }
  | { readonly type: 'LATEST' }
  | { readonly type: 'AT_TIMESTAMP'; readonly timestampMillis: number }
  | { readonly type: 'SEQUENCE'; readonly sequenceNumber: string; readonly subSequenceNumber?: number };

const ISO_TIME = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2}))?$/i;
const SEQUENCE = /^(0|[1-9]\d{0,127})(?::(\d{1,9}))?$/;

/** The allowed forms, for messages. */
export const POSITION_FORMS =
  'TRIM_HORIZON, LATEST, an ISO 8601 time with its zone (2024-05-01T10:00:00Z), or a sequence number';

/**
 * Parses `--from` and `--to` values. A time needs its zone (or is a bare date, taken as UTC midnight),
 * since a replay that starts an hour off is worse than an error. A sequence number may carry
 * `:<sub-sequence number>` where sub-records make sense.
 */
export function parsePosition(text: string, option: string, allowSubSequence = false): Position {
  const value = text.trim();
  const upper = value.toUpperCase();
  if (upper === 'TRIM_HORIZON') return { type: 'TRIM_HORIZON' };
  if (upper === 'LATEST') return { type: 'LATEST' };
  if (ISO_TIME.test(value)) {
    const millis = Date.parse(value);
    if (Number.isFinite(millis)) return { type: 'AT_TIMESTAMP', timestampMillis: millis };
  }
  const sequence = SEQUENCE.exec(value);
  if (sequence && (allowSubSequence || sequence[2] === undefined)) {
    return {
      type: 'SEQUENCE',
      sequenceNumber: sequence[1] as string,
      ...(sequence[2] !== undefined ? { subSequenceNumber: Number(sequence[2]) } : {}),
    };
  }
  throw new UsageError(
    `${option} must be ${POSITION_FORMS}${allowSubSequence ? ' (with :<sub-sequence number> for a record inside an aggregated record)' : ''}; got ${JSON.stringify(text)}.`,
  );
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
