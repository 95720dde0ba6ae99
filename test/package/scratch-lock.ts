// A lockfile for a scratch project that installs the packed tarball, cut from the repository's own
// lockfile: every package the scratch root reaches, at the version and place the repository has it.
// With a complete lockfile `npm ci --prefer-offline` takes the packuments and tarballs the repository's
// own `npm ci` left in the npm cache and asks the registry nothing, where `npm install` would fetch each
// dependency's full packument to build its tree (aws-cdk-lib's alone is megabytes).
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';

interface LockEntry {
  version?: string;
  resolved?: string;
  integrity?: string;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  peerDependenciesMeta?: Record<string, { optional?: boolean }>;
  dev?: boolean;
  devOptional?: boolean;
  peer?: boolean;
  optional?: boolean;
  [key: string]: unknown;
}

interface Lockfile {
  name: string;
  version?: string;
  lockfileVersion: number;
  requires?: boolean;
  packages: Record<string, LockEntry>;
}

interface Manifest {
  name: string;
  version: string;
  bin?: Record<string, string>;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
}

/** Where Node's resolution finds `name` from the package installed at `from` ('' is the root). */
function resolve(packages: Record<string, LockEntry>, from: string, name: string): string | undefined {
  for (let dir = from; ;) {
    const candidate = `${dir ? `${dir}/` : ''}node_modules/${name}`;
    if (packages[candidate]) return candidate;
    if (!dir) return undefined;
    const parent = dir.lastIndexOf('/node_modules/');
    dir = parent < 0 ? '' : dir.slice(0, parent);
  }
}

/**
 * The lockfile of the project `project` (its package.json), in `scratchDir`, whose dependency on the
 * package `manifest` is the tarball `tarballName` beside it, and whose other dependencies the
 * repository's lockfile has (npm ci fails if a version there does not satisfy the project's range).
 */
export function scratchLockfile(options: {
  readonly repositoryLockfile: string;
  readonly scratchDir: string;
  readonly tarballName: string;
  readonly manifest: Manifest;
  readonly project: {
    readonly name: string;
    readonly version: string;
    readonly dependencies: Record<string, string>;
    readonly devDependencies?: Record<string, string>;
  };
}): Lockfile {
  const repo = JSON.parse(readFileSync(options.repositoryLockfile, 'utf8')) as Lockfile;
  const source = repo.packages;
  const { manifest } = options;
  const tarball = readFileSync(path.join(options.scratchDir, options.tarballName));
  const self = `node_modules/${manifest.name}`;
  const packed: LockEntry = {
    version: manifest.version,
    resolved: `file:${options.tarballName}`,
    integrity: `sha512-${createHash('sha512').update(tarball).digest('base64')}`,
    // npm ci links a package's commands from its lockfile entry.
    ...(manifest.bin ? { bin: manifest.bin } : {}),
    ...(manifest.dependencies ? { dependencies: manifest.dependencies } : {}),
    ...(manifest.optionalDependencies ? { optionalDependencies: manifest.optionalDependencies } : {}),
    ...(manifest.peerDependencies ? { peerDependencies: manifest.peerDependencies } : {}),
  };
  const all: Record<string, LockEntry> = { ...source, [self]: packed };
  const kept: Record<string, LockEntry> = {};
  const queue: string[] = [];
  const visit = (from: string, name: string, optional: boolean) => {
    const found = resolve(all, from, name);
    if (!found) {
      if (optional) return;
      throw new Error(
        `${name}, needed by ${from || 'the scratch root'}, is not in the repository's lockfile`,
      );
    }
    if (!(found in kept)) {
      kept[found] = all[found] as LockEntry;
      queue.push(found);
    }
  };
  const { project } = options;
  const roots = { ...project.dependencies, ...project.devDependencies };
  for (const name of Object.keys(roots)) visit('', name, false);
  while (queue.length > 0) {
    const at = queue.shift() as string;
    const entry = kept[at] as LockEntry;
    for (const name of Object.keys(entry.dependencies ?? {})) visit(at, name, false);
    for (const name of Object.keys(entry.optionalDependencies ?? {})) visit(at, name, true);
    for (const name of Object.keys(entry.peerDependencies ?? {})) {
      visit(at, name, entry.peerDependenciesMeta?.[name]?.optional === true);
    }
  }
  const packages: Record<string, LockEntry> = {
    '': {
      name: project.name,
      version: project.version,
      dependencies: project.dependencies,
      ...(project.devDependencies ? { devDependencies: project.devDependencies } : {}),
    },
  };
  for (const [at, entry] of Object.entries(kept).sort(([a], [b]) => a.localeCompare(b))) {
    // The repository's flags say which packages only its development needs; here every one is needed.
    const { dev: _dev, devOptional: _devOptional, peer: _peer, ...rest } = entry;
    packages[at] = rest;
  }
  return { name: project.name, version: project.version, lockfileVersion: 3, requires: true, packages };
}
