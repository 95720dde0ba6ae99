import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { KinesisClient } from '@aws-sdk/client-kinesis';
import { useLocalAws } from '../support/local-aws';
import { createStream, putRecords } from './consumer-support';
import { counterConsumer, counters, createTables, expectedCounts, runOnce } from './exactly-once-support';

/** These run several invocations on the real clock; a loaded machine needs more than the default. */
const SLOW_TEST_MILLIS = 180_000;

const aws = useLocalAws({ kinesis: true, dynamodb: { transactions: true } });
const kinesis = () => aws().clients.client('kinesis', KinesisClient);
const dynamodb = () => aws().clients.client('dynamodb', DynamoDBClient);

/**
 * Starts the consumer process and SIGKILLs it once it has printed `applied` effects made in memory (more
 * may be on their way in the pipe: the process runs on until the signal lands).
 */
function killAfter(applied: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', join(__dirname, 'fixtures', 'exactly-once-consumer.ts')],
      {
        env: {
          ...process.env,
          EO_AWS_SETTINGS: JSON.stringify(aws().awsSettings),
          EO_CONSUMER_NAME: 'killed',
          EO_STREAM: 'eo-killed',
        },
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    let seen = 0;
    let killedAt = 0;
    createInterface({ input: child.stdout }).on('line', (line) => {
      if (line.startsWith('APPLIED') && ++seen === applied) {
        killedAt = seen;
        child.kill('SIGKILL');
      }
    });
    child.on('error', reject);
    child.on('exit', (_code, signal) =>
      signal === 'SIGKILL'
        ? resolve(killedAt)
        : reject(new Error(`the consumer exited without being killed (${signal})`)),
    );
  });
}

describe('exactly-once through real process kills', () => {
  it(
    'counts every key exactly after the consumer process is SIGKILLed three times with records in flight',
    async () => {
      await createTables(dynamodb());
      await createStream(kinesis(), 'eo-killed', 2);
      await putRecords(kinesis(), 'eo-killed', 400, { keys: 8 });
      // Kill points inside the first, a middle and a late batch: a batch holds 20 records.
      for (const applied of [7, 43, 91]) expect(await killAfter(applied)).toBe(applied);
      const expected = expectedCounts(400, 8);
      const consumer = counterConsumer({
        settings: aws().awsSettings,
        consumerName: 'killed',
        stream: 'eo-killed',
        mode: 'exactly-once',
      });
      for (let round = 0; round < 40; round++) {
        await runOnce(consumer, 0, 1, 1500);
        const total = [...(await counters(dynamodb(), 'exactly-once', 'killed')).values()].reduce(
          (a, b) => a + b,
          0,
        );
        if (total >= 400) break;
      }
      expect(Object.fromEntries(await counters(dynamodb(), 'exactly-once', 'killed'))).toEqual(
        Object.fromEntries(expected),
      );
    },
    SLOW_TEST_MILLIS,
  );
});
