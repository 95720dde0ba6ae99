import { CreateStreamCommand, KinesisClient } from '@aws-sdk/client-kinesis';
import { CreateQueueCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { parseMessage } from '../../functions/core/producer/message-contract';
import { waitForStreamActive } from '../../local/kinesis/streams';
import { localAwsEnv } from '../support/local-aws';
import { EventSourceMappingEmulator, loadProducerHandler } from '../support/producer-e2e';
import { useLocalCli } from './cli-support';

const { aws, skc } = useLocalCli({ kinesis: true, sqs: true });
let queues = 0;

const sqs = () => aws().clients.client('sqs', SQSClient);

async function newQueue(attributes: Record<string, string> = {}): Promise<string> {
  const fifo = attributes.FifoQueue === 'true';
  const { QueueUrl } = await sqs().send(
    new CreateQueueCommand({ QueueName: `send-${++queues}${fifo ? '.fifo' : ''}`, Attributes: attributes }),
  );
  return QueueUrl ?? '';
}

async function receiveAll(queueUrl: string) {
  const all = [];
  for (;;) {
    const { Messages = [] } = await sqs().send(
      new ReceiveMessageCommand({
        QueueUrl: queueUrl,
        MaxNumberOfMessages: 10,
        MessageAttributeNames: ['All'],
      }),
    );
    if (Messages.length === 0) return all;
    all.push(...Messages);
  }
}

describe('skc send', () => {
  it('round-trips records through the producer queue and function to the stream, where tail reads them', async () => {
    const kinesis = aws().clients.client('kinesis', KinesisClient);
    await kinesis.send(new CreateStreamCommand({ StreamName: 'send-events', ShardCount: 2 }));
    await waitForStreamActive(kinesis, 'send-events');
    const queueUrl = await newQueue();
    const records = Array.from({ length: 25 }, (_, i) => JSON.stringify({ order: i }));

    const sent = await skc(['send', '--queue-url', queueUrl, '--json', '--partition-key', 'orders'], {
      stdin: records.join('\n'),
    });
    expect(sent).toMatchObject({ code: 0, stderr: '' });
    expect(sent.stdout).toBe(`Sent 25 record(s) to ${queueUrl}: 25 accepted, 0 failed.\n`);

    const handler = loadProducerHandler({
      ...localAwsEnv(aws(), ['kinesis', 'sqs']),
      SKC_PRODUCER_DEFAULTSTREAM: 'send-events',
    });
    await new EventSourceMappingEmulator({
      sqs: sqs(),
      queueUrl,
      handler: (event) => handler(event, { getRemainingTimeInMillis: () => 60_000 }),
    }).drain();

    const tailed = await skc(['tail', '--stream', 'send-events', '--format', 'json']);
    const read = tailed.stdout
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as { partitionKey: string; data: unknown });
    expect(read.map((r) => r.data)).toEqual(records.map((r) => JSON.parse(r) as unknown));
    expect(new Set(read.map((r) => r.partitionKey))).toEqual(new Set(['orders']));
  });

  it('sends text as the producer contract reads it, with the stream named', async () => {
    const queueUrl = await newQueue();
    const result = await skc(['send', '--queue-url', queueUrl, '--stream', 'other', 'hello', 'world']);
    expect(result.code).toBe(0);
    const parsed = (await receiveAll(queueUrl)).map((m) => {
      const p = parseMessage({ messageId: m.MessageId ?? '', body: m.Body ?? '' });
      if (!p.ok) throw new Error(p.reason);
      return { data: Buffer.from(p.record.data).toString(), stream: p.record.stream };
    });
    expect(parsed.sort((a, b) => a.data.localeCompare(b.data))).toEqual([
      { data: 'hello', stream: 'other' },
      { data: 'world', stream: 'other' },
    ]);
  });

  it('reports each record the queue refused, by line, and exits 1', async () => {
    const queueUrl = await newQueue({ MaximumMessageSize: '1024' });
    const result = await skc(['send', '--queue-url', queueUrl], {
      stdin: `small\n${'x'.repeat(2000)}\nsmall too\n`,
    });
    expect(result.code).toBe(1);
    expect(result.stdout).toBe(`Sent 3 record(s) to ${queueUrl}: 2 accepted, 1 failed.\n`);
    expect(result.stderr).toMatch(
      /^line 2 of stdin: ValidationError: The record makes a \d+-byte message; the queue takes at most 1024 bytes\.\n/,
    );
    expect(result.stderr).toContain('skc: 1 record(s) were not accepted by the queue.');
    expect(await receiveAll(queueUrl)).toHaveLength(2);
  });

  it('names a missing queue, and a line that is not JSON with --json', async () => {
    const missing = `${aws().endpoints.sqs}/000000000000/no-such-queue`;
    const result = await skc(['send', '--queue-url', missing, 'x']);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(
      `skc: Queue ${missing} does not exist in region us-east-1 at ${aws().endpoints.sqs}; check --queue-url and --region.\n`,
    );
    const queueUrl = await newQueue();
    const notJson = await skc(['send', '--queue-url', queueUrl, '--json'], { stdin: '{"ok":1}\n{oops}\n' });
    expect(notJson.code).toBe(2);
    expect(notJson.stderr).toContain('The record from line 2 of stdin is not JSON (--json was given)');
    expect(await receiveAll(queueUrl)).toHaveLength(0);
  });
});
