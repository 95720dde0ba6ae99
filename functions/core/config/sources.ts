import type { Problems, RawValue, Reader } from './validate';

/** A value from a properties file or the environment, with the name it was given under there. */
export interface TextEntry {
  readonly value: string;
  /** The property key or environment variable name, for messages. */
  readonly name: string;
}

/** Reads settings from text entries keyed by property key, remembering which ones were read. */
export class TextReader implements Reader {
  private readonly consumed = new Set<string>();

  constructor(
    private readonly entries: ReadonlyMap<string, TextEntry>,
    private readonly naming: (key: string) => string,
  ) {}

  get(key: string): RawValue | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    this.consumed.add(key);
    return { value: entry.value, name: entry.name, fromText: true };
  }

  has(key: string): boolean {
    for (const k of this.entries.keys()) if (k === key || k.startsWith(`${key}.`)) return true;
    return false;
  }

  nameOf(key: string): string {
    return this.naming(key);
  }

  consumeUnder(key: string): void {
    for (const k of this.entries.keys()) if (k === key || k.startsWith(`${key}.`)) this.consumed.add(k);
  }

  /** Entries nothing has read: unknown or unsupported keys. */
  unconsumed(): [string, TextEntry][] {
    return [...this.entries].filter(([key]) => !this.consumed.has(key));
  }
}

/** Reads settings from typed options by path. */
export class TypedReader implements Reader {
  constructor(private readonly root: unknown) {}

  get(_key: string, path: readonly string[]): RawValue | undefined {
    const value = this.at(path);
    return value === undefined ? undefined : { value, name: path.join('.'), fromText: false };
  }

  has(_key: string, path: readonly string[]): boolean {
    return this.at(path) !== undefined;
  }

  nameOf(_key: string, path: readonly string[]): string {
    return path.join('.');
  }

  consumeUnder(): void {}

  private at(path: readonly string[]): unknown {
    let value = this.root;
    for (const part of path) {
      if (!isPlainObject(value)) return undefined;
      value = value[part];
    }
    return value;
  }
}

/**
 * Text entries with typed options from code on top: a setting given in both places is a problem
 * rather than a silent precedence rule, and a subtree (credentials) comes from one source whole.
 */
export class LayeredReader implements Reader {
  constructor(
    private readonly text: TextReader,
    private readonly typed: TypedReader,
    private readonly problems: Problems,
    private readonly textSource: string,
  ) {}

  get(key: string, path: readonly string[]): RawValue | undefined {
    const fromText = this.text.get(key);
    const fromCode = this.typed.get(key, path);
    if (fromText && fromCode) this.conflict(key, fromText.name, fromCode.name);
    return fromCode ?? fromText;
  }

  has(key: string, path: readonly string[]): boolean {
    return this.text.has(key) || this.typed.has(key, path);
  }

  nameOf(key: string): string {
    return this.text.nameOf(key);
  }

  consumeUnder(key: string): void {
    this.text.consumeUnder(key);
  }

  /** The one source a subtree is read from; both having some of it is reported. */
  exclusive(key: string, path: readonly string[]): Reader {
    if (!this.typed.has(key, path)) return this.text;
    if (this.text.has(key)) {
      this.problems.add(
        key,
        `${this.text.nameOf(key)} and the keys below it are set in ${this.textSource} while code sets ` +
          `${path.join('.')}; set them in one place.`,
      );
      this.text.consumeUnder(key);
    }
    return this.typed;
  }

  private conflict(key: string, textName: string, codeName: string): void {
    this.problems.add(
      key,
      `${textName} is set both in ${this.textSource} and in code (${codeName}); set it in one place.`,
    );
  }
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}
