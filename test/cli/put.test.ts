import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { KinesisClient } from '@aws-sdk/client-kinesis';
import { deaggregate } from '../../functions/core/record-format';
import { createStream } from '../e2e/consumer-support';
import { readLikeKcl } from '../support/kcl-reader';
import { readStream } from '../support/producer-e2e';
import { useLocalCli, type RunOptions } from './cli-support';

const { aws, properties, skc } = useLocalCli({ kinesis: true });
afterEach(() => aws().resetFaults());
let streams = 0;

const kinesis = () => aws().clients.client('kinesis', KinesisClient);
const put = (args: string[], options?: RunOptions) => skc(['put', ...args], options);

async function newStream(shards = 1): Promise<string> {
  const name = `put-${++streams}`;
  await createStream(kinesis(), name, shards);
  return name;
}

/** Every user record in the stream, deaggregated, with where it sits. */
async function contents(stream: string) {
  const shards = await readStream(kinesis(), stream);
  return shards.flatMap((shard) =>
    shard.records.flatMap((record) =>
      deaggregate(record).map((u) => ({
        shardId: shard.shardId,
        key: u.partitionKey,
        data: Buffer.from(u.data).toString(),
      })),
    ),
  );
}

const lines = (text: string) => text.split('\n').filter((l) => l !== '');

