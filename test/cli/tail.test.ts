import { KinesisClient, PutRecordsCommand } from '@aws-sdk/client-kinesis';
import { aggregate } from '../../functions/core/record-format';
import { createStream, splitShard } from '../e2e/consumer-support';
import { nextMillisecond } from '../support/next-millisecond';
import { useLocalCli, type RunOptions } from './cli-support';

const { aws, skc } = useLocalCli({ kinesis: true });
let streams = 0;

const kinesis = () => aws().clients.client('kinesis', KinesisClient);
const tail = (args: string[], options?: RunOptions) => skc(['tail', ...args], options);

async function newStream(shards = 1): Promise<string> {
  const name = `tail-${++streams}`;
  await createStream(kinesis(), name, shards);
  return name;
}

async function put(stream: string, data: readonly string[], key = (i: number) => `key-${i}`) {
  const result = await kinesis().send(
    new PutRecordsCommand({
      StreamName: stream,
      Records: data.map((d, i) => ({ Data: Buffer.from(d), PartitionKey: key(i) })),
    }),
  );
  return (result.Records ?? []).map((r) => ({
    shardId: r.ShardId as string,
    sequenceNumber: r.SequenceNumber as string,
  }));
}

const lines = (text: string) => text.split('\n').filter((l) => l !== '');

describe('skc tail', () => {
  it('prints the user records inside KPL aggregated records, in order, with their sub-sequence numbers', async () => {
    const stream = await newStream();
    const users = Array.from({ length: 7 }, (_, i) => ({
      partitionKey: `user-${i}`,
      data: Buffer.from(JSON.stringify({ n: i })),
    }));
    const records = aggregate(users, { maxCount: 4 });
    const result = await kinesis().send(
      new PutRecordsCommand({
        StreamName: stream,
        Records: records.map((r) => ({ Data: r.data, PartitionKey: r.partitionKey })),
      }),
    );
    const [first, second] = (result.Records ?? []).map((r) => r.SequenceNumber as string);

    const json = await tail(['--stream', stream, '--format', 'json']);
    expect(json.code).toBe(0);
    expect(lines(json.stdout).map((l) => JSON.parse(l) as Record<string, unknown>)).toEqual(
      users.map((u, i) => ({
        stream,
        shardId: 'shardId-000000000000',
        sequenceNumber: i < 4 ? first : second,
        subSequenceNumber: i % 4,
        partitionKey: u.partitionKey,
        approximateArrivalTimestamp: expect.stringMatching(/^\d{4}-\d\d-\d\dT/) as unknown,
        data: { n: i },
      })),
    );
    expect(json.stderr).toBe('7 record(s) from 1 shard(s).\n');

    const text = await tail(['--stream', stream, '--limit', '3']);
    expect(lines(text.stdout)).toEqual(['{"n":0}', '{"n":1}', '{"n":2}']);

    const fromSub = await tail(['--stream', stream, '--shard', '0', '--from', `${first}:2`, '--metadata']);
    expect(lines(fromSub.stdout)).toEqual([
      `shardId-000000000000\t${first}:2\tuser-2\t{"n":2}`,
      `shardId-000000000000\t${first}:3\tuser-3\t{"n":3}`,
      ...[0, 1, 2].map((i) => `shardId-000000000000\t${second}:${i}\tuser-${4 + i}\t{"n":${4 + i}}`),
    ]);
  });

  it('starts at a time, prints binary data as base64 and data that is not JSON as text', async () => {
    const stream = await newStream();
    await put(stream, ['before']);
    const at = await nextMillisecond();
    await kinesis().send(
      new PutRecordsCommand({
        StreamName: stream,
        Records: [
          { Data: Uint8Array.of(0xff, 0x00, 0xfe), PartitionKey: 'bin' },
          { Data: Buffer.from('plain words'), PartitionKey: 'txt' },
        ],
      }),
    );

    const b64 = await tail(['--stream', stream, '--from', at.toISOString(), '--format', 'base64']);
    expect(lines(b64.stdout)).toEqual(['/wD+', Buffer.from('plain words').toString('base64')]);
    const json = await tail(['--stream', stream, '--from', at.toISOString(), '--format', 'json']);
    expect(lines(json.stdout).map((l) => JSON.parse(l) as Record<string, unknown>)).toEqual([
      expect.objectContaining({ partitionKey: 'bin', base64: '/wD+' }),
      expect.objectContaining({ partitionKey: 'txt', text: 'plain words' }),
    ]);
  });

  it('reads a split shard to its end before its children', async () => {
    const stream = await newStream();
    await put(stream, ['parent-0', 'parent-1', 'parent-2']);
    await splitShard(kinesis(), stream, 'shardId-000000000000');
    await put(
      stream,
      Array.from({ length: 6 }, (_, i) => `child-${i}`),
      (i) => `spread-${i}`,
    );

    const result = await tail(['--stream', stream, '--format', 'text', '--metadata']);

    const shardsInOrder = lines(result.stdout).map((l) => l.split('\t')[0]);
    expect(shardsInOrder.slice(0, 3)).toEqual(Array(3).fill('shardId-000000000000'));
    expect(new Set(shardsInOrder.slice(3))).toEqual(
      new Set(['shardId-000000000001', 'shardId-000000000002']),
    );
    expect(
      lines(result.stdout)
        .map((l) => l.split('\t')[3])
        .sort(),
    ).toEqual(
      ['parent-0', 'parent-1', 'parent-2', ...Array.from({ length: 6 }, (_, i) => `child-${i}`)].sort(),
    );
  });

  it('follows new records until --limit, and stops on its signal', async () => {
    const stream = await newStream();
    await put(stream, ['early']);
    let sawEarly: () => void = () => undefined;
    const early = new Promise<void>((resolve) => (sawEarly = resolve));
    const following = tail(['--stream', stream, '--follow', '--limit', '3', '--poll-interval', '20'], {
      onStdout: (chunk) => chunk.includes('early') && sawEarly(),
    });
    await early;
    await put(stream, ['late-1', 'late-2']);
    const result = await following;
    expect(result.code).toBe(0);
    expect(lines(result.stdout)).toEqual(['early', 'late-1', 'late-2']);

    const controller = new AbortController();
    const calls = aws().kinesis.callCount('GetRecords');
    const endless = tail(['--stream', stream, '--follow', '--from', 'LATEST', '--poll-interval', '20'], {
      signal: controller.signal,
    });
    // Abort once it is polling an empty shard (it would poll forever otherwise).
    while (aws().kinesis.callCount('GetRecords') < calls + 2) await new Promise((r) => setImmediate(r));
    controller.abort();
    expect(await endless).toMatchObject({ code: 0, stdout: '' });
  });

  it('explains a missing stream, an unknown shard and a sequence number without its shard', async () => {
    const stream = await newStream(2);
    expect(await tail(['--stream', 'nope'])).toMatchObject({
      code: 1,
      stderr: `skc: Stream "nope" does not exist in region us-east-1 at ${aws().endpoints.kinesis}; check the stream name and --region.\n`,
    });
    const unknown = await tail(['--stream', stream, '--shard', '7']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain(
      `Shard "7" is not a shard of stream "${stream}"; its shards are shardId-000000000000, shardId-000000000001.`,
    );
    const [placed] = await put(stream, ['x']);
    const noShard = await tail(['--stream', stream, '--from', placed?.sequenceNumber ?? '']);
    expect(noShard.code).toBe(2);
    expect(noShard.stderr).toContain(
      '--from <sequence number> needs the one shard it belongs to: add --shard <id>.',
    );
  });
});
