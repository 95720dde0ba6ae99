import { checkStreamRef, STREAM_REF_RULE } from '../aws/stream-ref';
import { ConfigurationError, type ConfigurationProblem } from '../errors';

/**
 * What a setting accepts. `parse` takes either text (from a properties file or the environment) or
 * a value passed in code, and returns the typed value, or undefined when the input is not allowed.
 */
export interface Kind<T> {
  /** The allowed values as a phrase that follows "must be", e.g. "an integer from 1 to 10000". */
  readonly allowed: string;
  parse(value: unknown, fromText: boolean): T | undefined;
}

/** One configuration setting: its reference-style property key, its path in typed options, its rule. */
export interface Setting<T> {
  /** The property key, e.g. `flink.shard.getrecords.maxrecordcount`; the env name derives from it. */
  readonly key: string;
  /** Where the setting sits in typed options, e.g. `['getRecords', 'maxRecordCount']`. */
  readonly path: readonly string[];
  readonly kind: Kind<T>;
  readonly default?: T;
  /** The default when it is a behaviour rather than a value, for the docs. */
  readonly defaultText?: string;
  readonly required?: boolean;
  /** Never echo the value in a message. */
  readonly secret?: boolean;
  readonly description: string;
}

/** Declares a setting; one with a default reads as a definite value. */
export function setting<T>(spec: Setting<T> & { default: T }): Setting<T> & { default: T };
export function setting<T>(spec: Setting<T>): Setting<T>;
export function setting<T>(spec: Setting<T>): Setting<T> {
  return spec;
}

/** A value as found in a source, with the name that source knows it by. */
export interface RawValue {
  readonly value: unknown;
  readonly name: string;
  readonly fromText: boolean;
}

/** A source of raw setting values: typed options, a properties file or the environment. */
export interface Reader {
  get(key: string, path: readonly string[]): RawValue | undefined;
  /** Whether anything is set at or under this key or path (for nested credentials). */
  has(key: string, path: readonly string[]): boolean;
  /** How this source names a key in messages. */
  nameOf(key: string, path: readonly string[]): string;
  /** Marks every key at or under `key` as seen, once a problem about them has been reported. */
  consumeUnder(key: string): void;
  /** For layered sources: the one source a whole subtree is read from. */
  exclusive?(key: string, path: readonly string[]): Reader;
}

/** Collects every problem so a loader reports them all at once. */
export class Problems {
  private readonly list: ConfigurationProblem[] = [];

  add(key: string, message: string): void {
    this.list.push({ key, message });
  }

  get count(): number {
    return this.list.length;
  }

  /** Throws one ConfigurationError listing every problem, if there are any. */
  throwIfAny(subject: string): void {
    const problems = this.list;
    if (problems.length === 0) return;
    if (problems.length === 1) {
      const only = problems[0] as ConfigurationProblem;
      throw new ConfigurationError(only.message, only.key, problems);
    }
    const lines = problems.map((p) => `- ${p.message}`).join('\n');
    throw new ConfigurationError(
      `The ${subject} configuration has ${problems.length} problems:\n${lines}`,
      undefined,
      problems,
    );
  }
}

/** `name must be <allowed>; got <value>.`, never echoing a secret. */
export function invalidMessage(name: string, allowed: string, value: unknown, secret = false): string {
  return `${name} must be ${allowed}; got ${show(value, secret)}.`;
}

/** A short rendering of a value for a message. Secrets are described, never shown. */
export function show(value: unknown, secret = false): string {
  if (secret && !(typeof value === 'string' && value === '')) return 'a value that is not shown';
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (typeof value === 'string') {
    return value.length > 100
      ? `${JSON.stringify(value.slice(0, 60))}... (${value.length} characters)`
      : JSON.stringify(value);
  }
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint')
    return String(value);
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? 'an invalid Date' : value.toISOString();
  if (Array.isArray(value)) return `an array of ${value.length}`;
  return `a ${typeof value}`;
}

/**
 * Reads one setting: its default when unset, its parsed value when allowed, and otherwise its default
 * (or undefined) after recording a problem, so later checks can still run and report theirs.
 */
