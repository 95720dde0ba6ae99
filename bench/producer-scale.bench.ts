/**
 * `npm run bench -- producer-scale`: producer containers at deployment scale. Each container is a
 * process of its own, as Lambda runs them: the real handler module behind its own local event source
 * mapping poller, taking batches of 100 from one shared local SQS queue. Together they write a burst of
 * records of about 2 KiB to a 2-shard stream on the local Kinesis with Kinesis's write limits enforced.
 * Each scenario runs twice in the same run: with the deployment-wide budget (each container's share
 * from the queue's in-flight count) and, as the anchor, with today's per-container limiter (each
 * container takes the whole budget). `PRODUCER_SCALE_RECORDS` makes the burst smaller for a quick look.
 */
import { fork, type ChildProcess } from 'node:child_process';
import * as path from 'node:path';
import { createHash } from 'node:crypto';
import { KinesisClient } from '@aws-sdk/client-kinesis';
import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { envVarName } from '../functions/core/config/env';
import { REJECTION_ATTRIBUTE } from '../functions/core/producer/dead-letter';
import { deaggregate } from '../functions/core/record-format';
import { systemClock } from '../functions/core/time/clock';
import { LOCAL_CREDENTIALS, startLocalAws, type LocalAws } from '../local/harness';
import { createStreamAndWait } from '../local/kinesis/streams';
import { shardUtilisation } from '../local/kinesis/write-limits';
import { readStream } from '../test/support/producer-e2e';
import type { BenchRow, BenchSection } from './harness';

const CONTAINER = path.join(__dirname, 'producer-scale-container.ts');
const RECORDS = Number(process.env.PRODUCER_SCALE_RECORDS ?? 40_000);
const RECORD_BYTES = 2048;
const SHARDS = 2;
const BATCH_SIZE = 100;
const MAX_RECEIVE_COUNT = 5;
/** A run whose backlog did not keep the shards this busy (in both designs) did not reach the limits. */
const CONCLUSIVE_UTILISATION = 0.8;
/** Longest a scenario may take to drain before it is stopped and reported as it stands. */
const DRAIN_LIMIT_MILLIS = 600_000;

type Design = 'shared' | 'per-container';

/** Containers over the run: a list of [from this fraction of the burst written, this many containers]. */
interface Scenario {
  readonly name: string;
  readonly steps: readonly (readonly [number, number])[];
}

const SCENARIOS: readonly Scenario[] = [
  { name: '10 containers', steps: [[0, 10]] },
  { name: '1 container', steps: [[0, 1]] },
  { name: '3 containers', steps: [[0, 3]] },
  {
    name: '3 -> 10 -> 5 containers',
    steps: [
      [0, 3],
      [0.3, 10],
      [0.65, 5],
    ],
  },
];

interface Outcome {
  readonly utilisation: number;
  readonly throttled: number;
  readonly attempted: number;
  readonly deadLettered: number;
  readonly deadLettersWithoutReason: number;
  readonly lost: number;
  readonly duplicates: number;
  readonly drainSeconds: number;
  readonly drained: boolean;
  /** Throttled entries per second of the run, [seconds after the first write, entries], where any were. */
  readonly throttleTimeline: readonly [number, number][];
}

