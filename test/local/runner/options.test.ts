import { CommanderError } from 'commander';
import { EXAMPLE_PIPELINE } from '../../../bin/example-pipeline';
import { ConfigurationError } from '../../../functions/core/errors';
import { DEFAULT_RUNNER_OPTIONS, parseRunnerOptions } from '../../../local/runner/options';

function parseError(args: string[]): string {
  let written = '';
  try {
    parseRunnerOptions(args, { writeErr: (text) => (written += text) });
  } catch (error) {
    expect(error).toBeInstanceOf(CommanderError);
    return written;
  }
  throw new Error(`${args.join(' ')} parsed`);
}

describe('npm start options', () => {
  it('default to the example pipeline as deployed', () => {
    expect(parseRunnerOptions([])).toEqual(DEFAULT_RUNNER_OPTIONS);
    expect(DEFAULT_RUNNER_OPTIONS).toMatchObject({
      streams: EXAMPLE_PIPELINE.streams.length,
      shards: EXAMPLE_PIPELINE.streams[0]?.shardCount,
      parallelism: EXAMPLE_PIPELINE.consumer.parallelism ?? 1,
    });
  });

  it('read every option', () => {
    expect(
      parseRunnerOptions(
        '--records 5000 --record-size 512 --rate 250 --streams 2 --shards 4 --parallelism 3 --reshard merge --crash --efo --json --seed 9 --time-scale 5 --drain-timeout 30 --progress-interval 2 --plain --log-level DEBUG --serve --report out/run.html --no-write-limits'.split(
          ' ',
        ),
      ),
    ).toEqual({
      records: 5000,
      recordSizeBytes: 512,
      rate: 250,
      streams: 2,
      shards: 4,
      parallelism: 3,
      reshard: 'merge',
      crash: true,
      efo: true,
      json: true,
      seed: 9,
      timeScale: 5,
      realTime: false,
      invocationSeconds: 30,
      drainTimeoutSeconds: 30,
      progressIntervalSeconds: 2,
      plain: true,
      logLevel: 'DEBUG',
      serve: true,
      report: 'out/run.html',
      writeLimits: false,
    });
  });

  it('run --real-time at time scale 1 with continuous invocations of --invocation-seconds', () => {
    expect(parseRunnerOptions(['--real-time', '--invocation-seconds', '60'])).toMatchObject({
      realTime: true,
      timeScale: 1,
      invocationSeconds: 60,
    });
    expect(parseRunnerOptions(['--real-time', '--time-scale', '1']).timeScale).toBe(1);
    expect(() => parseRunnerOptions(['--real-time', '--time-scale', '5'])).toThrow(
      /--real-time runs at time scale 1, but --time-scale is 5/,
    );
    expect(() => parseRunnerOptions(['--invocation-seconds', '60'])).toThrow(/add --real-time/);
    expect(parseError(['--real-time', '--invocation-seconds', '5'])).toMatch(
      /'5' is invalid.*from 10 to 840/,
    );
  });

  it('take --reshard alone as a split', () => {
    expect(parseRunnerOptions(['--reshard']).reshard).toBe('split');
  });

  it('refuse a bad number, naming the option, the value and what is allowed', () => {
    expect(parseError(['--records', '0'])).toMatch(
      /'--records <n>' argument '0' is invalid.*from 1 to 1,000,000/,
    );
    expect(parseError(['--record-size', '64'])).toMatch(/'64' is invalid.*from 128 to 262,144/);
    expect(parseError(['--time-scale', '20'])).toMatch(/'20' is invalid.*from 1 to 10/);
    expect(parseError(['--shards', 'two'])).toMatch(/'two' is invalid/);
  });

  it('refuse an unknown option and a reshard kind that does not exist', () => {
    expect(parseError(['--recods', '5'])).toMatch(/unknown option '--recods'.*--records/s);
    expect(parseError(['--reshard', 'double'])).toMatch(/'double' is invalid.*split, merge/);
    expect(parseError(['--log-level', 'LOUD'])).toMatch(/'LOUD' is invalid.*DEBUG, INFO, WARN, ERROR/);
  });

  it('refuse a merge with a single shard and too many shards in all', () => {
    expect(() => parseRunnerOptions(['--reshard', 'merge'])).toThrow(
      new ConfigurationError(
        '--reshard merge needs two adjacent shards to merge, but --shards is 1; give --shards 2 or more, or --reshard split.',
      ),
    );
    expect(() => parseRunnerOptions(['--streams', '5', '--shards', '50'])).toThrow(
      /250 shards; a local run allows at most 200/,
    );
  });
});
