import { BUNDLE_CONSTANTS } from '../bundle-constants';
import type * as DateParsing from './date-parsing';

export { javaPatternToDateFns } from './java-date-pattern';

/** The reference connector's default pattern for `flink.stream.initpos.timestamp`. */
export const DEFAULT_TIMESTAMP_FORMAT = "yyyy-MM-dd'T'HH:mm:ss.SSSXXX";

const EPOCH_SECONDS = /^\d+(\.\d+)?$/;

/** The outcome of reading a timestamp: a Date, or why the pattern or the value was refused. */
export type TimestampResult =
  | { readonly ok: true; readonly date: Date }
  | { readonly ok: false; readonly badPattern?: string; readonly reason: string };

/**
 * Reads `flink.stream.initpos.timestamp` as the reference connector does: first with the Java date
 * pattern (the default one when none is given), then as epoch seconds with an optional fraction
 * (`1459799926.480`). A pattern without a zone reads the time as UTC, the zone Lambda runs in.
 * Unlike Java's lenient SimpleDateFormat, the whole value must match and fields must be in range.
 */
export function parseTimestamp(value: string, pattern: string = DEFAULT_TIMESTAMP_FORMAT): TimestampResult {
  const trimmed = value.trim();
  const epochSeconds = EPOCH_SECONDS.test(trimmed);
  // The default pattern needs "-", "T" and ":", which epoch seconds never hold, so the pattern would
  // refuse them anyway: read them at once, without the pattern parser (how the CDK construct passes a
  // Date, in a bundle that leaves the parser out).
  if (epochSeconds && pattern === DEFAULT_TIMESTAMP_FORMAT) return fromEpochSeconds(trimmed);
  const parser = datePatternParser();
  if (!parser) {
    return {
      ok: false,
      reason:
        'epoch seconds such as 1459799926.480: this bundle was built without the Java date pattern parser ' +
        `(${BUNDLE_CONSTANTS.datePatterns} defined as "false", as the KinesisConsumer construct does; ` +
        'its startingTimestamp prop passes epoch seconds)',
    };
  }
  let format: string;
  try {
    format = parser.javaPatternToDateFns(pattern);
  } catch (error) {
    return { ok: false, badPattern: pattern, reason: (error as Error).message };
  }
  const parsed = strictParse(parser, trimmed, format);
  if ('error' in parsed) return { ok: false, badPattern: pattern, reason: parsed.error };
  if (parsed.date) return { ok: true, date: parsed.date };
  if (epochSeconds) return fromEpochSeconds(trimmed);
  return { ok: false, reason: `a date in the pattern ${pattern} or epoch seconds such as 1459799926.480` };
}

/** What `parseIsoTime` accepts, for messages. */
export const ISO_TIME_FORMS =
  'an ISO 8601 time with its zone (2024-05-01T10:00:00Z, 2024-05-01T12:00:00.250+02:00) or a date (2024-05-01, UTC midnight)';

// The shapes of ISO 8601 an operator types: a date, or a date and time with seconds, a fraction and a
// zone optional in that order (the zone required once there is a time: an hour off is worse than an error).
const ISO_TIME =
  /^(\d{4}-\d{2}-\d{2})(?:T(\d{2}:\d{2})(:\d{2})?(?:\.(\d{1,9}))?(Z|[+-]\d{2}:\d{2}|[+-]\d{4}))?$/;

/**
 * Reads an ISO 8601 time (the CLI's `--from` and `--to`) with the same strict parser as
 * `flink.stream.initpos.timestamp`: every field must be in range for its month and year, so
 * `2024-02-30` and hour 25 are refused rather than rolled over into the next day or month.
 */
export function parseIsoTime(value: string): IsoTimeResult {
  const text = value.trim().toUpperCase();
  const shape = ISO_TIME.exec(text);
  if (!shape) return { ok: false, problem: 'form' };
  const [, , hourMinute, seconds, fraction, zone] = shape;
  if (hourMinute !== undefined && zone === undefined) return { ok: false, problem: 'form' };
  const format =
    'yyyy-MM-dd' +
    (hourMinute !== undefined ? "'T'HH:mm" : '') +
    (seconds !== undefined ? ':ss' : '') +
    (fraction !== undefined ? `.${'S'.repeat(fraction.length)}` : '') +
    (zone === undefined ? '' : zone === 'Z' || zone.includes(':') ? 'XXX' : 'XX');
  const parser = datePatternParser();
  if (!parser) return { ok: false, problem: 'form' };
  const parsed = strictParse(parser, text, format);
  return 'date' in parsed && parsed.date ? { ok: true, date: parsed.date } : { ok: false, problem: 'range' };
}

/** A time `parseIsoTime` read, or why not: not of an accepted form, or a field out of range (2024-02-30). */
export type IsoTimeResult =
  { readonly ok: true; readonly date: Date } | { readonly ok: false; readonly problem: 'form' | 'range' };

/** date-fns's parse against a UTC reference date: a Date, undefined for a value out of range, or an error. */
function strictParse(
  parser: typeof DateParsing,
  text: string,
  format: string,
): { date?: Date } | { error: string } {
  let parsed: Date;
  try {
    parsed = parser.parse(text, format, new parser.UTCDateMini(0), {
      useAdditionalDayOfYearTokens: true,
      useAdditionalWeekYearTokens: true,
    });
  } catch (error) {
    // date-fns refuses some token combinations (e.g. `u` with `yyyy`) when parsing, not before.
    return { error: (error as Error).message };
  }
  return parser.isValid(parsed) ? { date: new Date(parsed.getTime()) } : {};
}

function fromEpochSeconds(text: string): TimestampResult {
  return { ok: true, date: new Date(Math.round(Number(text) * 1000)) };
}

// date-fns's parser is required when first needed rather than imported: its token tables cost a few
// milliseconds of a cold start that only a timestamp given as text needs. A bundle may leave it out
// altogether (see core/bundle-constants.ts); the require must stay inside the guard for that.
function datePatternParser(): typeof DateParsing | undefined {
  if (process.env.CONNECTOR_BUNDLE_DATE_PATTERNS !== 'false') {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- see above
    return require('./date-parsing') as typeof DateParsing;
  }
  return undefined;
}