export async function run(): Promise<BenchSection> {
  const rows: BenchRow[] = [];
  const notes: string[] = [];
  const only = process.env.PRODUCER_SCALE_SCENARIOS?.split(',');
  for (const scenario of SCENARIOS.filter((s) => !only || only.some((o) => s.name.startsWith(o)))) {
    const shared = await runScenario(scenario, 'shared');
    const anchor = await runScenario(scenario, 'per-container');
    const conclusive =
      shared.drained &&
      anchor.drained &&
      (shared.utilisation >= CONCLUSIVE_UTILISATION || anchor.utilisation >= CONCLUSIVE_UTILISATION);
    const tag = conclusive ? '' : ' (INCONCLUSIVE: the limits were not reached)';
    const anchorOf = (value: number) => ({ label: 'per-container', value });
    rows.push(
      {
        label: `${scenario.name}: shard budget used while the backlog lasts${tag}`,
        value: 100 * shared.utilisation,
        unit: '%',
        anchor: anchorOf(100 * anchor.utilisation),
        target: { minValue: 90 },
      },
      {
        label: `${scenario.name}: throttled entries / entries attempted${tag}`,
        value: percent(shared.throttled, shared.attempted),
        unit: '%',
        anchor: anchorOf(percent(anchor.throttled, anchor.attempted)),
        target: { maxValue: 1 },
      },
      {
        label: `${scenario.name}: valid records in the DLQ${tag}`,
        value: shared.deadLettered,
        unit: 'records',
        anchor: anchorOf(anchor.deadLettered),
        target: { maxValue: 0 },
      },
      {
        label: `${scenario.name}: records lost (KCL shard-range rule)${tag}`,
        value: shared.lost,
        unit: 'records',
        anchor: anchorOf(anchor.lost),
        target: { maxValue: 0 },
      },
    );
    notes.push(
      `${scenario.name}: shared ${describe(shared)}; per-container ${describe(anchor)}.` +
        (conclusive ? '' : ' INCONCLUSIVE: neither design kept the shards at 80 % of their limits.'),
    );
    if (scenario.name.startsWith('10')) {
      notes.push(
        `${scenario.name}: target shard budget used >= 90 % (shared: ${(100 * shared.utilisation).toFixed(1)} %, ` +
          `${shared.utilisation >= 0.9 ? 'met' : 'NOT met'}).`,
      );
    }
  }
  notes.push(
    `${RECORDS.toLocaleString('en-US')} records of ${RECORD_BYTES} bytes of data, random partition keys, to ${SHARDS} ` +
      `shards limited to 1,000 records/s and 1 MiB/s each; batches of ${BATCH_SIZE}; maxReceiveCount ` +
      `${MAX_RECEIVE_COUNT}; each container a child process running functions/producer/handler.ts. Budget used: ` +
      "the larger of the records and bytes shares of both shards' limits, from the first write to the last. " +
      'Records lost: written records read back per shard, aggregates deaggregated, sub-records outside the ' +
      "shard's hash range dropped (KCL's rule), then compared with the records sent less those in the DLQ.",
  );
  return { title: 'Producer at deployment scale (local Kinesis with write limits)', rows, notes };
}

/** A call of the bench's own, tried again when a starved machine lets it time out. */
async function patiently<T>(call: () => Promise<T>, attempts = 5): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await call();
    } catch (error) {
      if (attempt >= attempts) throw error;
      await systemClock.sleep(1000 * attempt);
    }
  }
}

function percent(part: number, whole: number): number {
  return whole > 0 ? (100 * part) / whole : 0;
}

function describe(o: Outcome): string {
  return (
    `${(100 * o.utilisation).toFixed(1)} % of the budget, ${o.throttled}/${o.attempted} entries throttled, ` +
    `${o.deadLettered} dead-lettered (${o.deadLettersWithoutReason} without a reason), ${o.lost} lost, ` +
    `${o.duplicates} duplicates, drained in ${o.drainSeconds.toFixed(1)} s${o.drained ? '' : ' (NOT drained)'}` +
    (o.throttleTimeline.length > 0
      ? `, throttled entries by second of the run ${o.throttleTimeline.map(([s, n]) => `${s}:${n}`).join(' ')}`
      : '')
  );
}

