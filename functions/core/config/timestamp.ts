import { BUNDLE_CONSTANTS } from '../bundle-constants';
import type * as DateParsing from './date-parsing';

/** The reference connector's default pattern for `flink.stream.initpos.timestamp`. */
export const DEFAULT_TIMESTAMP_FORMAT = "yyyy-MM-dd'T'HH:mm:ss.SSSXXX";

const EPOCH_SECONDS = /^\d+(\.\d+)?$/;

/**
 * Java SimpleDateFormat letters and the date-fns token each becomes. date-fns tokens mostly match
 * Java's, but not all: Java `u` (day number of week, Monday = 1) is date-fns `i` (date-fns `u` is an
 * extended year), Java `Z` (`-0800`) is date-fns `xx`, Java `a` is date-fns `a` at any length, Java
 * `S` counts milliseconds (date-fns `S` is a fraction of a second, the same only at `SSS`), and Java's
 * `D` and `Y` need date-fns's opt-in flags. `z`, `W` and `F` have no date-fns parser, and a two-digit
 * year resolves against a different century window in each library; these are refused with a
 * suggestion rather than guessed at.
 */
const JAVA_LETTERS: Record<string, (count: number) => string> = {
  G: () => 'G',
  y: (n) => (n === 2 ? twoDigitYear() : 'yyyy'),
  Y: (n) => (n === 2 ? twoDigitYear() : 'YYYY'),
  M: (n) => 'M'.repeat(Math.min(n, 4)),
  L: (n) => 'L'.repeat(Math.min(n, 4)),
  w: (n) => 'w'.repeat(Math.min(n, 2)),
  D: (n) => 'D'.repeat(Math.min(n, 3)),
  d: (n) => 'd'.repeat(Math.min(n, 2)),
  E: (n) => (n <= 3 ? 'EEE' : 'EEEE'),
  u: () => 'i',
  a: () => 'a',
  H: (n) => 'H'.repeat(Math.min(n, 2)),
  k: (n) => 'k'.repeat(Math.min(n, 2)),
  K: (n) => 'K'.repeat(Math.min(n, 2)),
  h: (n) => 'h'.repeat(Math.min(n, 2)),
  m: (n) => 'm'.repeat(Math.min(n, 2)),
  s: (n) => 's'.repeat(Math.min(n, 2)),
  S: (n) => {
    if (n > 3) throw new Error('S counts milliseconds; use at most SSS');
    return 'SSS';
  },
  Z: () => 'xx',
  X: (n) => {
    if (n > 3) throw new Error('X takes 1 to 3 letters (XXX is -08:00)');
    return 'X'.repeat(n);
  },
  z: () => {
    throw new Error('z (a time zone name such as PST) cannot be parsed here; use XXX (-08:00) or Z (-0800)');
  },
  W: () => {
    throw new Error('W (week in month) has no equivalent here; use yyyy-MM-dd');
  },
  F: () => {
    throw new Error('F (day of week in month) has no equivalent here; use yyyy-MM-dd');
  },
};

function twoDigitYear(): never {
  throw new Error('two-digit years (yy) are ambiguous; use yyyy');
}

/**
 * Translates a Java SimpleDateFormat pattern into a date-fns `parse` format. Quoted literals
 * (`'T'`, and `''` for a quote) are written the same way in both and pass through unchanged.
 * Throws an Error saying which letter is not supported.
 */
export function javaPatternToDateFns(pattern: string): string {
  let out = '';
  let i = 0;
  while (i < pattern.length) {
    const c = pattern[i] as string;
    if (c === "'") {
      const end = closingQuote(pattern, i);
      out += pattern.slice(i, end + 1);
      i = end + 1;
      continue;
    }
    if (!/[a-zA-Z]/.test(c)) {
      out += c;
      i++;
      continue;
    }
    let count = 1;
    while (pattern[i + count] === c) count++;
    const map = JAVA_LETTERS[c];
    if (!map)
      throw new Error(`"${c}" is not a SimpleDateFormat pattern letter; quote literal text, e.g. 'T'`);
    out += map(count);
    i += count;
  }
  return out;
}

function closingQuote(pattern: string, start: number): number {
  for (let i = start + 1; i < pattern.length; i++) {
    if (pattern[i] !== "'") continue;
    if (i === start + 1) return i; // '' is an escaped quote
    if (pattern[i + 1] === "'") {
      i++;
      continue;
    }
    return i;
  }
  throw new Error('a quoted literal is not closed; end it with a single quote');
}

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
  let format: string;
  try {
    format = javaPatternToDateFns(pattern);
  } catch (error) {
    return { ok: false, badPattern: pattern, reason: (error as Error).message };
  }
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
