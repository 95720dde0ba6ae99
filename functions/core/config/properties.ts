import { ConfigurationError, type ConfigurationProblem } from '../errors';

/** One key of a parsed properties file, with the line it started on (for messages). */
export interface PropertyEntry {
  readonly value: string;
  readonly line: number;
}

/**
 * Parses the text of a Java `.properties` file as `java.util.Properties.load` reads it: `#` and `!`
 * comments, `=`, `:` or whitespace between key and value, backslash line continuations, and the
 * `\t \n \r \f \uXXXX` escapes. Unlike Java, a key set twice is an error rather than last-one-wins,
 * since a duplicate in a ported file is nearly always a mistake.
 */
export function parseProperties(text: string): Map<string, PropertyEntry> {
  const entries = new Map<string, PropertyEntry>();
  const problems: ConfigurationProblem[] = [];
  const lines = text.split(/\r\n|\r|\n/);
  for (let i = 0; i < lines.length; i++) {
    const startLine = i + 1;
    let logical = stripLeading(lines[i] as string);
    if (logical === '' || logical.startsWith('#') || logical.startsWith('!')) continue;
    while (endsWithOddBackslashes(logical) && i + 1 < lines.length) {
      logical = logical.slice(0, -1) + stripLeading(lines[++i] as string);
    }
    if (endsWithOddBackslashes(logical)) logical = logical.slice(0, -1);
    try {
      const [key, value] = splitKeyValue(logical);
      const previous = entries.get(key);
      if (previous) {
        problems.push({
          key,
          message: `${key} is set twice, on lines ${previous.line} and ${startLine}; keep one.`,
        });
      }
      entries.set(key, { value, line: startLine });
    } catch (error) {
      problems.push({ key: `line ${startLine}`, message: `Line ${startLine}: ${(error as Error).message}` });
    }
  }
  if (problems.length === 1) {
    const only = problems[0] as ConfigurationProblem;
    throw new ConfigurationError(only.message, only.key, problems);
  }
  if (problems.length > 1) {
    const list = problems.map((p) => `- ${p.message}`).join('\n');
    throw new ConfigurationError(
      `The properties text has ${problems.length} problems:\n${list}`,
      undefined,
      problems,
    );
  }
  return entries;
}

const WHITESPACE = new Set([' ', '\t', '\f']);

function stripLeading(line: string): string {
  let i = 0;
  while (i < line.length && WHITESPACE.has(line[i] as string)) i++;
  return line.slice(i);
}

function endsWithOddBackslashes(line: string): boolean {
  let count = 0;
  for (let i = line.length - 1; i >= 0 && line[i] === '\\'; i--) count++;
  return count % 2 === 1;
}

function splitKeyValue(line: string): [string, string] {
  let i = 0;
  while (i < line.length) {
    const c = line[i] as string;
    if (c === '\\') {
      i += 2;
      continue;
    }
    if (c === '=' || c === ':' || WHITESPACE.has(c)) break;
    i++;
  }
  const rawKey = line.slice(0, Math.min(i, line.length));
  let j = i;
  while (j < line.length && WHITESPACE.has(line[j] as string)) j++;
  if (j < line.length && (line[j] === '=' || line[j] === ':')) j++;
  while (j < line.length && WHITESPACE.has(line[j] as string)) j++;
  return [unescape(rawKey), unescape(line.slice(j))];
}

const ESCAPES: Record<string, string> = { t: '\t', n: '\n', r: '\r', f: '\f' };

function unescape(text: string): string {
  if (!text.includes('\\')) return text;
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i] as string;
    if (c !== '\\') {
      out += c;
      continue;
    }
    const next = text[++i];
    if (next === undefined) break;
    if (next === 'u') {
      const hex = text.slice(i + 1, i + 5);
      if (!/^[0-9a-fA-F]{4}$/.test(hex)) {
        throw new Error(`malformed \\u escape "\\u${hex}"; write four hexadecimal digits, e.g. \\u00e9.`);
      }
      out += String.fromCharCode(parseInt(hex, 16));
      i += 4;
    } else {
      out += ESCAPES[next] ?? next;
    }
  }
  return out;
}
