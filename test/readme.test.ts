// The README as a newcomer reads it: its quick start must be the package's own scripts, its `npm start`
// examples must parse, its options table must list the runner's options, and its links must lead
// somewhere. (CI runs the quick start itself on a clean clone; this test does not clone.)
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { parseRunnerOptions, runnerCommand } from '../local/runner/options';

const ROOT = path.join(__dirname, '..');
const README = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as {
  scripts: Record<string, string>;
  engines: { node: string };
  devDependencies: Record<string, string>;
};

/** The text of a `## heading` section, up to the next heading of the same level. */
function section(heading: string): string {
  const start = README.indexOf(`\n## ${heading}\n`);
  if (start < 0) throw new Error(`README has no "## ${heading}" section`);
  const next = README.indexOf('\n## ', start + 1);
  return README.slice(start, next < 0 ? undefined : next);
}

function shellBlocks(text: string): string[] {
  return [...text.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1] as string);
}

/** The commands of a shell block: comments dropped, `&&` chains split. */
function commands(block: string): string[] {
  return block
    .split('\n')
    .map((line) => line.replace(/#.*$/, '').trim())
    .filter(Boolean)
    .flatMap((line) => line.split('&&').map((c) => c.trim()));
}

describe('the README quick start', () => {
  const quickStart = section('Quick start');
  const [block] = shellBlocks(quickStart);

  it('is the two commands: install and start, then test', () => {
    expect(commands(block ?? '')).toEqual(['npm install', 'npm start', 'npm test']);
  });

  it('runs scripts the package has: start is the local runner, test is jest', () => {
    expect(pkg.scripts.start).toBe('tsx local/start.ts');
    expect(existsSync(path.join(ROOT, 'local', 'start.ts'))).toBe(true);
    // `npm install` installs devDependencies, so tsx is there for `npm start`.
    expect(pkg.devDependencies.tsx).toBeDefined();
    expect(pkg.scripts.test).toBe('jest');
  });

  it('names the Node.js version the package requires', () => {
    const required = pkg.engines.node.replace(/^>=/, '');
    expect(quickStart).toContain(`Node.js ${required} or newer`);
  });
});

describe('the README commands', () => {
  it('uses only npm scripts the package defines', () => {
    const used = [...README.matchAll(/npm run ([a-z:-]+)/g)].map((m) => m[1] as string);
    expect(used.length).toBeGreaterThan(0);
    expect(used.filter((script) => !(script in pkg.scripts))).toEqual([]);
  });

  it('gives npm start options the runner accepts', () => {
    const examples = [...README.matchAll(/npm start -- ([^`\n]+)/g)]
      .map((m) => (m[1] as string).trim())
      .filter((args) => args !== '--help');
    expect(examples.length).toBeGreaterThan(0);
    for (const args of examples) expect(() => parseRunnerOptions(args.split(/\s+/))).not.toThrow();
  });

  it('lists every option of npm start in its options table, and no other', () => {
    const table = section('Local mode: `npm start` and the local servers');
    const documented = [...table.matchAll(/^\| `(--[a-z-]+)/gm)].map((m) => m[1] as string).sort();
    const actual = runnerCommand()
      .options.map((o) => o.long as string)
      .filter((flag) => flag !== '--help')
      .sort();
    expect(documented).toEqual(actual);
  });
});

describe('the README links', () => {
  const links = [...README.matchAll(/\]\(([^)\s]+)\)/g)]
    .map((m) => m[1] as string)
    .filter((href) => !/^[a-z]+:/.test(href));

  /** GitHub's anchor of a heading: lower case, punctuation dropped, spaces as hyphens. */
  const slug = (heading: string) =>
    heading
      .trim()
      .toLowerCase()
      .replace(/[^\w\s-]/g, '')
      .replace(/\s/g, '-');

  it('point to files in the repository and to headings that exist', () => {
    expect(links.length).toBeGreaterThan(10);
    const broken: string[] = [];
    for (const link of links) {
      const [file, anchor] = link.split('#') as [string, string | undefined];
      const target = file ? path.join(ROOT, file) : path.join(ROOT, 'README.md');
      if (!existsSync(target)) {
        broken.push(link);
        continue;
      }
      if (anchor === undefined) continue;
      const headings = [...readFileSync(target, 'utf8').matchAll(/^#+ (.+)$/gm)].map((m) =>
        slug(m[1] as string),
      );
      if (!headings.includes(anchor)) broken.push(link);
    }
    expect(broken).toEqual([]);
  });
});
