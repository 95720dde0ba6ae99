// The public API is a list chosen and written down: each entry point's exports are exactly the names
// docs/api.md lists under it, every one of them named in an explicit export (no `export *` that would
// let an internal through unnoticed), and what loads at run time is that list's values.
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import * as ts from 'typescript';
import { RUNTIME_SOURCE_CONDITIONS } from '../../lib/bundling';

const ROOT = path.join(__dirname, '..', '..');
const API_DOC = readFileSync(path.join(ROOT, 'docs', 'api.md'), 'utf8');

const ENTRY_POINTS = [
  { heading: 'serverless-kinesis-connector', file: 'lib/index.ts', exportKey: '.' },
  { heading: 'serverless-kinesis-connector/runtime', file: 'functions/index.ts', exportKey: './runtime' },
] as const;

interface Exported {
  readonly name: string;
  readonly typeOnly: boolean;
}

/** The names an index file exports, read from its syntax; throws on `export *`. */
function exportsOf(file: string): Exported[] {
  const source = ts.createSourceFile(
    file,
    readFileSync(path.join(ROOT, file), 'utf8'),
    ts.ScriptTarget.Latest,
  );
  const names: Exported[] = [];
  for (const statement of source.statements) {
    if (!ts.isExportDeclaration(statement)) {
      throw new Error(`${file} may hold only export declarations; found: ${statement.getText(source)}`);
    }
    const clause = statement.exportClause;
    if (!clause || !ts.isNamedExports(clause)) {
      throw new Error(`${file} re-exports a whole module: ${statement.getText(source)}`);
    }
    for (const element of clause.elements) {
      names.push({ name: element.name.text, typeOnly: statement.isTypeOnly || element.isTypeOnly });
    }
  }
  return names;
}

/** The names docs/api.md lists under `## \`heading\``: the backticked names that open each bullet. */
function documented(heading: string): string[] {
  const start = API_DOC.indexOf(`\n## \`${heading}\`\n`);
  if (start < 0) throw new Error(`docs/api.md has no "## \`${heading}\`" section`);
  const end = API_DOC.indexOf('\n## ', start + 1);
  const section = API_DOC.slice(start, end < 0 ? undefined : end);
  return [...section.matchAll(/^- ((?:`[A-Za-z_$][\w$]*`(?:,\s+)?)+)(?::|$)/gm)].flatMap((m) =>
    [...(m[1] as string).matchAll(/`([^`]+)`/g)].map((n) => n[1] as string),
  );
}

describe.each(ENTRY_POINTS)('the $heading entry point', ({ heading, file, exportKey }) => {
  const exported = exportsOf(file);
  const names = exported.map((e) => e.name);

  it('exports exactly the names docs/api.md lists for it, each once', () => {
    const listed = documented(heading);
    expect(new Set(listed).size).toBe(listed.length);
    expect(new Set(names).size).toBe(names.length);
    expect([...names].sort()).toEqual([...listed].sort());
  });

  it('loads with exactly the listed values at run time, the types erased', () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- the module as a user loads it
    const loaded = require(path.join(ROOT, file)) as Record<string, unknown>;
    const values = exported.filter((e) => !e.typeOnly).map((e) => e.name);
    expect(Object.keys(loaded).sort()).toEqual(values.sort());
    for (const name of values) expect(loaded[name]).toBeDefined();
  });

  it('is the file package.json exports under its import path', () => {
    const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as {
      exports: Record<string, Record<string, string>>;
    };
    const compiled = `./dist/${file.replace(/\.ts$/, '')}`;
    expect(pkg.exports[exportKey]).toMatchObject({ types: `${compiled}.d.ts`, default: `${compiled}.js` });
  });
});

describe('the runtime source condition', () => {
  it("resolves the runtime to its TypeScript sources under the constructs' bundling condition", () => {
    const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as {
      exports: Record<string, Record<string, string>>;
    };
    const [condition] = RUNTIME_SOURCE_CONDITIONS;
    expect(pkg.exports['./runtime']?.[condition]).toBe('./functions/index.ts');
  });
});

describe('the package exports map', () => {
  it('offers the two entry points and package.json, and no deep paths', () => {
    const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as {
      exports: Record<string, unknown>;
    };
    expect(Object.keys(pkg.exports).sort()).toEqual(['.', './package.json', './runtime']);
  });
});
