import { systemClock, type Clock, type Random } from '../functions/core/time/clock';

/**
 * Everything the CLI touches outside itself, so tests run the program in-process and capture what it
 * prints. `bin/cli.ts` passes the process's own.
 */
export interface CliIo {
  readonly stdout: NodeJS.WritableStream;
  readonly stderr: NodeJS.WritableStream;
  /** Records for `put` and `send`; the answer to a confirmation prompt. */
  readonly stdin: NodeJS.ReadableStream;
  /** Where region and endpoint defaults come from (AWS_REGION, AWS_ENDPOINT_URL, ...). */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Whether a person is at a terminal: prompts and progress bars only then. */
  readonly isTTY: boolean;
  /** Ends a `tail --follow` (Ctrl-C). */
  readonly signal?: AbortSignal;
  /** @default systemClock */
  readonly clock?: Clock;
  /** @default Math.random */
  readonly random?: Random;
}

/** The process's own streams, environment and terminal; Ctrl-C aborts `signal`. */
export function processIo(): CliIo {
  const controller = new AbortController();
  process.once('SIGINT', () => controller.abort());
  return {
    stdout: process.stdout,
    stderr: process.stderr,
    stdin: process.stdin,
    env: process.env,
    isTTY: Boolean(process.stdin.isTTY && process.stderr.isTTY),
    signal: controller.signal,
    clock: systemClock,
  };
}

/** Writes one line. */
export function println(stream: NodeJS.WritableStream, text = ''): void {
  stream.write(`${text}\n`);
}
