/**
 * Lambda bundle measurements shared by the producer and consumer benchmarks: esbuild with the options
 * the CDK constructs use (lib/bundling.ts), the bytes of the bundle and where they come from, and module
 * load time in fresh node processes, interleaved with a baseline.
 */
import { build, type BuildOptions, type Metafile } from 'esbuild';
import { execFileSync } from 'node:child_process';
import { join, resolve } from 'node:path';
import { CONNECTOR_ESBUILD_OPTIONS } from '../lib/bundling';
import { median } from './harness';

export const ROOT = resolve(__dirname, '..');

export interface BuiltBundle {
  /** The file to load. */
  readonly file: string;
  readonly bytes: number;
  /** Bytes of the bundle by where they come from: an npm package, or `our code`. */
  readonly bytesBySource: ReadonlyMap<string, number>;
}

export interface BundleSource {
  /** A file to bundle, relative to the repository root. */
  readonly entry?: string;
  /** Or module text (for baselines), resolved from the repository root. */
  readonly contents?: string;
}

export interface BundleOptions {
  /** The esbuild `define`, as a construct sets it. @default none */
  readonly define?: Readonly<Record<string, string>>;
  /** Bundle every module, as without the constructs' externals. @default false */
  readonly everythingInside?: boolean;
}

/** Builds one CommonJS bundle into `dir/name/name.js`, as a construct would. */
export async function buildBundle(
  source: BundleSource,
  dir: string,
  name: string,
  options: BundleOptions = {},
): Promise<BuiltBundle> {
  const input: BuildOptions = source.entry
    ? { entryPoints: [join(ROOT, source.entry)] }
    : {
        stdin: { contents: source.contents ?? '', resolveDir: ROOT, loader: 'ts', sourcefile: `${name}.ts` },
      };
  const file = join(dir, name, `${name}.js`);
  const result = await build({
    ...CONNECTOR_ESBUILD_OPTIONS,
    external: options.everythingInside ? [] : [...CONNECTOR_ESBUILD_OPTIONS.external],
    mainFields: [...CONNECTOR_ESBUILD_OPTIONS.mainFields],
    define: { ...options.define },
    ...input,
    outfile: file,
    logLevel: 'error',
    metafile: true,
  });
  const [output] = Object.values((result.metafile as Metafile).outputs);
  const bytesBySource = new Map<string, number>();
  for (const [path, input] of Object.entries(output?.inputs ?? {})) {
    const source = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(path)?.[1] ?? 'our code';
    bytesBySource.set(source, (bytesBySource.get(source) ?? 0) + input.bytesInOutput);
  }
  return { file, bytes: output?.bytes ?? 0, bytesBySource };
}

/** "name size, ..." of the largest sources of a bundle, in KB. */
export function largestSources(bundle: BuiltBundle, count: number): string {
  return [...bundle.bytesBySource]
    .sort((a, b) => b[1] - a[1])
    .slice(0, count)
    .map(([source, bytes]) => `${source.replace(/^@aws-sdk\//, '')} ${Math.round(bytes / 1000)} KB`)
    .join(', ');
}

/** Milliseconds to require() a bundle in a fresh node process, with the microtasks its loading queued. */
export function loadMillis(file: string, env: Readonly<Record<string, string>>): number {
  return Number(
    execFileSync(
      process.execPath,
      [
        '-e',
        `const t = process.hrtime.bigint(); Promise.resolve(require(${JSON.stringify(file)})).then(() => ` +
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