async function runScenario(scenario: Scenario, design: Design): Promise<Outcome> {
  const aws = await startLocalAws({ kinesis: { writeLimits: true }, sqs: true });
  // Every container started (for the clean-up), and those of them sent go and not stopped yet.
  const children: ChildProcess[] = [];
  const active: ChildProcess[] = [];
  try {
    const kinesis = aws.clients.client('kinesis', KinesisClient);
    const sqs = aws.clients.client('sqs', SQSClient);
    const stream = 'scale-stream';
    await createStreamAndWait(kinesis, stream, SHARDS);
    const dlqUrl = await createQueue(sqs, 'scale-dlq', {});
    const queueUrl = await createQueue(sqs, 'scale-queue', {
      // A failed batch comes back after this; short, so a run with failures still drains in the bench.
      VisibilityTimeout: '30',
      RedrivePolicy: JSON.stringify({
        deadLetterTargetArn: 'arn:aws:sqs:us-east-1:000000000000:scale-dlq',
        maxReceiveCount: MAX_RECEIVE_COUNT,
      }),
    });
    await sendBurst(sqs, queueUrl);

    const env = containerEnvironment(aws, { stream, queueUrl, dlqUrl, design });
    // Every container the scenario uses is loaded before the first writes, then parked: a scenario's
    // growing concurrency wakes warm containers (Lambda's cold starts take no CPU from the others).
    const most = Math.max(...scenario.steps.map(([, n]) => n));
    children.push(...(await Promise.all(Array.from({ length: most }, () => startContainer(env)))));
    const parked = [...children];
    const startedAt = systemClock.now();
    const written = () => aws.kinesis.writeLimits?.usage().reduce((n, u) => n + u.bytesAccepted, 0) ?? 0;
    const burstBytes = RECORDS * (RECORD_BYTES + 40);
    let steps = [...scenario.steps];
    const target = () => {
      let count = 0;
      for (const [from, n] of steps) if (written() >= from * burstBytes) count = n;
      return count;
    };
    let drained = false;
    for (;;) {
      const want = target();
      while (active.length < want) {
        const child = parked.pop() as ChildProcess;
        child.send({ type: 'go' });
        active.push(child);
      }
      while (active.length > want) await stopContainer(active.pop()!);
      if ((await inQueue(sqs, queueUrl)) === 0) {
        drained = true;
        break;
      }
      if (systemClock.now() - startedAt > DRAIN_LIMIT_MILLIS) break;
      await systemClock.sleep(200);
    }
    steps = [];
    await Promise.all(children.map(stopContainer));

    const usage = aws.kinesis.writeLimits!.usage();
    const lastWrite = Math.max(...usage.map((u) => u.lastAt));
    // The backlog is there from the start; it is being written from the first write to the last.
    const firstWrite = Math.min(...usage.map((u) => u.firstAt));
    const utilisation = shardUtilisation(usage, aws.kinesis.writeLimits!, {
      from: firstWrite,
      to: lastWrite,
      shardCount: SHARDS,
    });
    const throttled = usage.reduce((n, u) => n + u.entriesThrottled, 0);
    const attempted = throttled + usage.reduce((n, u) => n + u.recordsAccepted, 0);
    const letters = await drainQueue(sqs, dlqUrl);
    const lettered = new Set(
      letters.map((m) => (JSON.parse(m.Body ?? '{}') as { data: { n: number } }).data.n),
    );
    const deadLettered = lettered.size;
    const { kept, duplicates } = await readBack(kinesis, stream);
    let lost = 0;
    for (let n = 0; n < RECORDS; n++) if (!kept.has(n) && !lettered.has(n)) lost++;
    return {
      utilisation,
      throttled,
      attempted,
      deadLettered,
      deadLettersWithoutReason: letters.filter(
        (m) => !m.MessageAttributes?.[REJECTION_ATTRIBUTE]?.StringValue,
      ).length,
      lost,
      duplicates,
      drainSeconds: (lastWrite - firstWrite) / 1000,
      drained,
      throttleTimeline: aws.kinesis.writeLimits!.throttleTimeline(firstWrite),
    };
  } finally {
    await Promise.all(children.map((c) => stopContainer(c).catch(() => undefined)));
    await aws.stop();
  }
}

function containerEnvironment(
  aws: LocalAws,
  options: { stream: string; queueUrl: string; dlqUrl: string; design: Design },
): NodeJS.ProcessEnv {
  const v = envVarName;
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    POWERTOOLS_METRICS_DISABLED: 'true',
    POWERTOOLS_LOG_LEVEL: 'ERROR',
    AWS_SDK_JS_SUPPRESS_MAINTENANCE_MODE_MESSAGE: '1',
    // The SDK's once-per-process Node 20 notice (the README says so), ten times over, hides the figures.
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    BENCH_AWS_SETTINGS: JSON.stringify(aws.awsSettings),
    BENCH_QUEUE_URL: options.queueUrl,
    BENCH_BATCH_SIZE: String(BATCH_SIZE),
    [v('aws.region')]: aws.region,
    [v('aws.endpoint.kinesis')]: aws.endpoints.kinesis ?? '',
    [v('aws.endpoint.sqs')]: aws.endpoints.sqs ?? '',
    [v('aws.credentials.provider')]: LOCAL_CREDENTIALS.provider,
    [v('aws.credentials.provider.basic.accesskeyid')]: LOCAL_CREDENTIALS.accessKeyId,
    [v('aws.credentials.provider.basic.secretkey')]: LOCAL_CREDENTIALS.secretAccessKey,
    [v('producer.defaultstream')]: options.stream,
    [v('producer.deadletterqueueurl')]: options.dlqUrl,
    [v('producer.name')]: 'scale-bench',
    [v('producer.maxreceivecount')]: String(MAX_RECEIVE_COUNT),
  };
  // The anchor is today's design: every container takes the whole budget, knowing of no other.
  if (options.design === 'shared') env[v('producer.sourcequeueurl')] = options.queueUrl;
  return env;
}

