import { AWS_SETTINGS, CREDENTIAL_FIELDS, credentialKeys, isCredentialPath } from './aws-config';
import { connectorVariables, envVarName } from './env';
import { parseProperties } from './properties';
import { LayeredReader, TextReader, TypedReader, isPlainObject, type TextEntry } from './sources';
import { closest } from './suggest';
import { Problems, deepFreeze, show, type Reader, type Setting } from './validate';

/** A reference-connector (or KPL) key that this toolkit recognises but does not act on. */
export interface UnsupportedKey {
  readonly key: string;
  /** Match every key starting with `key`. */
  readonly prefix?: boolean;
  /** Completes "<key> ...": why it has no effect here and what to do instead. */
  readonly reason: string;
  /** Values that already describe what this toolkit does, accepted so a ported file loads as is. */
  readonly accepted?: readonly string[];
}

/** What a loader needs to know about one kind of configuration. */
export interface Schema<T> {
  readonly subject: 'consumer' | 'producer';
  /** Every fixed setting, the AWS ones included. */
  readonly settings: readonly Setting<unknown>[];
  /** Deprecated reference keys and the key each stands for. */
  readonly aliases: Readonly<Record<string, string>>;
  readonly unsupported: readonly UnsupportedKey[];
  /** Keys that take a stream name after them, e.g. `flink.stream.efo.consumerarn.<stream>`. */
  readonly perStreamKeys?: readonly string[];
  /**
   * The other kind's settings, to say "that is a producer setting" rather than "unknown"; asked for
   * only when a key is none of this kind's.
   */
  readonly otherSettings: () => readonly Setting<unknown>[];
  /** Reads every setting through `reader` and checks how they fit together. */
  build(reader: Reader, problems: Problems): T;
}

/** Validates typed options and returns the frozen configuration, or throws listing every problem. */
export function loadTyped<T>(schema: Schema<T>, options: unknown): T {
  const problems = new Problems();
  checkTypedShape(schema, options, problems);
  const config = schema.build(new TypedReader(options), problems);
  problems.throwIfAny(schema.subject);
  return deepFreeze(config);
}

/** A properties file's text, or its key/value pairs (what `java.util.Properties` holds). */
export type PropertiesSource = string | Readonly<Record<string, string>>;

export function loadProperties<T>(schema: Schema<T>, source: PropertiesSource, overrides?: unknown): T {
  const entries = new Map<string, TextEntry>();
  if (typeof source === 'string') {
    for (const [key, entry] of parseProperties(source)) entries.set(key, { value: entry.value, name: key });
  } else {
    for (const [key, value] of Object.entries(source)) entries.set(key, { value: String(value), name: key });
  }
  return loadText(schema, entries, overrides, 'the properties', (key) => key);
}

/**
 * Loads from `SKC_*` environment variables (see `envVarName`); every other variable is ignored. The
 * region falls back to AWS_REGION, then AWS_DEFAULT_REGION, which Lambda sets.
 */
export function loadEnv<T>(
  schema: Schema<T>,
  env: Readonly<Record<string, string | undefined>>,
  overrides?: unknown,
): T {
  const problems = new Problems();
  const variables = connectorVariables(env);
  const depth = Math.max(0, ...variables.map(([name]) => name.split('_ROLE_PROVIDER').length - 1));
  const own = knownKeys(schema, depth);
  const keyByName = new Map<string, string>();
  for (const key of [...own, ...schema.unsupported.map((u) => u.key)]) keyByName.set(envVarName(key), key);
  // The other kind's settings are read only for a variable that is none of ours, which a deployed
  // function never has: building them costs every cold start otherwise.
  let otherKeyByName: Map<string, string> | undefined;
  const otherKey = (name: string) =>
    (otherKeyByName ??= new Map(schema.otherSettings().map((s) => [envVarName(s.key), s.key]))).get(name);
  const entries = new Map<string, TextEntry>();
  for (const [name, value] of variables) {
    const key = keyByName.get(name) ?? otherKey(name);
    if (key !== undefined) {
      entries.set(key, { value, name });
      continue;
    }
    // Per-stream keys (flink.stream.efo.consumerarn.<stream>): the stream cannot be read back from an
    // upper-snake name, so the entry is kept under the name and matched to a stream when read.
    const perStream = schema.perStreamKeys?.find((key) => name.startsWith(`${envVarName(key)}_`));
    if (perStream) {
      entries.set(`env:${name}`, { value, name });
      continue;
    }
    const unsupported = schema.unsupported.find((u) => u.prefix && name.startsWith(envVarName(u.key)));
    if (unsupported) {
      problems.add(name, `${name} ${unsupported.reason}`);
      continue;
    }
    problems.add(name, unknownMessage(schema, name, own.map(envVarName)));
  }
  const regionFallback = env['AWS_REGION']
    ? 'AWS_REGION'
    : env['AWS_DEFAULT_REGION']
      ? 'AWS_DEFAULT_REGION'
      : undefined;
  const region = AWS_SETTINGS.region;
  const regionInCode = new TypedReader(overrides).has(region.key, region.path);
  if (!entries.has(region.key) && regionFallback && !regionInCode) {
    entries.set(region.key, { value: env[regionFallback] as string, name: regionFallback });
  }
  return loadText(schema, entries, overrides, 'the environment', envVarName, problems);
}

