import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { KinesisClient } from '@aws-sdk/client-kinesis';
import type { SuccessorEvent } from '../../functions/core/consumer/handover';
import { trickle, type StoreKind } from '../../local/runner/subtask-chain';
import { useLocalAws } from '../support/local-aws';
import { createStream, uniquePath } from './consumer-support';

// Continuous mode with real processes: each invocation is a child process (the real engine and SDK
// clients against this file's local servers), its successor is a new process started when it asks for
// one (what Lambda's asynchronous Invoke does), and the predecessor is SIGKILLed in the middle of a read
// after starting its successor, or in the middle of its handover (final checkpoint written, handoff
// not). The successor must take over within the lease's expiry, with no record lost and never two
// readers: its first GetRecords comes after the killed process is gone, and, with DynamoDB, its
// checkpoint writes carry a higher fencing token than any of the killed one's.

const aws = useLocalAws({ kinesis: true, ssm: true, dynamodb: true });
const FIXTURE = join(__dirname, 'fixtures', 'continuous-invocation.ts');
const EXPIRY = 6000;
/** Reading time before the successor starts is BUDGET - LEAD: on SSM, the 2 s settle delay comes out of it. */
const BUDGET = 7000;
/** Reading time left when the successor starts: the mid-read kill must land within it on a loaded machine. */
const LEAD = 3000;
/** How long the fixture waits between its final checkpoint and its handoff write, for the kill to land. */
const HANDOVER_PAUSE = 3000;
/** Takeover bound: the lease's expiry, plus a process start and a poll on a loaded machine. */
const TAKEOVER_WITHIN = EXPIRY + 6000;

interface Invocation {
  readonly child: ChildProcess;
  readonly reads: { start: number; end: number }[];
  readonly checkpoints: { token: number | undefined; at: number }[];
  readonly delivered: string[];
  readonly ended: Promise<string>;
  killedAt?: number;
}

let n = 0;

