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

/** One load of a bundle: wall-clock and CPU (user + system) milliseconds. */
export interface LoadTime {
  readonly millis: number;
  readonly cpuMillis: number;
}

/**
 * Time to require() a bundle in a fresh node process, with the microtasks its loading queued. CPU time
 * is reported beside wall time: on a busy shared machine it moves less with the neighbours.
 */
export function loadTime(file: string, env: Readonly<Record<string, string>>): LoadTime {
  const [millis, cpuMillis] = execFileSync(
    process.execPath,
    [
      '-e',
      `const c = process.cpuUsage(); const t = process.hrtime.bigint(); ` +
        `Promise.resolve(require(${JSON.stringify(file)})).then(() => { const u = process.cpuUsage(c); ` +
        "process.stdout.write(Number(process.hrtime.bigint() - t) / 1e6 + ' ' + (u.user + u.system) / 1000); });",
    ],
    { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'ignore'] },
  )
    .toString()
    .split(' ')
    .map(Number);
  return { millis: millis ?? NaN, cpuMillis: cpuMillis ?? NaN };
}

export interface PairedLoadTimes {
  /** Medians of the bundle's and the baseline's wall-clock load times. */
  readonly millis: number;
  readonly baselineMillis: number;
  /** Median of the per-pair ratios of wall-clock time. */
  readonly ratio: number;
  /** Median of the per-pair ratios of CPU time. */
  readonly cpuRatio: number;
}

/** Load times of a bundle and its baseline, interleaved so a busy neighbour slows both alike. */
export function pairedLoadTimes(
  file: string,
  baseline: string,
  env: Readonly<Record<string, string>>,
  runs = 31,
): PairedLoadTimes {
  loadTime(file, env);
  loadTime(baseline, env);
  const a: LoadTime[] = [];
  const b: LoadTime[] = [];
  for (let i = 0; i < runs; i++) {
    a.push(loadTime(file, env));
    b.push(loadTime(baseline, env));
  }
  const ratios = (pick: (t: LoadTime) => number) => median(a.map((t, i) => pick(t) / pick(b[i] ?? t)));
  return {
    millis: median(a.map((t) => t.millis)),
    baselineMillis: median(b.map((t) => t.millis)),
    ratio: ratios((t) => t.millis),
    cpuRatio: ratios((t) => t.cpuMillis),
  };
}
