/**
 * Lambda bundle measurements shared by the producer and consumer benchmarks: esbuild as a deployment
 * would run it (minified, platform node, target node22, the SDK's ES module builds first), the bytes a
 * cold start loads, and module load time in fresh node processes, interleaved with a baseline.
 */
import { build, type BuildOptions, type Metafile } from 'esbuild';
import { execFileSync } from 'node:child_process';
import { join, resolve } from 'node:path';
import { median } from './harness';

export const ROOT = resolve(__dirname, '..');

/** The esbuild options every measured bundle shares. */
export const BUNDLE_OPTIONS = {
  bundle: true,
  minify: true,
  platform: 'node',
  target: 'node22',
  mainFields: ['module', 'main'],
  logLevel: 'error',
  metafile: true,
} as const satisfies BuildOptions;

export interface BuiltBundle {
  /** The file to load. */
  readonly file: string;
  /** Every output file together. */
  readonly totalBytes: number;
  /** The entry and every chunk it imports statically: what a cold start reads. */
  readonly startBytes: number;
}

export interface BundleSource {
  /** A file to bundle, relative to the repository root. */
  readonly entry?: string;
  /** Or module text (for baselines), resolved from the repository root. */
  readonly contents?: string;
}

/**
 * Builds one bundle into `dir/name`: a single CommonJS file, or ES modules split into chunks so that
 * modules reached only by `import()` load only when used.
 */
export async function buildBundle(
  source: BundleSource,
  dir: string,
  name: string,
  format: 'cjs' | 'esm-split' = 'cjs',
): Promise<BuiltBundle> {
  const input: BuildOptions = source.entry
    ? { entryPoints: { [name]: join(ROOT, source.entry) } }
    : {
        stdin: { contents: source.contents ?? '', resolveDir: ROOT, loader: 'ts', sourcefile: `${name}.ts` },
      };
  const outdir = join(dir, name);
  const result = await build({
    ...BUNDLE_OPTIONS,
    ...input,
    ...(format === 'cjs'
      ? { format: 'cjs', outfile: join(outdir, `${name}.js`) }
      : {
          format: 'esm',
          splitting: true,
          outdir,
          outExtension: { '.js': '.mjs' },
          // Some SDK dependencies still call require(); ES module output needs it defined.
          banner: { js: "import{createRequire as __cr}from'module';const require=__cr(import.meta.url);" },
        }),
  });
  const outputs = (result.metafile as Metafile).outputs;
  const entryKey =
    Object.keys(outputs).find((key) => outputs[key]?.entryPoint !== undefined && key.includes(`/${name}.`)) ??
    (Object.keys(outputs)[0] as string);
  const seen = new Set<string>();
  const stack = [entryKey];
  while (stack.length) {
    const key = stack.pop() as string;
    if (seen.has(key)) continue;
    seen.add(key);
    for (const imported of outputs[key]?.imports ?? []) {
      if (imported.kind === 'import-statement' && outputs[imported.path]) stack.push(imported.path);
    }
  }
  const bytes = (keys: Iterable<string>) => [...keys].reduce((n, k) => n + (outputs[k]?.bytes ?? 0), 0);
  return { file: resolve(ROOT, entryKey), totalBytes: bytes(Object.keys(outputs)), startBytes: bytes(seen) };
}

/** Milliseconds to load a bundle (require, or import for .mjs) in a fresh node process. */
export function loadMillis(file: string, env: Readonly<Record<string, string>>): number {
  const load = file.endsWith('.mjs')
    ? `import(${JSON.stringify(`file://${file}`)})`
    : `Promise.resolve(require(${JSON.stringify(file)}))`;
  return Number(
    execFileSync(
      process.execPath,
      [
        '-e',
        `const t = process.hrtime.bigint(); ${load}.then(() => ` +
          'process.stdout.write(String(Number(process.hrtime.bigint() - t) / 1e6)));',
      ],
      { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'ignore'] },
    ).toString(),
  );
}

/** Load times of a bundle and its baseline, interleaved so a busy neighbour slows both alike. */
export function pairedLoadTimes(
  file: string,
  baseline: string,
  env: Readonly<Record<string, string>>,
  runs = 21,
): { millis: number; baselineMillis: number; ratio: number } {
  loadMillis(file, env);
  loadMillis(baseline, env);
  const a: number[] = [];
  const b: number[] = [];
  for (let i = 0; i < runs; i++) {
    a.push(loadMillis(file, env));
    b.push(loadMillis(baseline, env));
  }
  return {
    millis: median(a),
    baselineMillis: median(b),
    ratio: median(a.map((ms, i) => ms / (b[i] ?? ms))),
  };
}
