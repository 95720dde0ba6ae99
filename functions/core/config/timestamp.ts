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
  let parsed: Date;
  try {
    parsed = parser.parse(trimmed, format, new parser.UTCDateMini(0), {
      useAdditionalDayOfYearTokens: true,
      useAdditionalWeekYearTokens: true,
    });
  } catch (error) {
    // date-fns refuses some token combinations (e.g. `u` with `yyyy`) when parsing, not before.
    return { ok: false, badPattern: pattern, reason: (error as Error).message };
  }
  if (parser.isValid(parsed)) return { ok: true, date: new Date(parsed.getTime()) };
  if (epochSeconds) return fromEpochSeconds(trimmed);
  return { ok: false, reason: `a date in the pattern ${pattern} or epoch seconds such as 1459799926.480` };
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