function start(
  store: StoreKind,
  storeName: string,
  stream: string,
  id: string,
  options: { handoff?: SuccessorEvent['handoff']; final?: boolean; budget?: number; pause?: number },
  on: (line: string, invocation: Invocation) => void = () => undefined,
): Invocation {
  const child = spawn(process.execPath, ['--import', 'tsx', FIXTURE], {
    env: {
      ...process.env,
      AWS_SETTINGS: JSON.stringify(aws().awsSettings),
      STORE: store,
      STORE_NAME: storeName,
      STREAM: stream,
      INVOCATION_ID: id,
      BUDGET_MILLIS: String(options.budget ?? BUDGET),
      EXPIRY_MILLIS: String(EXPIRY),
      LEAD_MILLIS: String(LEAD),
      ...(options.pause ? { HANDOVER_PAUSE: String(options.pause) } : {}),
      ...(options.handoff ? { HANDOFF: JSON.stringify(options.handoff) } : {}),
      ...(options.final ? { FINAL: '1' } : {}),
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let end: (line: string) => void = () => undefined;
  const invocation: Invocation = {
    child,
    reads: [],
    checkpoints: [],
    delivered: [],
    ended: new Promise((resolve) => (end = resolve)),
  };
  child.on('exit', (_code, signal) => end(signal ?? 'exited'));
  createInterface({ input: child.stdout as NodeJS.ReadableStream }).on('line', (line) => {
    const [kind, ...rest] = line.split(' ');
    if (kind === 'READ') invocation.reads.push({ start: Number(rest[0]), end: Number(rest[1]) });
    else if (kind === 'DELIVERED') invocation.delivered.push(rest.join(' '));
    else if (kind === 'CHECKPOINT')
      invocation.checkpoints.push({
        token: rest[0] === '-' ? undefined : Number(rest[0]),
        at: Number(rest[1]),
      });
    on(line, invocation);
  });
  return invocation;
}

function kill(invocation: Invocation): void {
  invocation.killedAt = Date.now();
  invocation.child.kill('SIGKILL');
}

async function killedInHandover(store: StoreKind, where: 'mid-read' | 'mid-handover') {
  const own = ++n;
  const stream = `continuous-kill-${own}`;
  const storeName = store === 'ssm' ? uniquePath() : `continuous-kill-${own}`;
  await createStream(aws().clients.client('kinesis', KinesisClient), stream, 1);
  if (store === 'dynamodb') await createTable(storeName);
  const producer = trickle(aws(), stream, 100);
  let successor: Invocation | undefined;
  let successorStarted: () => void = () => undefined;
  const started = new Promise<void>((resolve) => (successorStarted = resolve));
  const first = start(
    store,
    storeName,
    stream,
    'inv-1',
    where === 'mid-handover' ? { pause: HANDOVER_PAUSE } : {},
    (line, self) => {
      if (line.startsWith('SUCCESSOR ')) {
        const event = JSON.parse(line.slice('SUCCESSOR '.length)) as SuccessorEvent;
        // The successor reads until well after the takeover, and picks up every record left.
        successor = start(store, storeName, stream, 'inv-2', {
          handoff: event.handoff,
          final: true,
          budget: LEAD + TAKEOVER_WITHIN + 2000,
        });
        successorStarted();
        // Mid-read: the predecessor is still reading (its budget has LEAD to go).
        if (where === 'mid-read') kill(self);
      } else if (line === 'HANDING-OVER' && where === 'mid-handover') {
        kill(self);
      }
    },
  );
  await started;
  expect(await first.ended).toBe('SIGKILL');
  const second = successor as unknown as Invocation;
  // Records keep arriving until the successor has read for a while, so some come after the takeover.
  while (second.reads.length < 5) await new Promise((resolve) => setTimeout(resolve, 100));
  const sent = await producer.stop();
  await second.ended;
  return { first, second, sent };
}

async function createTable(TableName: string): Promise<void> {
  await aws()
    .clients.client('dynamodb', DynamoDBClient)
    .send(
      new CreateTableCommand({
        TableName,
        AttributeDefinitions: [
          { AttributeName: 'pk', AttributeType: 'S' },
          { AttributeName: 'sk', AttributeType: 'S' },
        ],
        KeySchema: [
          { AttributeName: 'pk', KeyType: 'HASH' },
          { AttributeName: 'sk', KeyType: 'RANGE' },
        ],
        BillingMode: 'PAY_PER_REQUEST',
      }),
    );
}

describe('continuous mode: a consumer process SIGKILLed during a handover', () => {
  it.concurrent.each([
    ['ssm', 'mid-read'],
    ['dynamodb', 'mid-read'],
    ['ssm', 'mid-handover'],
    ['dynamodb', 'mid-handover'],
  ] as const)(
    '%s, killed %s: the successor takes over within seconds, nothing lost, never two readers',
    async (store, where) => {
      const { first, second, sent } = await killedInHandover(store, where);
      const killedAt = first.killedAt as number;
      expect(first.reads.length).toBeGreaterThan(0);
      // Never two readers: the killed process's reads all ended before it died, and the successor's
      // first began after.
      const firstRead = Math.min(...second.reads.map((r) => r.start));
      expect(Math.max(...first.reads.map((r) => r.end))).toBeLessThanOrEqual(killedAt);
      expect(firstRead).toBeGreaterThan(killedAt);
      // Within seconds: the lease's expiry decides it, not the killed invocation's hard end.
      expect(firstRead - killedAt).toBeLessThan(TAKEOVER_WITHIN);
      // Nothing lost; duplicates only from the killed one's unfinished work.
      const delivered = new Set([...first.delivered, ...second.delivered]);
      expect(sent.filter((d) => !delivered.has(d))).toEqual([]);
      if (store === 'dynamodb') {
        const killedTokens = first.checkpoints.map((c) => c.token as number);
        const takerTokens = second.checkpoints.map((c) => c.token as number);
        expect(takerTokens.length).toBeGreaterThan(0);
        expect(Math.min(...takerTokens)).toBeGreaterThan(Math.max(0, ...killedTokens));
      }
      // The successor's checkpoint writes all come after the kill.
      expect(second.checkpoints.every((c) => c.at > killedAt)).toBe(true);
    },
    120_000,
  );
});