export function read<T>(spec: Setting<T> & { default: T }, reader: Reader, problems: Problems): T;
export function read<T>(spec: Setting<T>, reader: Reader, problems: Problems): T | undefined;
export function read<T>(spec: Setting<T>, reader: Reader, problems: Problems): T | undefined {
  const raw = reader.get(spec.key, spec.path);
  if (raw === undefined) {
    if (spec.required) {
      problems.add(
        spec.key,
        `${reader.nameOf(spec.key, spec.path)} is required (${spec.description}): set it to ${spec.kind.allowed}.`,
      );
    }
    return spec.default;
  }
  const parsed = spec.kind.parse(raw.value, raw.fromText);
  if (parsed === undefined) {
    problems.add(spec.key, invalidMessage(raw.name, spec.kind.allowed, raw.value, spec.secret));
    return spec.default;
  }
  return parsed;
}

// ---- kinds ----

const INTEGER_TEXT = /^[+-]?\d+$/;
const NUMBER_TEXT = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

function rangePhrase(min: number, max: number | undefined): string {
  return max === undefined ? `an integer of at least ${min}` : `an integer from ${min} to ${max}`;
}

function withNote(phrase: string, note: string | undefined): string {
  return note ? `${phrase} (${note})` : phrase;
}

/** An integer in [min, max]. */
export function integer(min: number, max?: number, note?: string): Kind<number> {
  return {
    allowed: withNote(rangePhrase(min, max), note),
    parse(value, fromText) {
      const n = fromText ? textToInteger(value) : value;
      if (typeof n !== 'number' || !Number.isSafeInteger(n)) return undefined;
      return n >= min && (max === undefined || n <= max) ? n : undefined;
    },
  };
}

/**
 * An integer of at least `min` that may be as large as a Java long, as KPL settings allow; values past
 * what a JavaScript number holds exactly are capped at Number.MAX_SAFE_INTEGER, which is
 * effectively "unlimited" for every setting that uses this.
 */
export function longInteger(min: number, note?: string): Kind<number> {
  const javaLongMax = 9223372036854775807n;
  return {
    allowed: withNote(`an integer from ${min} to ${javaLongMax}`, note),
    parse(value, fromText) {
      if (fromText) {
        if (typeof value !== 'string' || !INTEGER_TEXT.test(value.trim())) return undefined;
        const big = BigInt(value.trim());
        if (big < BigInt(min) || big > javaLongMax) return undefined;
        return big > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(big);
      }
      if (typeof value !== 'number' || !Number.isInteger(value) || value < min) return undefined;
      return Math.min(value, Number.MAX_SAFE_INTEGER);
    },
  };
}

function textToInteger(value: unknown): number | undefined {
  if (typeof value !== 'string' || !INTEGER_TEXT.test(value.trim())) return undefined;
  return Number(value.trim());
}

/** A finite number greater than `exclusiveMin`. */
export function positiveNumber(exclusiveMin = 0): Kind<number> {
  return {
    allowed: `a number greater than ${exclusiveMin}`,
    parse(value, fromText) {
      let n = value;
      if (fromText) {
        if (typeof value !== 'string' || !NUMBER_TEXT.test(value.trim())) return undefined;
        n = Number(value.trim());
      }
      return typeof n === 'number' && Number.isFinite(n) && n > exclusiveMin ? n : undefined;
    },
  };
}

/** A finite number in [min, max]. */
export function numberFrom(min: number, max: number): Kind<number> {
  return {
    allowed: `a number from ${min} to ${max}`,
    parse(value, fromText) {
      let n = value;
      if (fromText) {
        if (typeof value !== 'string' || !NUMBER_TEXT.test(value.trim())) return undefined;
        n = Number(value.trim());
      }
      return typeof n === 'number' && Number.isFinite(n) && n >= min && n <= max ? n : undefined;
    },
  };
}

/** -1 to switch a feature off, or a positive integer. */
export function offOrPositive(note?: string): Kind<number> {
  const positive = integer(1);
  return {
    allowed: withNote('-1 (off) or an integer of at least 1', note),
    parse(value, fromText) {
      const n = fromText ? textToInteger(value) : value;
      return n === -1 ? -1 : positive.parse(n, false);
    },
  };
}

export const boolean: Kind<boolean> = {
  allowed: 'true or false',
  parse(value, fromText) {
    if (!fromText) return typeof value === 'boolean' ? value : undefined;
    if (typeof value !== 'string') return undefined;
    const lower = value.trim().toLowerCase();
    return lower === 'true' ? true : lower === 'false' ? false : undefined;
  },
};

