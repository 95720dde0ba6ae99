import { createWriteStream, type WriteStream } from 'node:fs';
import type { ProducerLogger } from '../../functions/core/producer';

const LEVELS = { DEBUG: 0, INFO: 1, WARN: 2, ERROR: 3, SILENT: 4 } as const;
export type LogLevel = keyof typeof LEVELS;

/** A logger writing one JSON object per line to a file, as Powertools writes them to CloudWatch. */
export class FileLogger implements ProducerLogger {
  private readonly stream: WriteStream;

  constructor(
    file: string,
    private readonly service: string,
    private readonly level: LogLevel = 'WARN',
  ) {
    this.stream = createWriteStream(file, { flags: 'a' });
  }

  debug(message: string, ...extra: Record<string, unknown>[]): void {
    this.write('DEBUG', message, extra);
  }

  info(message: string, ...extra: Record<string, unknown>[]): void {
    this.write('INFO', message, extra);
  }

  warn(message: string, ...extra: Record<string, unknown>[]): void {
    this.write('WARN', message, extra);
  }

  error(message: string, ...extra: Record<string, unknown>[]): void {
    this.write('ERROR', message, extra);
  }

  /** Flushes and closes the file. */
  close(): Promise<void> {
    return new Promise((resolve) => this.stream.end(resolve));
  }

  private write(level: Exclude<LogLevel, 'SILENT'>, message: string, extra: Record<string, unknown>[]): void {
    if (LEVELS[level] < LEVELS[this.level] || this.stream.writableEnded) return;
    const entry = Object.assign(
      { level, message, service: this.service, timestamp: new Date().toISOString() },
      ...extra,
    ) as Record<string, unknown>;
    this.stream.write(`${JSON.stringify(entry)}\n`);
  }
}
