import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';

/** The environment variable naming a properties file the CLI reads when `--properties` is not given. */
export const PROPERTIES_VARIABLE = 'SKC_PROPERTIES';

/**
 * Where `npm start -- --serve` writes the local servers' properties file, relative to the directory it
 * runs in (the repository), and where `skc` looks for it.
 */
export const LOCAL_PROPERTIES_FILE = path.join('.skc', 'local.properties');

/** The comment line that names the serving process, so a file left by a killed run is not used. */
const SERVED_BY = /^# served by process (\d+)\b/m;

/** The first line of a served properties file. */
export function servedByLine(pid: number): string {
  return `# served by process ${pid} (npm start -- --serve); removed when it stops`;
}

/**
 * The properties file the CLI reads when `--properties` is not given: the one `SKC_PROPERTIES` names,
 * else the local servers' file in the current directory while the run that wrote it still serves.
 */
export function defaultPropertiesFile(
  env: Readonly<Record<string, string | undefined>>,
  cwd: string = process.cwd(),
): string | undefined {
  const named = env[PROPERTIES_VARIABLE];
  if (named !== undefined && named !== '') return named;
  const local = path.join(cwd, LOCAL_PROPERTIES_FILE);
  if (!existsSync(local)) return undefined;
  const pid = SERVED_BY.exec(readFileSync(local, 'utf8'))?.[1];
  return pid !== undefined && isAlive(Number(pid)) ? local : undefined;
}

function isAlive(pid: number): boolean {
  try {
    // Signal 0 checks that the process exists without touching it.
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists, under another user.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
