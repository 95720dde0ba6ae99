import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { KinesisClient } from '@aws-sdk/client-kinesis';
import { compareSequenceNumbers, mergeCheckpoints } from '../../functions/core/checkpoints/merge';
import { LeaseHeldError } from '../../functions/core/errors';
import { SSMClient } from '@aws-sdk/client-ssm';
import { SsmSubtaskLease } from '../../functions/core/checkpoints/ssm-lease';
import { seededRandom, systemClock, type Clock } from '../../functions/core/time/clock';
import { useLocalAws } from '../support/local-aws';
import {
  Collector,
  createStream,
  putRecords,
  READER_KINDS,
  ssmStore,
  testConsumer,
  uniquePath,
} from './consumer-support';

// The EFO server in front serves the polling reader too. Its read rate is scaled down, as GetRecords'
// five calls a second pace the polling reader, so that both readers are still mid-stream when the
// first checkpoint lands: about 1 KB/s is some 90 of these records a second.
const aws = useLocalAws({ kinesis: { enhancedFanOut: { bytesPerSecond: 1000 } }, ssm: true });
const kinesis = () => aws().clients.client('kinesis', KinesisClient);
const CHILD_DEADLINE_MILLIS = 40_000;

interface ChildRun {
  readonly delivered: { sequenceNumber: string; data: string }[];
  readonly checkpoints: number;
}

/** Runs the killable consumer in a child process and SIGKILLs it as soon as it hangs inside a batch. */
function runAndKill(env: Record<string, string>): Promise<ChildRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', join(__dirname, 'fixtures', 'killable-consumer.ts')],
      {
        env: { ...process.env, ...env },
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    const delivered: ChildRun['delivered'] = [];
    let checkpoints = 0;
    let hung = false;
    createInterface({ input: child.stdout }).on('line', (line) => {
      const [kind, sequenceNumber, data] = line.split(' ');
      if (kind === 'DELIVERED')
        delivered.push({ sequenceNumber: sequenceNumber as string, data: data as string });
      if (kind === 'CHECKPOINT') checkpoints++;
      if (kind === 'HANG') {
        hung = true;
        child.kill('SIGKILL');
      }
    });
    child.on('error', reject);
    child.on('exit', () =>
      hung ? resolve({ delivered, checkpoints }) : reject(new Error('the consumer ended without hanging')),
    );
  });
}

describe.each(READER_KINDS)('a consumer process killed mid-batch (%s)', (readerKind) => {
  it('restarts from its last checkpoint: nothing lost, and only records after that checkpoint repeated', async () => {
    const stream = `crash-mid-batch-${readerKind}`;
    // With EFO the restarted consumer subscribes as the same stream consumer the killed one did.
    const efoConsumerName = `crash-${readerKind}`;
    await createStream(kinesis(), stream, 1);
    const sent = await putRecords(kinesis(), stream, 400);
    const path = uniquePath();
    const subscribedBefore = aws().efo.callCount('SubscribeToShard');
    const killed = await runAndKill({
      KINESIS_ENDPOINT: aws().endpoints.kinesis as string,
      SSM_ENDPOINT: aws().endpoints.ssm as string,
      CHECKPOINT_PATH: path,
      STREAM: stream,
      READER: readerKind,
      EFO_CONSUMER: efoConsumerName,
      // Only a backstop: the child hangs (and is killed) long before, however loaded the machine is. Its
      // lease runs as long, so it still stands when the early invocation below tries to take it.
      DEADLINE_MILLIS: String(CHILD_DEADLINE_MILLIS),
    });
    expect(killed.checkpoints).toBeGreaterThanOrEqual(1);
    // The killed process read with the reader asked for.
    expect(aws().efo.callCount('SubscribeToShard') > subscribedBefore).toBe(readerKind === 'EFO');

    const store = ssmStore(aws(), path);
    const stored = mergeCheckpoints(await store.loadAll()).get(`${stream}/shardId-000000000000`)?.checkpoint;
    if (stored?.kind !== 'sequence')
      throw new Error(`expected a sequence checkpoint, found ${JSON.stringify(stored)}`);
    const after = (seq: string) => compareSequenceNumbers(seq, stored.sequenceNumber) > 0;
    // The killed process got past its checkpoint: those records will come again.
    expect(killed.delivered.some((r) => after(r.sequenceNumber))).toBe(true);
    expect(killed.delivered.length).toBeLessThan(sent.length);

    // Right away, the dead invocation's lease still stands; the next schedule tick comes after it expired.
    const collector = new Collector();
    const leaseAt = (clock: Clock) => (subtaskIndex: number, owner: string) =>
      new SsmSubtaskLease({
        ssm: aws().clients.client('ssm', SSMClient),
        parameterName: store.leaseParameterName(subtaskIndex),
        owner,
        settleMillis: 300,
        clock,
        random: seededRandom(5),
      });
    const request = () => ({ subtaskIndex: 0, parallelism: 1, deadline: Date.now() + 20_000 });
    const consumer = (leaseClock: Clock) =>
      testConsumer({
        aws: aws(),
        store,
        collector,
        streams: [stream],
        lease: leaseAt(leaseClock),
        readerKind,
        efoConsumerName,
      });
    const early = consumer(systemClock).run(request());
    await expect(early).rejects.toBeInstanceOf(LeaseHeldError);
    await expect(early).rejects.toThrow(/is held by invocation/);
    const nextTick: Clock = { now: () => Date.now() + 2 * CHILD_DEADLINE_MILLIS, sleep: systemClock.sleep };
    const controller = new AbortController();
    const expected = sent.length - killed.delivered.filter((r) => !after(r.sequenceNumber)).length;
    void collector.whenUnique(expected).then(() => controller.abort());
    await consumer(nextTick).run({ ...request(), signal: controller.signal });

    const everything = new Set([
      ...killed.delivered.map((r) => r.data),
      ...collector.records.map((r) => r.data),
    ]);
    expect(sent.filter((d) => !everything.has(d))).toEqual([]);
    expect(collector.records.every((r) => after(r.sequenceNumber))).toBe(true);
    const firstRepeated = killed.delivered.find((r) => after(r.sequenceNumber));
    expect(collector.records[0]?.sequenceNumber).toBe(firstRepeated?.sequenceNumber);
    const killedData = new Set(killed.delivered.map((r) => r.data));
    const repeated = collector.records.filter((r) => killedData.has(r.data));
    expect(repeated.every((r) => after(r.sequenceNumber))).toBe(true);
    expect(collector.duplicates).toEqual([]);
  });
});
