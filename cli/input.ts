import { readFile } from 'node:fs/promises';
import { UsageError } from './errors';
import type { CliIo } from './io';

/** One record's text and where it came from, for messages. */
export interface InputRecord {
  readonly text: string;
  /** "argument 2" or "line 14 of orders.txt". */
  readonly origin: string;
}

/**
 * The records to write: each argument is one record; otherwise each non-empty line of `--file` (`-` is
 * stdin), or of stdin when it is not a terminal.
 */
export async function readInput(
  io: CliIo,
  args: readonly string[],
  file: string | undefined,
): Promise<InputRecord[]> {
  if (args.length > 0 && file !== undefined) {
    throw new UsageError('Give the records as arguments or with --file, not both.');
  }
  if (args.length > 0) return args.map((text, i) => ({ text, origin: `argument ${i + 1}` }));
  let text: string;
  let name: string;
  if (file !== undefined && file !== '-') {
    try {
      text = await readFile(file, 'utf8');
    } catch (error) {
      throw new UsageError(
        `--file ${file} cannot be read (${(error as NodeJS.ErrnoException).code ?? String(error)}).`,
      );
    }
    name = file;
  } else {
    if (file === undefined && io.isTTY) {
      throw new UsageError(
        'No records: give them as arguments, with --file <path>, or one per line on stdin.',
      );
    }
    text = await readAll(io.stdin);
    name = 'stdin';
  }
  const records: InputRecord[] = [];
  text.split('\n').forEach((raw, i) => {
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (line !== '') records.push({ text: line, origin: `line ${i + 1} of ${name}` });
  });
  if (records.length === 0) throw new UsageError(`No records: ${name} has no non-empty line.`);
  return records;
}

async function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
  return Buffer.concat(chunks).toString('utf8');
}