describe('skc put', () => {
  it('writes each argument as a record and prints where each landed', async () => {
    const stream = await newStream(2);
    const result = await put(['--stream', stream, '--sequence-numbers', 'one', 'two', 'three']);

    expect(result).toMatchObject({ code: 0, stderr: '' });
    const placed = lines(result.stdout)
      .slice(0, 3)
      .map((l) => l.split('\t'));
    const stored = await contents(stream);
    expect(stored.map((r) => r.data).sort()).toEqual(['one', 'three', 'two']);
    const shards = new Set(placed.map(([shardId]) => shardId));
    expect(lines(result.stdout)[3]).toBe(
      `Put 3 record(s) to stream ${stream} on ${shards.size} shard(s), 1 PutRecords request(s).`,
    );
    for (const [i, data] of ['one', 'two', 'three'].entries()) {
      expect(stored.find((r) => r.data === data)?.shardId).toBe(placed[i]?.[0]);
    }
  });

  it('reads one record per line from stdin or a file, skipping empty lines, under one partition key', async () => {
    const stream = await newStream(4);
    const fromStdin = await put(['--stream', stream, '--partition-key', 'same'], { stdin: 'a\r\nb\n\nc\n' });
    expect(fromStdin.code).toBe(0);
    const file = join(properties.path, '..', 'records.txt');
    writeFileSync(file, 'd\ne');
    expect((await put(['--stream', stream, '--partition-key', 'same', '--file', file])).code).toBe(0);

    const stored = await contents(stream);
    expect(stored.map((r) => r.data)).toEqual(['a', 'b', 'c', 'd', 'e']);
    expect(new Set(stored.map((r) => `${r.shardId}/${r.key}`)).size).toBe(1);
  });

  it('aggregates per predicted shard so a KCL consumer keeps every record', async () => {
    const stream = await newStream(4);
    const data = Array.from({ length: 200 }, (_, i) => `agg-${i}`);
    const result = await put(['--stream', stream, '--aggregate', '--sequence-numbers'], {
      stdin: data.join('\n'),
    });

    expect(result.code).toBe(0);
    const shards = await readStream(kinesis(), stream);
    const kinesisRecords = shards.reduce((n, s) => n + s.records.length, 0);
    expect(kinesisRecords).toBeLessThanOrEqual(4);
    expect(lines(result.stdout).at(-1)).toBe(
      `Put 200 record(s) to stream ${stream} in ${kinesisRecords} aggregated Kinesis record(s) on 4 shard(s), 1 PutRecords request(s).`,
    );
    const kcl = readLikeKcl(shards);
    expect(kcl.dropped).toBe(0);
    expect(kcl.records.map((r) => r.data.toString()).sort()).toEqual([...data].sort());
    expect(
      lines(result.stdout)
        .slice(0, 200)
        .every((l) => /^shardId-\d{12}\t\d+:\d+$/.test(l)),
    ).toBe(true);
  });

  it('writes in requests of 500 and reports progress per tenth without a terminal', async () => {
    const stream = await newStream(2);
    const data = Array.from({ length: 1200 }, (_, i) => `bulk-${i}`);
    const result = await put(['--stream', stream], { stdin: data.join('\n') });

    expect(result.code).toBe(0);
    expect(lines(result.stdout)).toEqual([
      `Put 1200 record(s) to stream ${stream} on 2 shard(s), 3 PutRecords request(s).`,
    ]);
    expect(lines(result.stderr)).toEqual([
      'Putting records: 500/1200',
      'Putting records: 1000/1200',
      'Putting records: 1200/1200',
    ]);
    expect((await contents(stream)).map((r) => r.data).sort()).toEqual([...data].sort());
  });

  it('draws a progress bar on a terminal', async () => {
    const stream = await newStream();
    const data = Array.from({ length: 600 }, (_, i) => `tty-${i}`);
    const file = join(properties.path, '..', 'tty.txt');
    writeFileSync(file, data.join('\n'));
    const result = await put(['--stream', stream, '--file', file], { isTTY: true });
    expect(result.code).toBe(0);
    expect(result.stderr).toMatch(/Putting records \[=+\] 600\/600 100%/);
  });

  it('retries the entries Kinesis failed, writing each record once', async () => {
    const stream = await newStream(2);
    aws().kinesis.failPutRecordsEntries({
      failEntry: (_entry, index) => (index % 3 === 0 ? 'ProvisionedThroughputExceededException' : undefined),
      times: 2,
    });
    const data = Array.from({ length: 30 }, (_, i) => `retry-${i}`);
    const result = await put(['--stream', stream, ...data]);

    expect(result.code).toBe(0);
    expect(lines(result.stdout)).toEqual([
      `Put 30 record(s) to stream ${stream} on 2 shard(s), 3 PutRecords request(s).`,
    ]);
    expect((await contents(stream)).map((r) => r.data).sort()).toEqual([...data].sort());
  });

  it('says which records were not written once its attempts run out, and exits 1', async () => {
    const stream = await newStream();
    aws().kinesis.failPutRecordsEntries({
      failEntry: (entry) =>
        Buffer.from(entry.Data ?? '', 'base64').toString() === 'fails' ? 'InternalFailure' : undefined,
      times: 2,
    });
    const result = await put(['--stream', stream, '--max-attempts', '2', 'ok-0', 'fails', 'ok-2']);

    expect(result.code).toBe(1);
    expect(result.stdout).toContain(`Put 2 record(s) to stream ${stream}`);
    expect(result.stderr).toBe(
      'skc: 1 record(s) were not written after 2 attempt(s), the first from argument 2 (InternalFailure: Internal service failure.). Write them again later, or raise --max-attempts.\n',
    );
    expect((await contents(stream)).map((r) => r.data)).toEqual(['ok-0', 'ok-2']);
  });

  it('refuses bad input before writing anything', async () => {
    const stream = await newStream();
    const cases: [string[], RunOptions, string][] = [
      [['--partition-key', ''], {}, '--partition-key is 0 characters long; it must be 1 to 256.'],
      [['--explicit-hash-key', '-1', 'x'], {}, '--explicit-hash-key is "-1"; it must be a decimal integer'],
      [
        [],
        { isTTY: true },
        'No records: give them as arguments, with --file <path>, or one per line on stdin.',
      ],
      [
        ['--base64'],
        { stdin: 'not base64!' },
        'The record from line 1 of stdin is not base64 (--base64 was given).',
      ],
      [['x'.repeat(1024 * 1024)], {}, 'The record from argument 1 is'],
    ];
    for (const [args, options, message] of cases) {
      const result = await put(['--stream', stream, ...args], options);
      expect(result.code).toBe(2);
      expect(result.stderr).toContain(message);
    }
    expect(await contents(stream)).toEqual([]);
  });

  it('names a missing stream and the region', async () => {
    const result = await put(['--stream', 'absent', 'x']);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(
      `skc: Stream "absent" does not exist in region us-east-1 at ${aws().endpoints.kinesis}; check the stream name and --region.\n`,
    );
  });
});
