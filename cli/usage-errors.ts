import type { Command, CommanderError } from 'commander';

/**
 * Commander's own messages ("error: required option '--stream <name>' not specified", a second line
 * suggesting a spelling) turned into the CLI's form: one sentence that names what was wrong and where
 * to read the usage. `command` is the command whose line was wrong (`skc` itself for a global option or
 * an unknown command).
 */
export function usageSentence(error: CommanderError, command: string): string {
  const lines = error.message
    .replace(/^error:\s*/i, '')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '');
  let sentence = (lines[0] ?? 'the command line is not valid')
    // "option '--output <format>' argument 'x' is invalid. Allowed choices are table, json."
    .replace(/ argument ('[^']*') is invalid\.\s*/, ' does not take $1: ')
    .replace(/:\s+([A-Z])/, (_, letter: string) => `: ${letter.toLowerCase()}`)
    .replace(/[.\s]+$/, '');
  // "(Did you mean --stream?)" on the next line.
  const suggestion = lines
    .slice(1)
    .join(' ')
    .match(/did you mean ([^?)]+)\??/i)?.[1];
  sentence = sentence.charAt(0).toUpperCase() + sentence.slice(1);
  return `${sentence}; see ${command} --help${suggestion ? ` (did you mean ${suggestion.trim()}?)` : ''}.`;
}

/** The full name of a command as typed (`skc reset`), for `usageSentence`. */
export function commandPath(command: Command): string {
  const names: string[] = [];
  for (let c: Command | null = command; c; c = c.parent) names.unshift(c.name());
  return names.join(' ');
}
