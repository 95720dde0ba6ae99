import { Duration, Token } from 'aws-cdk-lib';
import { ConfigurationError } from '../functions/core/errors';

/** A numeric range a prop must fall in, inclusive at both ends. */
export interface NumberRange {
  readonly min: number;
  readonly max: number;
  /** Whether only whole numbers are allowed. @default true */
  readonly integer?: boolean;
}

/**
 * Throws a ConfigurationError naming the construct, the prop, the value and the allowed range
 * when a number falls outside it. Unresolved Tokens pass: their value is only known at deploy time.
 */
export function checkNumber(
  owner: string,
  prop: string,
  value: number | undefined,
  range: NumberRange,
): void {
  if (value === undefined || Token.isUnresolved(value)) return;
  const integer = range.integer ?? true;
  if (
    Number.isFinite(value) &&
    (!integer || Number.isInteger(value)) &&
    value >= range.min &&
    value <= range.max
  ) {
    return;
  }
  const kind = integer ? 'a whole number' : 'a number';
  throw new ConfigurationError(
    `${owner}: ${prop} is ${value}; it must be ${kind} from ${range.min} to ${range.max}.`,
    prop,
  );
}

/** A Duration range, inclusive at both ends, optionally restricted to whole units. */
export interface DurationRange {
  readonly min: Duration;
  readonly max: Duration;
  /** The value must be a whole number of this unit (EventBridge rates are whole minutes). @default - any */
  readonly wholeUnit?: 'seconds' | 'minutes' | 'hours';
  /** The upper bound is exclusive. @default false */
  readonly maxExclusive?: boolean;
}

/** Like `checkNumber` for Durations; an unresolved Duration passes. */
export function checkDuration(
  owner: string,
  prop: string,
  value: Duration | undefined,
  range: DurationRange,
): void {
  if (value === undefined || value.isUnresolved()) return;
  const ms = value.toMilliseconds();
  const minMs = range.min.toMilliseconds();
  const maxMs = range.max.toMilliseconds();
  const aboveMax = range.maxExclusive ? ms >= maxMs : ms > maxMs;
  const unitMs = range.wholeUnit ? Duration[range.wholeUnit](1).toMilliseconds() : 1;
  if (ms >= minMs && !aboveMax && ms % unitMs === 0) return;
  const upper = range.maxExclusive
    ? `less than ${describeDuration(range.max)}`
    : `at most ${describeDuration(range.max)}`;
  const whole = range.wholeUnit ? ` in whole ${range.wholeUnit}` : '';
  throw new ConfigurationError(
    `${owner}: ${prop} is ${describeDuration(value)}; it must be at least ${describeDuration(range.min)} and ${upper}${whole}.`,
    prop,
  );
}

const UNITS: readonly [string, number][] = [
  ['day', 86_400_000],
  ['hour', 3_600_000],
  ['minute', 60_000],
  ['second', 1_000],
  ['millisecond', 1],
];

/** Every non-zero unit of a resolved Duration ("1 day 1 hour 30 minutes"); toHumanString drops the tail. */
export function describeDuration(value: Duration): string {
  if (value.isUnresolved()) return value.toString();
  let rest = value.toMilliseconds();
  const parts: string[] = [];
  for (const [unit, ms] of UNITS) {
    const count = Math.floor(rest / ms);
    rest -= count * ms;
    if (count > 0) parts.push(`${count} ${unit}${count === 1 ? '' : 's'}`);
  }
  return parts.length > 0 ? parts.join(' ') : '0 seconds';
}

/**
 * Throws when a resolved Duration is not strictly shorter than another resolved one; used for the
 * consumer's timing chain (time budget < function timeout < schedule period).
 */
export function checkShorter(
  owner: string,
  prop: string,
  value: Duration,
  limitProp: string,
  limit: Duration,
  why: string,
): void {
  if (value.isUnresolved() || limit.isUnresolved()) return;
  if (value.toMilliseconds() < limit.toMilliseconds()) return;
  throw new ConfigurationError(
    `${owner}: ${prop} is ${describeDuration(value)}; it must be shorter than ${limitProp} ` +
      `(${describeDuration(limit)}) ${why}.`,
    prop,
  );
}

/** Throws when a string does not match a pattern; unresolved Tokens pass. */
export function checkPattern(
  owner: string,
  prop: string,
  value: string | undefined,
  pattern: RegExp,
  allowed: string,
): void {
  if (value === undefined || Token.isUnresolved(value)) return;
  if (pattern.test(value)) return;
  throw new ConfigurationError(`${owner}: ${prop} is ${JSON.stringify(value)}; ${allowed}.`, prop);
}

/** A configuration error that is not about a range: both props, or neither, were given, and so on. */
export function configError(owner: string, prop: string, sentence: string): ConfigurationError {
  return new ConfigurationError(`${owner}: ${sentence}`, prop);
}
