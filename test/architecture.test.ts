// The import graph as the architecture draws it, checked with dependency-cruiser against the rules in
// .dependency-cruiser.js: no import cycle anywhere in functions/, lib/, cli/, local/, bin/ or tools/, and
// functions/core/ free of the Lambda event types (aws-lambda), Powertools Metrics, the edge folders and CDK.
// dependency-cruiser is the well-kept tool made for exactly these rules; it resolves TypeScript paths
// through tsconfig.json and sees type-only imports, which a bundler-based graph (madge's default) misses.
// Run against the tree before the consumer's edge left the core, it reported the engine <-> metrics cycle
// and three core modules importing aws-lambda or Powertools Metrics.
import { execFile } from 'node:child_process';
import * as path from 'node:path';
import { promisify } from 'node:util';

const ROOT = path.join(__dirname, '..');
const FOLDERS = ['functions', 'lib', 'cli', 'local', 'bin', 'tools'];

interface Cruise {
  readonly modules: readonly {
    readonly source: string;
    readonly dependencies: readonly { readonly resolved: string }[];
  }[];
  readonly summary: {
    readonly violations: readonly {
      readonly from: string;
      readonly to: string;
      readonly rule: { readonly name: string };
      readonly cycle?: readonly { readonly name: string }[];
    }[];
  };
}

let cruise: Cruise;

beforeAll(async () => {
  const bin = path.join(ROOT, 'node_modules', '.bin', 'depcruise');
  const { stdout } = await promisify(execFile)(
    bin,
    [...FOLDERS, '--config', '.dependency-cruiser.js', '--output-type', 'json'],
    { cwd: ROOT, maxBuffer: 64 * 1024 * 1024 },
  );
  cruise = JSON.parse(stdout) as Cruise;
}, 120_000);

function dependenciesOf(source: string): string[] {
  return cruise.modules.find((m) => m.source === source)?.dependencies.map((d) => d.resolved) ?? [];
}

describe('the import graph', () => {
  it('has no cycle and keeps the core free of the Lambda edge', () => {
    const violations = cruise.summary.violations.map(
      (v) => `${v.rule.name}: ${v.from} -> ${v.cycle ? v.cycle.map((c) => c.name).join(' -> ') : v.to}`,
    );
    expect(violations).toEqual([]);
  });

  // Guards the guard: the rules can only fire on imports the cruise sees, packages and type-only ones included.
  it('sees package imports and type-only imports, so the rules have something to match', () => {
    expect(dependenciesOf('functions/consumer/metrics.ts')).toContainEqual(
      expect.stringMatching(/^node_modules\/@aws-lambda-powertools\/metrics\//),
    );
    expect(dependenciesOf('functions/consumer/schedule-event.ts')).toContainEqual(
      expect.stringMatching(/^node_modules\/@types\/aws-lambda\//),
    );
    expect(cruise.modules.some((m) => m.source.startsWith('functions/core/consumer/'))).toBe(true);
    expect(cruise.modules.some((m) => m.source.startsWith('local/kinesis/'))).toBe(true);
  });
});
