import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { KinesisClient, PutRecordCommand } from '@aws-sdk/client-kinesis';
import { createStream } from '../e2e/consumer-support';
import { localProperties, runCli, useLocalCli } from './cli-support';

const { aws, properties, flags } = useLocalCli({ kinesis: true, ssm: true });

beforeAll(async () => {
  const kinesis = aws().clients.client('kinesis', KinesisClient);
  await createStream(kinesis, 'options-stream', 1);
  await kinesis.send(
    new PutRecordCommand({ StreamName: 'options-stream', Data: Buffer.from('hi'), PartitionKey: 'k' }),
  );
});

describe('where the CLI finds AWS', () => {
  it('takes the region and endpoints from AWS_REGION and AWS_ENDPOINT_URL_<SERVICE>', async () => {
    const result = await runCli(['--properties', properties.path, 'tail', '--stream', 'options-stream'], {
      env: { AWS_REGION: aws().region, AWS_ENDPOINT_URL_KINESIS: aws().endpoints.kinesis },
    });
    expect(result).toMatchObject({ code: 0, stdout: 'hi\n' });
  });

  it('takes the region, endpoint and credentials from a Flink-style properties file, flags winning over it', async () => {
    const file = localProperties({
      'aws.region': 'eu-west-1',
      'aws.endpoint': 'http://127.0.0.1:1',
      'aws.endpoint.kinesis': aws().endpoints.kinesis ?? '',
    });
    try {
      const fromFile = await runCli([
        '--properties',
        file.path,
        '--region',
        aws().region,
        'tail',
        '--stream',
        'options-stream',
      ]);
      expect(fromFile).toMatchObject({ code: 0, stdout: 'hi\n' });
    } finally {
      file.remove();
    }
  });

  it('needs a region from somewhere and says where it can come from', async () => {
    const result = await runCli(['--properties', properties.path, 'tail', '--stream', 'options-stream']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(
      'skc: --region (or AWS_REGION, or aws.region in --properties) is required',
    );
  });

  it('names a malformed region, an unreadable or misspelt properties file, and exits 2', async () => {
    const badRegion = await runCli(['--region', 'Ireland', 'tail', '--stream', 's']);
    expect(badRegion).toMatchObject({
      code: 2,
      stderr: 'skc: --region must be an AWS region name such as us-east-1; got "Ireland".\n',
    });
    const missing = await runCli(['--properties', '/no/such/file.properties', 'tail', '--stream', 's']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toBe(
      'skc: --properties /no/such/file.properties cannot be read (ENOENT); give the path of a .properties file.\n',
    );
    const typo = join(properties.path, '..', 'typo.properties');
    writeFileSync(typo, 'aws.regoin=us-east-1\n');
    const misspelt = await runCli(['--properties', typo, '--region', 'us-east-1', 'tail', '--stream', 's']);
    expect(misspelt.code).toBe(2);
    expect(misspelt.stderr).toContain('Unknown key aws.regoin (');
  });
});

describe('errors', () => {
  it('says how to provide credentials when none are found', async () => {
    const result = await runCli([
      '--region',
      aws().region,
      '--kinesis-endpoint',
      aws().endpoints.kinesis ?? '',
      '--profile',
      'skc-test-no-such-profile',
      'tail',
      '--stream',
      'options-stream',
    ]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(
      /^skc: No AWS credentials were found \(.*skc-test-no-such-profile.*\)\. Pass --profile <name>, set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY \(or AWS_PROFILE\), or set aws\.credentials\.provider in the --properties file\.\n$/,
    );
  });

  it('names an endpoint where nothing answers', async () => {
    const result = await runCli([
      ...flags(),
      '--kinesis-endpoint',
      'http://127.0.0.1:1',
      'tail',
      '--stream',
      'options-stream',
    ]);
    expect(result).toMatchObject({
      code: 1,
      stderr:
        'skc: Nothing answers at 127.0.0.1:1 (ECONNREFUSED): check the --endpoint options and that the server is running.\n',
    });
  });

  it('names the host it could not resolve for a region that does not exist', async () => {
    const result = await runCli([
      '--properties',
      properties.path,
      '--region',
      'eu-nowhere-1',
      'tail',
      '--stream',
      's',
    ]);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(
      'skc: Cannot resolve the host kinesis.eu-nowhere-1.amazonaws.com of region eu-nowhere-1: check --region ' +
        '(it must be a region such as eu-west-1) and any --endpoint option.\n',
    );
  });

  it('exits 2 on an unknown option or command, and 0 for help', async () => {
    const unknown = await runCli(['tail', '--stream', 's', '--bogus']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toBe("skc: Unknown option '--bogus'; see skc tail --help.\n");
    expect(await runCli(['frobnicate'])).toEqual({
      code: 2,
      stdout: '',
      stderr: "skc: Unknown command 'frobnicate'; see skc --help.\n",
    });
    const help = await runCli(['reset', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('Usage: skc reset [options]');
  });

  it("gives the argument parser's errors as one skc: sentence naming the command, with exit code 2", async () => {
    const cases: [string[], string][] = [
      [['tail'], "skc: Required option '--stream <name>' not specified; see skc tail --help.\n"],
      [
        ['tail', '--stream', 's', '--format', 'xml'],
        "skc: Option '--format <format>' does not take 'xml': allowed choices are text, json, base64; see skc tail --help.\n",
      ],
      [
        ['tail', '--stream', 's', '--limit', 'x'],
        "skc: Option '--limit <n>' does not take 'x': it must be an integer from 1 up; see skc tail --help.\n",
      ],
      [['--regoin', 'x'], "skc: Unknown option '--regoin'; see skc --help (did you mean --region?).\n"],
      [['status', '--output'], "skc: Option '--output <format>' argument missing; see skc status --help.\n"],
    ];
    for (const [argv, stderr] of cases) {
      expect({ argv, ...(await runCli(argv)) }).toEqual({ argv, code: 2, stdout: '', stderr });
    }
  });

  it('refuses an impossible date in --from and --to instead of rolling it over', async () => {
    const tail = await runCli([
      ...flags(),
      'tail',
      '--stream',
      'options-stream',
      '--from',
      '2024-02-30T00:00:00Z',
    ]);
    expect(tail.code).toBe(2);
    expect(tail.stderr).toMatch(/^skc: --from "2024-02-30T00:00:00Z" is not a time that exists/);
    expect(tail.stdout).toBe('');
  });

  it('runs as a program: npx tsx bin/cli.ts --help lists every command', async () => {
    const { stdout } = await promisify(execFile)('npx', ['tsx', 'bin/cli.ts', '--help'], {
      cwd: join(__dirname, '..', '..'),
    });
    for (const command of ['status', 'reset', 'tail', 'put', 'send'])
      expect(stdout).toMatch(new RegExp(`^  ${command} `, 'm'));
  });
});
