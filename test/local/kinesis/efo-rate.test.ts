// The EFO server's read rate per consumer and shard, on a clock that jumps whenever every sleeper waits.
// The rate is scaled down from AWS's 2 MiB/s (the server's default) so that small records exercise the
// same pacing: kinesalite and the event-stream CRCs take seconds to move megabytes on these machines.
import type { KinesisClient } from '@aws-sdk/client-kinesis';
import { PutRecordsCommand } from '@aws-sdk/client-kinesis';
import { FakeClock } from '../../../functions/core/time/clock';
import { useLocalAws } from '../../support/local-aws';
import { createStream, registerConsumer, stockKinesisClient, subscribe } from './efo-test-kit';

const RATE = 64 * 1024;
const EVENT_MAX_BYTES = RATE / 2;
const RECORD_BYTES = 8 * 1024;
const RECORDS = 40;
const clock = new FakeClock(Date.now(), { autoAdvance: true });
const aws = useLocalAws({ kinesis: { enhancedFanOut: { bytesPerSecond: RATE } }, clock });
let kinesis: KinesisClient;

beforeAll(() => {
  kinesis = stockKinesisClient(aws().endpoints.kinesis as string);
});
afterAll(() => kinesis.destroy());

it('pushes one consumer at most its rate per shard, a second of burst included, and no slower', async () => {
  const streamArn = await createStream(kinesis, 'rate');
  const consumerArn = await registerConsumer(kinesis, streamArn, 'reader');
  const payload = Buffer.alloc(RECORD_BYTES - 1, 7);
  await kinesis.send(
    new PutRecordsCommand({
      StreamName: 'rate',
      Records: Array.from({ length: RECORDS }, () => ({ Data: payload, PartitionKey: 'k' })),
    }),
  );
  const open = await subscribe(kinesis, {
    ConsumerARN: consumerArn,
    ShardId: 'shardId-000000000000',
    StartingPosition: { Type: 'TRIM_HORIZON' },
  });
  const events = await open.until(
    (seen) => seen.reduce((n, e) => n + (e.Records ?? []).length, 0) >= RECORDS,
  );
  open.close();
  expect(events.flatMap((e) => e.Records ?? [])).toHaveLength(RECORDS);

  // The server's own stamps: the client reads later than the server sends, while the clock jumps on.
  const sent = aws()
    .efo.sentEvents()
    .filter((e) => e.consumerArn === consumerArn);
  const total = sent.reduce((sum, e) => sum + e.bytes, 0);
  expect(total).toBe(RECORDS * RECORD_BYTES);
  expect(Math.max(...sent.map((e) => e.bytes))).toBeLessThanOrEqual(EVENT_MAX_BYTES);
  const first = sent[0]?.at as number;
  let sentSoFar = 0;
  for (const { at, bytes } of sent) {
    sentSoFar += bytes;
    // At most a second's burst plus the rate since the first event, plus the event going out (each
    // is sent whole once the budget is out of debt).
    expect(sentSoFar).toBeLessThanOrEqual(RATE + (RATE * (at - first)) / 1000 + bytes);
  }
  const elapsed = (sent.at(-1)?.at as number) - first;
  expect(elapsed).toBeGreaterThanOrEqual(((total - RATE - EVENT_MAX_BYTES) * 1000) / RATE);
  expect(elapsed).toBeLessThanOrEqual((total * 1000) / RATE);
});