function startContainer(env: NodeJS.ProcessEnv): Promise<ChildProcess> {
  return new Promise((resolve, reject) => {
    const child = fork(CONTAINER, [], {
      env,
      execArgv: ['--import', 'tsx'],
      stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    });
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`A container exited with ${code} before it was ready.`)));
    child.once('message', () => resolve(child));
  });
}

function stopContainer(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || !child.connected) {
      resolve();
      return;
    }
    child.removeAllListeners('exit');
    child.once('exit', () => resolve());
    child.send({ type: 'stop' });
  });
}

async function createQueue(
  sqs: SQSClient,
  name: string,
  attributes: Record<string, string>,
): Promise<string> {
  const { QueueUrl = '' } = await sqs.send(
    new CreateQueueCommand({ QueueName: name, Attributes: attributes }),
  );
  return QueueUrl;
}

async function sendBurst(sqs: SQSClient, queueUrl: string): Promise<void> {
  const pad = 'x'.repeat(RECORD_BYTES - 40);
  const batches: Promise<unknown>[] = [];
  for (let i = 0; i < RECORDS; i += 10) {
    batches.push(
      patiently(() =>
        sqs.send(
          new SendMessageBatchCommand({
            QueueUrl: queueUrl,
            Entries: Array.from({ length: Math.min(10, RECORDS - i) }, (_, j) => ({
              Id: `m${j}`,
              MessageBody: JSON.stringify({ data: { n: i + j, pad }, partitionKey: `key-${(i + j) * 7919}` }),
            })),
          }),
        ),
      ),
    );
    if (batches.length >= 20) await Promise.all(batches.splice(0));
  }
  await Promise.all(batches);
}

async function inQueue(sqs: SQSClient, queueUrl: string): Promise<number> {
  const { Attributes = {} } = await patiently(() =>
    sqs.send(
      new GetQueueAttributesCommand({
        QueueUrl: queueUrl,
        AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
      }),
    ),
  );
  return (
    Number(Attributes.ApproximateNumberOfMessages) + Number(Attributes.ApproximateNumberOfMessagesNotVisible)
  );
}

async function drainQueue(sqs: SQSClient, queueUrl: string) {
  const all = [];
  for (;;) {
    const { Messages = [] } = await patiently(() =>
      sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: queueUrl,
          MaxNumberOfMessages: 10,
          VisibilityTimeout: 600,
          MessageAttributeNames: ['All'],
        }),
      ),
    );
    if (Messages.length === 0) return all;
    all.push(...Messages);
  }
}

/** The records a KCL reader keeps: per shard, sub-records whose hash key lies outside the shard are dropped. */
async function readBack(
  kinesis: KinesisClient,
  stream: string,
): Promise<{ kept: Set<number>; duplicates: number }> {
  const kept = new Set<number>();
  let duplicates = 0;
  for (const shard of await readStream(kinesis, stream)) {
    for (const record of shard.records) {
      for (const user of deaggregate(record)) {
        const hash = BigInt(
          user.explicitHashKey ?? `0x${createHash('md5').update(user.partitionKey, 'utf8').digest('hex')}`,
        );
        if (hash < shard.start || hash > shard.end) continue;
        const id = (JSON.parse(Buffer.from(user.data).toString('utf8')) as { n: number }).n;
        if (kept.has(id)) duplicates++;
        kept.add(id);
      }
    }
  }
  return { kept, duplicates };
}
