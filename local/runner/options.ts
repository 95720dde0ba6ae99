import { Command, InvalidArgumentError, Option } from 'commander';
import { EXAMPLE_PIPELINE } from '../../bin/example-pipeline';
import { ConfigurationError } from '../../functions/core/errors';
import { CONSUMER_CONSTRUCT_DEFAULTS, CONTINUOUS_TIME_BUDGET_SECONDS } from '../../lib/construct-defaults';

/** What a resharding during the run does: split one shard in two, or merge two adjacent shards. */
export type ReshardKind = 'split' | 'merge';

/** The local runner's options, each validated. */
export interface RunnerOptions {
  /** Records the generator sends. */
  readonly records: number;
  /** Size of each record's data (its JSON text) in bytes. */
  readonly recordSizeBytes: number;
  /** Records per second the generator sends at most. */
  readonly rate: number;
  /** Streams of the pipeline; the example's own stream first, then copies of it. */
  readonly streams: number;
  /** Shards of each stream. */
  readonly shards: number;
  /** Consumer subtasks. */
  readonly parallelism: number;
  /** Split or merge shards of the first stream once half the records are sent. */
  readonly reshard?: ReshardKind;
  /** Kill the consumer's process inside a batch once half the records are consumed, then start it again. */
  readonly crash: boolean;
  /** Read with enhanced fan-out (SubscribeToShard on the local EFO server) instead of polling. */
  readonly efo: boolean;
  /** Print the summary as JSON (progress goes to stderr). */
  readonly json: boolean;
  /** Seed of the generator's random choices (amounts, customers, streams). */
  readonly seed: number;
  /** How many times faster than deployed the schedules and timeouts run. */
  readonly timeScale: number;
  /**
   * Real time (time scale 1) with the consumer in continuous mode, as the construct deploys it: each
   * invocation starts its successor through a local Lambda Invoke endpoint; the summary reports, per
   * subtask, the time with no reader and put-to-handler latency across the invocations' boundaries.
   */
  readonly realTime: boolean;
  /** In real time, how long each continuous invocation reads (14 minutes deployed). */
  readonly invocationSeconds: number;
  /** Longest wait, after the last record is sent, for every record to be consumed. */
  readonly drainTimeoutSeconds: number;
  /** Seconds between progress lines when the output is not a terminal. */
  readonly progressIntervalSeconds: number;
  /** Plain progress lines even on a terminal. */
  readonly plain: boolean;
  /** Level of the functions' logs (written to files, not the terminal). */
  readonly logLevel: LogLevel;
  /** After the run, keep the servers and the example's resources up for the CLI until Ctrl-C. */
  readonly serve: boolean;
  /** Where the HTML run report goes. @default report.html in the run's log directory */
  readonly report?: string;
  /** The local Kinesis enforces Kinesis's per-shard write limits (1,000 records/s, 1 MiB/s). */
  readonly writeLimits: boolean;
}

export const LOG_LEVELS = ['DEBUG', 'INFO', 'WARN', 'ERROR'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/**
 * The shortest continuous invocation a real-time run allows: longer than the handover lead and the
 * lease's expiry margin together, so each invocation reads before it hands over.
 */
export const MIN_INVOCATION_SECONDS = 10;

/** The smallest record the generator can pad to: an order's JSON with its id, amount and send time. */
export const MIN_RECORD_SIZE_BYTES = 128;
/** The largest record the generator makes; a run keeps every record's id, not its data. */
export const MAX_RECORD_SIZE_BYTES = 256 * 1024;

const example = EXAMPLE_PIPELINE;

/** The defaults: the example pipeline as deployed, 10,000 records of 200 bytes at 1,000 a second. */
export const DEFAULT_RUNNER_OPTIONS: RunnerOptions = {
  records: 10_000,
  recordSizeBytes: 200,
  rate: 1000,
  streams: example.streams.length,
  shards: example.streams[0]?.shardCount ?? 1,
  parallelism: example.consumer.parallelism ?? CONSUMER_CONSTRUCT_DEFAULTS.parallelism,
  crash: false,
  efo: false,
  json: false,
  seed: 1,
  timeScale: 10,
  realTime: false,
  invocationSeconds: 30,
  drainTimeoutSeconds: 60,
  progressIntervalSeconds: 5,
  plain: false,
  logLevel: 'WARN',
  serve: false,
  writeLimits: true,
};

function integer(name: string, min: number, max: number): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < min || n > max) {
      throw new InvalidArgumentError(
        `${name} must be an integer from ${min.toLocaleString('en-US')} to ${max.toLocaleString('en-US')}.`,
      );
    }
    return n;
  };
}