function loadText<T>(
  schema: Schema<T>,
  entries: Map<string, TextEntry>,
  overrides: unknown,
  textSource: string,
  naming: (key: string) => string,
  problems = new Problems(),
): T {
  for (const [alias, target] of Object.entries(schema.aliases)) {
    const entry = entries.get(alias);
    if (!entry) continue;
    entries.delete(alias);
    if (entries.has(target)) {
      problems.add(
        alias,
        `${entry.name} is the deprecated name of ${naming(target)} and both are set; keep ${naming(target)}.`,
      );
    } else {
      entries.set(target, entry);
    }
  }
  const text = new TextReader(entries, naming);
  if (overrides !== undefined) checkTypedShape(schema, overrides, problems);
  const reader =
    overrides === undefined
      ? text
      : new LayeredReader(text, new TypedReader(overrides), problems, textSource);
  const config = schema.build(reader, problems);

  const unconsumed = [...text.unconsumed()];
  const own = unconsumed.length ? knownKeys(schema, 1) : [];
  const otherKeys = new Set(unconsumed.length ? schema.otherSettings().map((s) => s.key) : []);
  for (const [key, entry] of unconsumed) {
    const unsupported = schema.unsupported.find((u) => (u.prefix ? key.startsWith(u.key) : key === u.key));
    if (unsupported) {
      if (!unsupported.accepted?.includes(entry.value.trim()))
        problems.add(key, `${entry.name} ${unsupported.reason}`);
    } else if (otherKeys.has(key)) {
      const other = schema.subject === 'consumer' ? 'producer' : 'consumer';
      problems.add(key, `${entry.name} is a ${other} setting; the ${schema.subject} does not read it.`);
    } else {
      problems.add(
        key,
        unknownMessage(schema, entry.name, [...own, ...Object.keys(schema.aliases)].map(naming)),
      );
    }
  }
  problems.throwIfAny(schema.subject);
  return deepFreeze(config);
}

function knownKeys(schema: Schema<unknown>, credentialDepth: number): string[] {
  return [
    ...schema.settings.map((s) => s.key),
    ...credentialKeys(credentialDepth),
    ...Object.keys(schema.aliases),
  ];
}

function unknownMessage(schema: Schema<unknown>, name: string, known: readonly string[]): string {
  const suggestion = closest(name, known);
  return suggestion
    ? `Unknown key ${name}: did you mean ${suggestion}?`
    : `Unknown key ${name}: it is not a ${schema.subject} setting (docs/configuration.md lists them).`;
}

/**
 * Walks typed options for names that are not options (a typo, or a field from another version) and
 * for values where an object belongs, since TypeScript cannot catch either in a spread or in JavaScript.
 */
function checkTypedShape(schema: Schema<unknown>, options: unknown, problems: Problems): void {
  const leaves = new Set(schema.settings.map((s) => s.path.join('.')));
  const branches = new Set<string>(['']);
  for (const s of schema.settings) {
    for (let i = 1; i < s.path.length; i++) branches.add(s.path.slice(0, i).join('.'));
  }
  const kindOf = (path: string[]): 'leaf' | 'branch' | false => {
    const joined = path.join('.');
    if (leaves.has(joined)) return 'leaf';
    if (branches.has(joined)) return 'branch';
    return isCredentialPath(path);
  };
  const visit = (value: unknown, path: string[]): void => {
    if (value === undefined) return;
    const name = path.length === 0 ? `the ${schema.subject} options` : path.join('.');
    if (!isPlainObject(value)) {
      problems.add(name, `${name} must be an object; got ${show(value)}.`);
      return;
    }
    for (const [field, child] of Object.entries(value)) {
      const childPath = [...path, field];
      const kind = kindOf(childPath);
      if (kind === 'branch') visit(child, childPath);
      else if (kind === false) {
        const siblings =
          isCredentialPath(path) === 'branch'
            ? ['provider', 'baseProvider', ...CREDENTIAL_FIELDS.map((f) => f.field)].map((f) =>
                [...path, f].join('.'),
              )
            : [...leaves, ...branches]
                .map((p) => p.split('.'))
                .filter((p) => p.length === childPath.length && p.slice(0, -1).join('.') === path.join('.'))
                .map((p) => p.join('.'));
        const suggestion = closest(childPath.join('.'), siblings);
        problems.add(
          childPath.join('.'),
          suggestion
            ? `Unknown option ${childPath.join('.')}: did you mean ${suggestion}?`
            : `Unknown option ${childPath.join('.')}: it is not a ${schema.subject} option.`,
        );
      }
    }
  };
  visit(options, []);
}
