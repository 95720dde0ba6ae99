import { Command, CommanderError } from 'commander';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { AWS_SETTINGS, CREDENTIALS_KEY } from '../functions/core/config/aws-config';
import { putCommand } from './commands/put';
import { resetCommand } from './commands/reset';
import { sendCommand } from './commands/send';
import { statusCommand } from './commands/status';
import { tailCommand } from './commands/tail';
import { UsageError, explainError } from './errors';
import { println, type CliIo } from './io';
import { commandPath, usageSentence } from './usage-errors';

/** Exit codes: 0 done, 1 failed, 2 the command line was wrong. */
export const EXIT = { ok: 0, error: 1, usage: 2 } as const;

/** The `skc` program with its global options and every command, writing to `io`. */
export function buildProgram(io: CliIo): Command {
  const program = new Command('skc')
    .description(
      'Operate serverless-kinesis-connector consumers and streams, on AWS or on the local servers: ' +
        'checkpoint status and lag, replay by resetting checkpoints, tail a stream, put records.',
    )
    .version(packageVersion(), '-V, --version')
    .option(
      '--region <region>',
      `the AWS region (default: AWS_REGION, AWS_DEFAULT_REGION, or ${AWS_SETTINGS.region.key} in --properties)`,
    )
    .option('--profile <name>', 'a profile of the shared AWS config and credentials files')
    .option(
      '--endpoint <url>',
      'one endpoint for every service (local servers, VPC endpoints); the region still signs',
    )
    .option('--kinesis-endpoint <url>', 'the Kinesis endpoint alone (wins over --endpoint)')
    .option('--ssm-endpoint <url>', 'the SSM endpoint alone')
    .option('--sqs-endpoint <url>', 'the SQS endpoint alone')
    .option('--dynamodb-endpoint <url>', 'the DynamoDB endpoint alone')
    .option(
      '--properties <file>',
      `a Flink-style properties file: ${AWS_SETTINGS.region.key}, ${AWS_SETTINGS.endpoint.key}, ${CREDENTIALS_KEY} and its keys, ` +
        'the consumer checkpoint settings (default: SKC_PROPERTIES, else .skc/local.properties while npm start -- --serve runs here)',
    )
    .configureOutput({
      writeOut: (text) => io.stdout.write(text),
      writeErr: (text) => io.stderr.write(text),
      // `run` prints commander's errors itself, in the CLI's one-sentence form.
      outputError: () => undefined,
    });
  program.exitOverride(usageErrorOf(program));
  for (const command of [
    statusCommand(io),
    resetCommand(io),
    tailCommand(io),
    putCommand(io),
    sendCommand(io),
  ]) {
    program.addCommand(command.copyInheritedSettings(program).exitOverride(usageErrorOf(command)));
  }
  return program;
}

/** A parse error of `command`, to be printed by `run` as `skc: <sentence>` with exit code 2. */
export class CommandLineError extends UsageError {
  constructor(readonly commanderError: CommanderError) {
    super(commanderError.message);
  }
}

function usageErrorOf(command: Command): (error: CommanderError) => never {
  return (error) => {
    // Help and --version end the parse with exit code 0; they are not errors.
    if (error.exitCode === 0) throw error;
    throw new CommandLineError(Object.assign(error, { message: usageSentence(error, commandPath(command)) }));
  };
}

/**
 * Runs the CLI on `argv` (the arguments after the program name) and resolves with the exit code; it
 * never exits the process, so tests run it in-process.
 */
export async function run(argv: readonly string[], io: CliIo): Promise<number> {
  const program = buildProgram(io);
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return EXIT.ok;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Help or the version, printed already; any other commander error arrives as a CommandLineError.
      return error.exitCode === 0 ? EXIT.ok : EXIT.usage;
    }
    if (error instanceof CommandLineError) {
      println(io.stderr, `skc: ${error.commanderError.message}`);
      return EXIT.usage;
    }
    const { message, exitCode } = explainError(error);
    println(io.stderr, `skc: ${message}`);
    return exitCode;
  }
}

/** The package's version, from its package.json: one folder up from cli/ under tsx, two from dist/cli/. */
function packageVersion(): string {
  for (const path of [join(__dirname, '..', 'package.json'), join(__dirname, '..', '..', 'package.json')]) {
    try {
      const manifest = JSON.parse(readFileSync(path, 'utf8')) as { name?: string; version?: string };
      if (manifest.name === 'serverless-kinesis-connector' && manifest.version) return manifest.version;
    } catch {
      // Not this layout; try the next.
    }
  }
  return 'unknown';
}
