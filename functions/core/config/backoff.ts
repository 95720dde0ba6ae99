import type { BackoffSettings } from '../aws/retry';
import { integer, positiveNumber, read, setting, type Problems, type Reader, type Setting } from './validate';

/** The four reference-connector keys of one API family's backoff. */
export interface BackoffKeys {
  readonly maxRetries: Setting<number> & { default: number };
  readonly baseMillis: Setting<number> & { default: number };
  readonly maxMillis: Setting<number> & { default: number };
  readonly expConst: Setting<number> & { default: number };
}

/** `<prefix>.maxretries`, `.backoff.base`, `.backoff.max` and `.backoff.expconst` for one API call. */
export function backoffSettings(
  prefix: string,
  path: readonly string[],
  operation: string,
  defaults: BackoffSettings,
): BackoffKeys {
  return {
    maxRetries: setting({
      key: `${prefix}.maxretries`,
      path: [...path, 'maxRetries'],
      kind: integer(0),
      default: defaults.maxRetries,
      description: `${operation} retries after the first attempt, on throttling or a transient error`,
    }),
    baseMillis: setting({
      key: `${prefix}.backoff.base`,
      path: [...path, 'baseMillis'],
      kind: integer(0, undefined, 'milliseconds'),
      default: defaults.baseMillis,
      description: `${operation} backoff base`,
    }),
    maxMillis: setting({
      key: `${prefix}.backoff.max`,
      path: [...path, 'maxMillis'],
      kind: integer(0, undefined, 'milliseconds'),
      default: defaults.maxMillis,
      description: `${operation} backoff ceiling`,
    }),
    expConst: setting({
      key: `${prefix}.backoff.expconst`,
      path: [...path, 'expConst'],
      kind: positiveNumber(),
      default: defaults.expConst,
      description: `${operation} backoff growth: sleep = random x min(max, base x expconst^attempt)`,
    }),
  };
}

/** Reads one family's backoff; a ceiling below the base is reported. */
export function readBackoff(keys: BackoffKeys, reader: Reader, problems: Problems): BackoffSettings {
  const backoff = {
    maxRetries: read(keys.maxRetries, reader, problems),
    baseMillis: read(keys.baseMillis, reader, problems),
    maxMillis: read(keys.maxMillis, reader, problems),
    expConst: read(keys.expConst, reader, problems),
  };
  if (backoff.maxMillis < backoff.baseMillis) {
    const maxName = reader.nameOf(keys.maxMillis.key, keys.maxMillis.path);
    const baseName = reader.nameOf(keys.baseMillis.key, keys.baseMillis.path);
    problems.add(
      keys.maxMillis.key,
      `${maxName} must be at least ${baseName} (${backoff.baseMillis}); got ${backoff.maxMillis}.`,
    );
  }
  return backoff;
}