/** The `npm start` command line; `parseRunnerOptions` runs it. */
export function runnerCommand(): Command {
  const d = DEFAULT_RUNNER_OPTIONS;
  return new Command('npm start --')
    .description(
      'Runs the example pipeline on this machine: local Kinesis, SQS and SSM servers, the producer behind ' +
        'its queue, the consumer subtasks on a compressed schedule, and a generator of orders; prints ' +
        'progress and a summary (exit code 0 only when no record is missing).',
    )
    .option('--records <n>', 'records to send', integer('--records', 1, 1_000_000), d.records)
    .option(
      '--record-size <bytes>',
      'bytes of each record (its JSON text)',
      integer('--record-size', MIN_RECORD_SIZE_BYTES, MAX_RECORD_SIZE_BYTES),
      d.recordSizeBytes,
    )
    .option('--rate <records/s>', 'records sent per second at most', integer('--rate', 1, 100_000), d.rate)
    .option('--streams <n>', 'streams (the example has 1)', integer('--streams', 1, 10), d.streams)
    .option('--shards <n>', 'shards of each stream', integer('--shards', 1, 50), d.shards)
    .option('--parallelism <n>', 'consumer subtasks', integer('--parallelism', 1, 100), d.parallelism)
    .addOption(
      new Option('--reshard [kind]', 'split (or merge) shards of the first stream halfway through')
        .choices(['split', 'merge'])
        .preset('split'),
    )
    .option('--crash', 'kill the consumer inside a batch halfway through, then start it again', d.crash)
    .option('--efo', 'read with enhanced fan-out (SubscribeToShard) instead of polling', d.efo)
    .option('--json', 'print the summary as JSON on stdout (progress goes to stderr)', d.json)
    .option('--seed <n>', 'seed of the generator', integer('--seed', 0, 2 ** 32 - 1), d.seed)
    .option(
      '--time-scale <n>',
      'how many times faster than deployed schedules and timeouts run (10: a 60 s schedule every 6 s)',
      integer('--time-scale', 1, 10),
      d.timeScale,
    )
    .option(
      '--real-time',
      'no time compression, and the consumer continuous as deployed: each invocation starts its successor ' +
        'through a local Lambda Invoke endpoint; reports per subtask the time with no reader and ' +
        'put-to-handler latency across the handovers',
      d.realTime,
    )
    .option(
      '--invocation-seconds <n>',
      'with --real-time, how long each consumer invocation reads (840, 14 minutes, deployed)',
      integer('--invocation-seconds', MIN_INVOCATION_SECONDS, CONTINUOUS_TIME_BUDGET_SECONDS),
      d.invocationSeconds,
    )
    .option(
      '--drain-timeout <seconds>',
      'longest wait for every record to be consumed after the last is sent',
      integer('--drain-timeout', 1, 3600),
      d.drainTimeoutSeconds,
    )
    .option(
      '--progress-interval <seconds>',
      'seconds between progress lines when not on a terminal',
      integer('--progress-interval', 1, 3600),
      d.progressIntervalSeconds,
    )
    .option('--plain', 'plain progress lines even on a terminal', d.plain)
    .addOption(
      new Option('--log-level <level>', "level of the functions' logs (files named in the summary)")
        .choices(LOG_LEVELS)
        .default(d.logLevel),
    )
    .option(
      '--serve',
      "after the run, keep the local servers and the example's resources up for skc until Ctrl-C " +
        '(endpoints printed and written to .skc/local.properties, which skc reads)',
      d.serve,
    )
    .option(
      '--report <path>',
      'where to write the HTML run report (default: report.html in the log directory)',
    )
    .option(
      '--no-write-limits',
      "let the local Kinesis take writes beyond a shard's limits (1,000 records/s, 1 MiB/s), as kinesalite alone does",
    )
    .exitOverride()
    .allowExcessArguments(false);
}