/** One of a fixed set of strings, matched exactly. */
export function oneOf<T extends string>(values: readonly T[]): Kind<T> {
  const last = values[values.length - 1];
  const phrase = values.length === 1 ? `${last}` : `one of ${values.slice(0, -1).join(', ')} or ${last}`;
  return {
    allowed: phrase,
    parse(value, fromText) {
      const v = fromText && typeof value === 'string' ? value.trim() : value;
      return typeof v === 'string' && (values as readonly string[]).includes(v) ? (v as T) : undefined;
    },
  };
}

/** A string matching `pattern`, between `minLength` and `maxLength` characters. */
export function text(allowed: string, pattern: RegExp, minLength = 1, maxLength = Infinity): Kind<string> {
  return {
    allowed,
    parse(value, fromText) {
      const v = fromText && typeof value === 'string' ? value.trim() : value;
      if (typeof v !== 'string' || v.length < minLength || v.length > maxLength) return undefined;
      return pattern.test(v) ? v : undefined;
    },
  };
}

/** Any non-empty string (used for secrets and paths, whose shape is not ours to judge). */
export const nonEmpty: Kind<string> = text('a non-empty string', /[^\s]/);

/** An http or https URL. */
export const url: Kind<string> = {
  allowed: 'an http:// or https:// URL',
  parse(value, fromText) {
    const v = fromText && typeof value === 'string' ? value.trim() : value;
    if (typeof v !== 'string') return undefined;
    try {
      const parsed = new URL(v);
      return parsed.protocol === 'http:' || parsed.protocol === 'https:' ? v : undefined;
    } catch {
      return undefined;
    }
  },
};

/** A non-empty list: comma-separated as text, an array in code; each item checked, duplicates refused. */
export function list(item: Kind<string>, plural: string): Kind<readonly string[]> {
  return {
    allowed: `a list of distinct ${plural}, comma-separated in text`,
    parse(value, fromText) {
      let items: unknown[];
      if (fromText) {
        if (typeof value !== 'string') return undefined;
        items = value.trim() === '' ? [] : value.split(',').map((s) => s.trim());
      } else {
        if (!Array.isArray(value)) return undefined;
        items = value;
      }
      const out: string[] = [];
      for (const raw of items) {
        const parsed = item.parse(raw, false);
        if (parsed === undefined || out.includes(parsed)) return undefined;
        out.push(parsed);
      }
      return out.length > 0 ? out : undefined;
    },
  };
}

const STREAM_NAME_RULE = '1 to 128 letters, digits, "_", "." or "-"';

/** A Kinesis stream name: 1 to 128 of letters, digits, `_`, `.` and `-`. */
export const streamName: Kind<string> = text(
  `a Kinesis stream name (${STREAM_NAME_RULE})`,
  /^[a-zA-Z0-9_.-]+$/,
  1,
  128,
);

/** One or more distinct stream names. */
export const streamNames: Kind<readonly string[]> = list(
  streamName,
  `Kinesis stream names (${STREAM_NAME_RULE})`,
);

/** A stream by name (this account) or by ARN (any account; see `aws/stream-ref.ts`). */
export const streamRef: Kind<string> = {
  allowed: STREAM_REF_RULE,
  parse(value, fromText) {
    const v = fromText && typeof value === 'string' ? value.trim() : value;
    return typeof v === 'string' && checkStreamRef(v, 'stream') === undefined ? v : undefined;
  },
};

/** One or more distinct streams, each by name or by ARN. */
export const streamRefs: Kind<readonly string[]> = list(streamRef, 'streams, each ' + STREAM_REF_RULE);

/** A region name such as us-east-1. */
export const regionName: Kind<string> = text(
  'an AWS region name such as us-east-1',
  /^[a-z]{2}(-[a-z]+)+-\d{1,2}$/,
);

/** Deep-freezes a plain configuration object so nothing can change it after validation. */
export function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}

/**
 * Adds a problem for each stream given by ARN in another region than `region`: Kinesis serves a stream
 * only in its own region, so this fails at start-up rather than at the first call.
 */
export function checkStreamRegions(
  streams: readonly string[],
  region: string | undefined,
  name: string,
  key: string,
  problems: Problems,
): void {
  if (!region) return;
  for (const stream of streams) {
    const problem = checkStreamRef(stream, name, region);
    if (problem) problems.add(key, problem);
  }
}
