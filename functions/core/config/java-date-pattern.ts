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
