import { InvalidArgumentError, type Command } from 'commander';
import type { GlobalOptions } from './aws-options';
import { CommandContext } from './context';
import { CliError, explainError } from './errors';
import type { CliIo } from './io';
import type { Setting } from '../functions/core/config/validate';

/** A command's body: it gets the opened context, its own options and its positional arguments. */
export type CommandBody<O> = (ctx: CommandContext, options: O, args: readonly unknown[]) => Promise<void>;

/**
 * Wraps a command body as a commander action: resolves the global options into clients, runs the body,
 * and closes the clients whatever happens.
 */
export function withContext<O>(io: CliIo, body: CommandBody<O>): (...params: unknown[]) => Promise<void> {
  return async (...params) => {
    const command = params[params.length - 1] as Command;
    const ctx = await CommandContext.open(io, command.optsWithGlobals<GlobalOptions>());
    try {
      await body(ctx, command.opts<O & object>() as O, command.processedArgs as unknown[]);
    } catch (error) {
      // Explained here, where the region and endpoints are known.
      const { message, exitCode } = explainError(error, ctx);
      throw new CliError(message, exitCode);
    } finally {
      ctx.close();
    }
  };
}

/** Parses an integer option within bounds, for commander. */
export function integerOption(min: number, max = Number.MAX_SAFE_INTEGER): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < min || n > max) {
      throw new InvalidArgumentError(
        `It must be an integer from ${min}${max < Number.MAX_SAFE_INTEGER ? ` to ${max}` : ' up'}.`,
      );
    }
    return n;
  };
}

/** Parses an option that sets a consumer or producer setting, by that setting's own rule. */
export function settingOption<T>(spec: Setting<T>): (value: string) => T {
  return (value) => {
    const parsed = spec.kind.parse(value, true);
    if (parsed === undefined) throw new InvalidArgumentError(`It must be ${spec.kind.allowed}.`);
    return parsed;
  };
}

/** Collects a repeatable, comma-separated option into one list. */
export function listOption(value: string, previous: readonly string[] | undefined): string[] {
  const items = value
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  return [...(previous ?? []), ...items];
}

/** Collects a repeatable option, one value each time. */
export function repeatOption(value: string, previous: readonly string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

/** Runs `fn` over `items` with at most `limit` calls in flight, keeping the order of results. */
export async function mapLimit<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await fn(items[index] as T, index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}
