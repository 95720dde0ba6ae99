import { KinesisClient } from '@aws-sdk/client-kinesis';
import { mergeCheckpoints } from '../../functions/core/checkpoints/merge';
import { localStreamArn, OTHER_LOCAL_ACCOUNT_ID } from '../../local/kinesis/accounts';
import {
  Collector,
  createStream,
  runSubtasksUntil,
  ssmStore,
  testConsumer,
  uniquePath,
} from '../e2e/consumer-support';
import { useLocalCli } from './cli-support';

// The CLI on another account's stream, given by ARN, on the local Kinesis (see local/kinesis/accounts.ts).
const { aws, skc } = useLocalCli({ kinesis: true, ssm: true });
const cli = (...args: string[]) => skc(args);
const lines = (text: string) => text.split('\n').filter((l) => l !== '');

describe('skc on a stream given by ARN', () => {
  it('puts and tails by ARN, and shows and resets the checkpoints of a consumer that read it by ARN', async () => {
    const kinesis = aws().clients.client('kinesis', KinesisClient);
    const arn = localStreamArn('cli-shared', aws().region, OTHER_LOCAL_ACCOUNT_ID);
    await createStream(kinesis, arn, 1);
    // The local account's stream of the same name stays empty: the ARN reaches only the other account's.
    await createStream(kinesis, 'cli-shared', 1);

    const put = await cli('put', '--stream', arn, 'one', 'two', 'three');
    expect(put).toMatchObject({ code: 0, stderr: '' });
    expect(lines(put.stdout).at(-1)).toMatch(new RegExp(`^Put 3 record\\(s\\) to stream ${arn} `));

    const tail = await cli('tail', '--stream', arn, '--format', 'json');
    expect(tail.code).toBe(0);
    const tailed = lines(tail.stdout).map((l) => JSON.parse(l) as { stream: string; text: string });
    expect(tailed.map((r) => [r.stream, r.text])).toEqual([
      [arn, 'one'],
      [arn, 'two'],
      [arn, 'three'],
    ]);
    const elsewhere = localStreamArn('cli-shared', 'eu-west-1', OTHER_LOCAL_ACCOUNT_ID);
    expect(await cli('tail', '--stream', elsewhere)).toMatchObject({
      code: 2,
      stderr: `skc: The stream is "${elsewhere}", a stream in eu-west-1, but the client's region is ${aws().region}; Kinesis serves a stream only in its own region: give a stream in that region or set the region to the stream's.\n`,
    });
    const missing = localStreamArn('absent', aws().region, OTHER_LOCAL_ACCOUNT_ID);
    expect((await cli('put', '--stream', missing, 'x')).stderr).toContain(
      "check the ARN and --region (the stream's region), and that the owner's resource policy lets this account read or write it.",
    );
    const ownTail = await cli('tail', '--stream', 'cli-shared', '--format', 'json');
    expect(ownTail).toMatchObject({ code: 0, stdout: '' });

    const path = uniquePath();
    const store = ssmStore(aws(), path);
    const collector = new Collector();
    await runSubtasksUntil(testConsumer({ aws: aws(), streams: [arn], collector, store }), collector, 3, 1);

    // No --streams: status finds the stream from its checkpoint key and lists it by ARN.
    const status = await cli('status', '--consumer-prefix', path, '--output', 'json');
    expect(status).toMatchObject({ code: 0, stderr: '' });
    const view = JSON.parse(status.stdout) as {
      streams: string[];
      shards: {
        stream: string;
        checkpoint: { kind: string; sequenceNumber?: string } | null;
        millisBehindLatest: number | null;
      }[];
    };
    expect(view.streams).toEqual([arn]);
    expect(view.shards).toEqual([
      expect.objectContaining({
        stream: arn,
        // Measured by ARN from the checkpoint: every record read.
        millisBehindLatest: 0,
        checkpoint: expect.objectContaining({
          sequenceNumber: collector.records.at(-1)?.sequenceNumber,
        }) as unknown,
      }),
    ]);

    // A shard named by the stream's ARN: back to just after the first record.
    const first = collector.records[0]?.sequenceNumber as string;
    const reset = await cli(
      'reset',
      '--consumer-prefix',
      path,
      '--lease-settle-millis',
      '300',
      '--to-sequence',
      `${arn}/shardId-000000000000=${first}`,
      '--yes',
    );
    expect(reset).toMatchObject({ code: 0 });
    const after = mergeCheckpoints(await store.loadAll());
    expect([...after.entries()]).toEqual([
      [
        `cli-shared@${OTHER_LOCAL_ACCOUNT_ID}/shardId-000000000000`,
        expect.objectContaining({
          generation: 1,
          checkpoint: expect.objectContaining({ sequenceNumber: first }) as unknown,
        }),
      ],
    ]);
  });
});
