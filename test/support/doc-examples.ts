import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..');

/** One shell line of a document's ```sh blocks. */
export interface ShellExample {
  readonly file: string;
  readonly line: number;
  readonly text: string;
}

/**
 * The lines of every ```sh block of a Markdown file, or of one section of it (from the heading `section`
 * to the next heading of its level or higher), without blank lines and whole-line comments.
 */
export function shellExamples(file: string, section?: string): ShellExample[] {
  const lines = readFileSync(join(ROOT, file), 'utf8').split('\n');
  let from = 0;
  let to = lines.length;
  if (section !== undefined) {
    from = lines.findIndex((l) => l.replace(/^#+\s*/, '') === section && l.startsWith('#'));
    if (from < 0) throw new Error(`${file} has no section "${section}".`);
    const level = /^#+/.exec(lines[from] as string)?.[0].length ?? 1;
    const next = lines.findIndex((l, i) => i > from && (/^#+/.exec(l)?.[0].length ?? 99) <= level);
    if (next >= 0) to = next;
  }
  const examples: ShellExample[] = [];
  let inShell = false;
  for (let i = from; i < to; i++) {
    const line = lines[i] as string;
    if (line.startsWith('```')) {
      inShell = !inShell && line.trim() === '```sh';
      continue;
    }
    if (inShell && line.trim() !== '' && !line.trim().startsWith('#')) {
      examples.push({ file, line: i + 1, text: line.trim() });
    }
  }
  return examples;
}

/** A word of a shell line, or an operator (`|`, `<`). */
export type ShellToken = { readonly word: string } | { readonly operator: '|' | '<' };

/**
 * Splits a shell line into words as a POSIX shell would for the forms the docs use: single and double
 * quotes, `$NAME` and `"$NAME"` expansion from `variables`, `|` and `<`, and a trailing `# comment`.
 * Anything else (command substitution inside a word, globs, `&&`) is refused, so a doc example the
 * test cannot run as written fails instead of being skipped.
 */
export function shellWords(text: string, variables: Readonly<Record<string, string>>): ShellToken[] {
  const tokens: ShellToken[] = [];
  let i = 0;
  const expand = (name: string) => {
    const value = variables[name];
    if (value === undefined) throw new Error(`$${name} is not set by an earlier example.`);
    return value;
  };
  while (i < text.length) {
    const c = text[i] as string;
    if (c === ' ' || c === '\t') {
      i++;
      continue;
    }
    if (c === '#') break;
    if (c === '|' || c === '<') {
      tokens.push({ operator: c });
      i++;
      continue;
    }
    let word = '';
    while (i < text.length && !' \t|<'.includes(text[i] as string)) {
      const ch = text[i] as string;
      if (ch === "'") {
        const end = text.indexOf("'", i + 1);
        if (end < 0) throw new Error(`Unclosed ' in: ${text}`);
        word += text.slice(i + 1, end);
        i = end + 1;
      } else if (ch === '"') {
        const end = text.indexOf('"', i + 1);
        if (end < 0) throw new Error(`Unclosed " in: ${text}`);
        word += text.slice(i + 1, end).replace(/\$([A-Z_][A-Z0-9_]*)/g, (_, name: string) => expand(name));
        i = end + 1;
      } else if (ch === '$') {
        const name = /^\$([A-Z_][A-Z0-9_]*)/.exec(text.slice(i));
        if (!name) throw new Error(`Unsupported $ form in: ${text}`);
        word += expand(name[1] as string);
        i += (name[0] as string).length;
      } else if ('&;`*?(){}'.includes(ch)) {
        throw new Error(`Unsupported shell syntax "${ch}" in: ${text}`);
      } else {
        word += ch;
        i++;
      }
    }
    tokens.push({ word });
  }
  return tokens;
}

/** What `jq <filter>` or `jq -r <filter>` prints for JSON lines, for the path filters the docs use (`.a.b`). */
export function jqPath(args: readonly string[], input: string): string {
  const raw = args.includes('-r');
  const filter = args.filter((a) => a !== '-r' && a !== '-c');
  if (filter.length !== 1 || !/^(\.[A-Za-z_][A-Za-z0-9_]*)+$/.test(filter[0] as string)) {
    throw new Error(`Only jq [-r] .path is supported here; got jq ${args.join(' ')}.`);
  }
  const path = (filter[0] as string).slice(1).split('.');
  return input
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => {
      let value: unknown = JSON.parse(line);
      for (const key of path) value = (value as Record<string, unknown> | null)?.[key] ?? null;
      return raw && typeof value === 'string' ? value : JSON.stringify(value);
    })
    .map((line) => `${line}\n`)
    .join('');
}