interface ParsedFlags {
  records: number;
  recordSize: number;
  rate: number;
  streams: number;
  shards: number;
  parallelism: number;
  reshard?: ReshardKind;
  crash: boolean;
  efo: boolean;
  json: boolean;
  seed: number;
  timeScale: number;
  realTime: boolean;
  invocationSeconds: number;
  drainTimeout: number;
  progressInterval: number;
  plain: boolean;
  logLevel: LogLevel;
  serve: boolean;
  report?: string;
  writeLimits: boolean;
}

/**
 * Parses the command line after `npm start --` (e.g. `['--records', '5000', '--crash']`). Throws a
 * commander error for an unknown or malformed option (its message names the option, the value and
 * what is allowed), and a ConfigurationError for options that do not fit together.
 */
export function parseRunnerOptions(
  args: readonly string[],
  output: { writeOut?: (text: string) => void; writeErr?: (text: string) => void } = {},
): RunnerOptions {
  const command = runnerCommand().configureOutput({
    writeOut: output.writeOut ?? (() => undefined),
    writeErr: output.writeErr ?? (() => undefined),
  });
  command.parse([...args], { from: 'user' });
  const flags = command.opts<ParsedFlags>();
  if (flags.realTime && command.getOptionValueSource('timeScale') === 'cli' && flags.timeScale !== 1) {
    throw new ConfigurationError(
      `--real-time runs at time scale 1, but --time-scale is ${flags.timeScale}; drop one of them.`,
      'timeScale',
    );
  }
  if (!flags.realTime && command.getOptionValueSource('invocationSeconds') === 'cli') {
    throw new ConfigurationError(
      `--invocation-seconds ${flags.invocationSeconds} applies to continuous invocations, which run with --real-time only; add --real-time.`,
      'invocationSeconds',
    );
  }
  const options: RunnerOptions = {
    records: flags.records,
    recordSizeBytes: flags.recordSize,
    rate: flags.rate,
    streams: flags.streams,
    shards: flags.shards,
    parallelism: flags.parallelism,
    ...(flags.reshard ? { reshard: flags.reshard } : {}),
    crash: flags.crash,
    efo: flags.efo,
    json: flags.json,
    seed: flags.seed,
    timeScale: flags.realTime ? 1 : flags.timeScale,
    realTime: flags.realTime,
    invocationSeconds: flags.invocationSeconds,
    drainTimeoutSeconds: flags.drainTimeout,
    progressIntervalSeconds: flags.progressInterval,
    plain: flags.plain,
    logLevel: flags.logLevel,
    serve: flags.serve,
    ...(flags.report !== undefined ? { report: flags.report } : {}),
    writeLimits: flags.writeLimits,
  };
  checkCombination(options);
  return options;
}

/** Checks what single options cannot: the shards across streams, and a merge's two shards. */
export function checkCombination(options: RunnerOptions): void {
  if (options.reshard === 'merge' && options.shards < 2) {
    throw new ConfigurationError(
      `--reshard merge needs two adjacent shards to merge, but --shards is ${options.shards}; give --shards 2 or more, or --reshard split.`,
      'reshard',
    );
  }
  const total = options.streams * options.shards;
  if (total > 200) {
    throw new ConfigurationError(
      `--streams ${options.streams} x --shards ${options.shards} is ${total} shards; a local run allows at most 200.`,
      'shards',
    );
  }
}
