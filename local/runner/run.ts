import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { KinesisClient } from '@aws-sdk/client-kinesis';
import { SQSClient } from '@aws-sdk/client-sqs';
import { EXAMPLE_PIPELINE, type Order } from '../../bin/example-pipeline';
import { ORDER_ROUTING } from '../../bin/order-routing';
import { describeError } from '../../functions/core/errors';
import { ProducerClient } from '../../functions/core/producer';
import { seededRandom, systemClock } from '../../functions/core/time/clock';
import { startLocalAws, type LocalAws } from '../harness';
import { shardUtilisation, type ShardWriteLimits } from '../kinesis/write-limits';
import { LocalLambdaServer } from '../lambda/invoke-server';
import { ConsumerFunction } from './consumer-function';
import type { ConsumerEvent } from './consumer-protocol';
import { ContinuityRecorder } from './continuity';
import { SqsEventSourceMapping } from './event-source-mapping';
import { FileLogger } from './file-logger';
import { OrderGenerator, feed } from './generator';
import { RunLedger } from './ledger';
import type { RunnerOptions } from './options';
import {
  consumerFunctionEnvironment,
  createPipelineResources,
  producerFunctionEnvironment,
  resolveLocalPipeline,
  type LocalPipeline,
  type PipelineResources,
} from './pipeline';
import { createLocalProducerFunction } from './producer-function';
import { ProgressView, type ProgressOutput, type ProgressSnapshot } from './progress';
import { reshard, type Resharding } from './resharding';
import { SubtaskSchedule } from './scheduler';
import type { StartSummary } from './summary';
import { RunTimeline, type RunTimelineData } from './timeline';
import type { WriteLimitsSummary } from './summary';

// Lambda starts five pollers for a standard queue before it scales with the queue's depth.
const INITIAL_POLLERS = 5;
// The first invocation pins the consumer's start (LATEST) before any record is sent, as a deployment
// would be running before its producers send; a cold start and the lease settle fit well within this.
const PIN_TIMEOUT_MILLIS = 60_000;
const MISSING_IDS_SHOWN = 20;
// How often the run's timeline (for the report) samples the queue, throttling and the records behind.
const SAMPLE_INTERVAL_MILLIS = 1000;

export interface RunControls {
  /** Progress lines and events. */
  readonly progress: ProgressOutput;
  /** Aborting stops sending and ends the run early, with a summary. */
  readonly signal?: AbortSignal;
  /** Called once the run is over with what it recorded over its time (for the report). */
  readonly onTimeline?: (timeline: RunTimelineData) => void;
  /**
   * With the summary, before anything stops: the servers and the example's resources stay up (the
   * producer function running again behind its queue) until the promise it returns settles.
   * Not called when the run was interrupted.
   */
  readonly serve?: (serving: ServingPipeline) => Promise<void>;
  /** Start a local DynamoDB too (serving keeps a checkpoint table in it). @default false */
  readonly dynamodb?: boolean;
}

/** What a served pipeline offers once the run is over. */
export interface ServingPipeline {
  readonly summary: StartSummary;
  readonly aws: LocalAws;
  readonly pipeline: LocalPipeline;
  readonly resources: PipelineResources;
}

/**
 * Runs the example pipeline on this machine and reports what came out: starts the local Kinesis, SQS
 * and SSM servers; creates the example's streams and queues as the CDK app defines them; runs the
 * producer function behind its queue through a local event source mapping, and the consumer function
 * in a worker process on its compressed schedule; sends orders through `ProducerClient`; optionally
 * reshards and crashes the consumer halfway; waits until every record sent is consumed (or the drain
 * timeout); stops everything and returns the summary.
 */
export async function runLocalPipeline(options: RunnerOptions, controls: RunControls): Promise<StartSummary> {
  const clock = systemClock;
  const startedAt = clock.now();
  const elapsed = () => clock.now() - startedAt;
  const logDirectory = mkdtempSync(path.join(tmpdir(), 'skc-start-'));
  const pipeline = resolveLocalPipeline(EXAMPLE_PIPELINE, {
    streams: options.streams,
    shards: options.shards,
    parallelism: options.parallelism,
    timeScale: options.timeScale,
    ...(options.realTime ? { continuousBudgetMillis: options.invocationSeconds * 1000 } : {}),
  });
  const continuity = pipeline.consumer.continuous ? new ContinuityRecorder() : undefined;
  const ledger = new RunLedger();
  const timeline = new RunTimeline();
  timeline.start(startedAt);
  const producerLogger = new FileLogger(
    path.join(logDirectory, 'producer.log'),
    pipeline.producer.producerName,
    options.logLevel,
  );
  let phase: ProgressSnapshot['phase'] = 'sending';
  let view: ProgressView | undefined;
  const event = (message: string) => {
    if (view) view.event(elapsed(), message);
    else controls.progress.write(`[${(elapsed() / 1000).toFixed(1)} s] ${message}\n`);
  };

  const aws = await startLocalAws({
    kinesis: options.efo
      ? { enhancedFanOut: true, writeLimits: options.writeLimits }
      : { writeLimits: options.writeLimits },
    ssm: true,
    sqs: true,
    dynamodb: controls.dynamodb ?? false,
  });
  let consumer: ConsumerFunction | undefined;
  let lambda: LocalLambdaServer | undefined;
  let schedule: SubtaskSchedule | undefined;
  let mapping: SqsEventSourceMapping | undefined;
  let sampler: NodeJS.Timeout | undefined;
  let destroyProducer: (() => void) | undefined;
  try {
    const resources = await createPipelineResources(aws, pipeline);
    let stopping = false;
    // A continuous consumer starts each successor with an asynchronous Invoke of itself, through the
    // Lambda client as deployed; this endpoint runs it in the consumer's sandbox.
    lambda = pipeline.consumer.continuous
      ? new LocalLambdaServer((name, error) => {
          if (!stopping) event(`asynchronous invoke of ${name} failed: ${describeError(error)}`);
        })
      : undefined;
    const lambdaEndpoint = await lambda?.listen();
    const local = {
      region: aws.region,
      endpoints: { ...aws.endpoints, ...(lambdaEndpoint ? { lambda: lambdaEndpoint } : {}) },
    };
    event(
      `local servers up; streams ${pipeline.streams.map((s) => `${s.name} (${plural(s.shardCount, 'shard')})`).join(', ')}; ` +
        `producer ${pipeline.producer.producerName}, consumer ${pipeline.consumer.consumerName} x${pipeline.consumer.parallelism}; ` +
        `time ${pipeline.timeScale}x: schedule every ${pipeline.consumer.schedulePeriodMillis} ms`,
    );

    const producer = createLocalProducerFunction(producerFunctionEnvironment(pipeline, resources, local), {
      logger: producerLogger,
      onWritten: (stream, shardId, records) => ledger.written(stream, shardId, records.map(orderIdOf)),
      routing: ORDER_ROUTING,
    });
    destroyProducer = producer.destroy;
    const sqs = aws.clients.client('sqs', SQSClient);
    const newMapping = () =>
      new SqsEventSourceMapping({
        sqs,
        queueUrl: resources.queueUrl,
        handler: producer.handler,
        batchSize: pipeline.producer.batchSize,
        maxBatchingWindowMillis: pipeline.producer.maxBatchingWindowMillis,
        functionTimeoutMillis: pipeline.producer.functionTimeoutMillis,
        concurrency: Math.min(INITIAL_POLLERS, pipeline.producer.maxConcurrency),
        functionName: pipeline.producer.producerName,
        region: aws.region,
        clock,
      });
    mapping = newMapping();

    consumer = new ConsumerFunction({
      environment: consumerFunctionEnvironment(pipeline, resources, local, { efo: options.efo }),
      settings: {
        leaseSettleMillis: pipeline.consumer.leaseSettleMillis,
        shutdownReserveMillis: pipeline.consumer.shutdownReserveMillis,
        logLevel: options.logLevel,
      },
      functionTimeoutMillis: pipeline.consumer.functionTimeoutMillis,
      logFile: path.join(logDirectory, 'consumer.log'),
      onBatch: (batch) => {
        ledger.delivered(batch);
        continuity?.delivered(
          batch.subtaskIndex,
          batch.deliveredAt,
          batch.records.map((r) => r[2]),
        );
      },
      onColdStart: (millis) => event(`consumer function cold start: ${millis} ms (a new worker process)`),
    });
    const consumerFunction = consumer;
    const invokeConsumer = (subtask: ConsumerEvent) =>
      timeline.invocation(
        subtask.subtaskIndex,
        () => clock.now(),
        async () => {
          const result = await consumerFunction.invoke(subtask);
          if ('shards' in result) {
            const first = result.shards.flatMap((s) => (s.firstReadAt !== undefined ? [s.firstReadAt] : []));
            const last = result.shards.flatMap((s) => (s.lastReadAt !== undefined ? [s.lastReadAt] : []));
            if (first.length && last.length) {
              continuity?.read({
                subtaskIndex: result.subtaskIndex,
                from: Math.min(...first),
                to: Math.max(...last),
              });
            }
          }
          return result;
        },
      );
    lambda?.register(pipeline.consumer.consumerName, (payload) => invokeConsumer(payload as ConsumerEvent));
    schedule = new SubtaskSchedule({
      periodMillis: pipeline.consumer.schedulePeriodMillis,
      parallelism: pipeline.consumer.parallelism,
      invoke: invokeConsumer,
      clock,
    });

    // Cold-start the consumer before its first tick, so the schedule starts on time.
    await consumer.warm();
    mapping.start();
    schedule.start();
    await waitForPinnedStart(aws, pipeline, controls.signal);
    event('consumer pinned its start positions (LATEST); sending');

    const kinesis = aws.clients.client('kinesis', KinesisClient);
    const half = Math.ceil(options.records / 2);
    let resharding: Promise<void> | undefined;
    let reshardResult: (Resharding & { atSeconds: number }) | undefined;
    let crash: { atSeconds: number; recordsInBatch: number } | undefined;
    const reshardKind = options.reshard;
    const firstStream = resources.streamNames[0] as string;
    const startResharding = () => {
      if (!reshardKind || resharding) return;
      const at = elapsed();
      resharding = reshard(kinesis, firstStream, reshardKind).then(
        (result) => {
          reshardResult = { ...result, atSeconds: at / 1000 };
          timeline.event(startedAt + at, 'reshard', `${result.kind} ${result.parents.join(' + ')}`);
          ledger.closed(result.stream, result.parents);
          event(
            `resharding: ${result.kind} ${result.stream} ${result.parents.join(' + ')} -> ${result.children.join(' + ')}`,
          );
        },
        (error: unknown) => event(`resharding failed: ${describeError(error)}`),
      );
    };
    if (options.crash) {
      void ledger
        .whenConsumed(half)
        .then(() => {
          event('consumer crash armed: the next batch kills its process');
          return consumerFunction.crashInNextBatch();
        })
        .then((batch) => {
          crash = { atSeconds: elapsed() / 1000, recordsInBatch: batch.records.length };
          timeline.event(clock.now(), 'crash', `crash in a batch of ${batch.records.length}`);
          event(
            `consumer crashed inside a batch of ${batch.records.length} from ${batch.stream}/${batch.shardId} ` +
              '(SIGKILL); the next tick starts a new sandbox from the checkpoints',
          );
        });
    }

    const stop = new AbortController();
    const onAbort = () => stop.abort();
    controls.signal?.addEventListener('abort', onAbort, { once: true });
    view = new ProgressView(
      controls.progress,
      () =>
        snapshot(aws, pipeline, resources, {
          elapsedMillis: elapsed(),
          phase,
          planned: options.records,
          ledger,
          producerInvocations: mapping?.stats.invocations ?? 0,
          batchItemFailures: producer.metrics.get('BatchItemFailures'),
          consumerInvocations: consumerFunction.stats.invocations,
        }),
      options.progressIntervalSeconds * 1000,
    );
    view.start();
    sampler = setInterval(() => {
      const now = snapshot(aws, pipeline, resources, {
        elapsedMillis: elapsed(),
        phase,
        planned: options.records,
        ledger,
        producerInvocations: 0,
        batchItemFailures: 0,
        consumerInvocations: 0,
      });
      timeline.sample(clock.now(), {
        queued: now.queued,
        throttledEntries: producer.metrics.get('ThrottledEntries'),
        recordsBehind: Object.fromEntries(now.shards.map((s) => [`${s.stream}/${s.shardId}`, s.lag])),
      });
    }, SAMPLE_INTERVAL_MILLIS);

    const generator = new OrderGenerator({
      count: options.records,
      recordSizeBytes: options.recordSizeBytes,
      streams: resources.streamNames,
      random: seededRandom(options.seed),
    });
    let rejectionReported = false;
    await feed({
      client: new ProducerClient({ sqs, queueUrl: resources.queueUrl, fifo: pipeline.producer.fifo }),
      generator,
      rate: options.rate,
      clock,
      signal: stop.signal,
      onSending: (id, at) => {
        ledger.sent(id, at);
        if (ledger.counts.sent >= half) startResharding();
      },
      onRejected: (ids, firstError) => {
        ledger.rejected(ids);
        if (!rejectionReported) event(`the producer's queue refused ${ids.length} record(s): ${firstError}`);
        rejectionReported = true;
      },
    });

    phase = 'draining';
    await resharding;
    const drained = ledger.whenConsumed(ledger.counts.sent).then(() => true);
    const timeout = clock
      .sleep(options.drainTimeoutSeconds * 1000, stop.signal)
      .then(() => false)
      .catch(() => false);
    if (!(await Promise.race([drained, timeout]))) {
      event(
        stop.signal.aborted
          ? 'stopped early'
          : `drain timeout: ${options.drainTimeoutSeconds} s passed with records still unconsumed`,
      );
    }
    const interrupted = controls.signal?.aborted === true;
    if (interrupted) timeline.event(clock.now(), 'interrupted', 'interrupted (Ctrl-C)');
    stop.abort();
    controls.signal?.removeEventListener('abort', onAbort);

    phase = 'stopping';
    stopping = true;
    view.stop();
    clearInterval(sampler);
    // A served pipeline lets the running invocations end, so they release their leases for `skc reset`.
    await schedule.stop(controls.serve !== undefined && !interrupted);
    await consumer.stop();
    await mapping.stop();
    const counts = ledger.counts;
    const unconsumed = ledger.missing();
    const latency = ledger.latency();
    const final = snapshot(aws, pipeline, resources, {
      elapsedMillis: elapsed(),
      phase,
      planned: options.records,
      ledger,
      producerInvocations: mapping.stats.invocations,
      batchItemFailures: producer.metrics.get('BatchItemFailures'),
      consumerInvocations: consumer.stats.invocations,
    });
    const c = consumer.stats;
    const { stillQueued, unread, missing } = interrupted
      ? classifyUnconsumed(unconsumed, (id) => ledger.isWritten(id), final.queued)
      : { stillQueued: 0, unread: 0, missing: unconsumed };
    controls.onTimeline?.(timeline.finish(clock.now(), ledger.records()));
    const summary: StartSummary = {
      ok: missing.length === 0,
      interrupted,
      recordsIn: counts.sent,
      recordsOut: counts.consumed,
      missing: missing.length,
      stillQueued,
      unread,
      duplicates: counts.duplicates,
      latencyMillis: latency ?? null,
      written: counts.written,
      rejected: counts.rejected,
      deadLettered: final.deadLettered,
      onFailure: final.onFailure,
      unknown: counts.unknown,
      durationSeconds: elapsed() / 1000,
      options,
      producer: {
        invocations: mapping.stats.invocations,
        batchItemFailures: producer.metrics.get('BatchItemFailures'),
        errors: mapping.stats.errors,
        timeouts: mapping.stats.timeouts,
      },
      consumer: {
        invocations: c.invocations,
        completed: c.completed,
        skipped: c.skipped,
        failed: c.failed,
        timedOut: c.timedOut,
        crashed: c.crashed,
        stopped: c.stopped,
        coldStarts: c.coldStarts,
        coldStartMillis: c.coldStartMillis,
      },
      checkpointWrites: final.checkpointWrites,
      ...(continuity
        ? { continuity: continuity.summary(pipeline.consumer.parallelism, options.invocationSeconds) }
        : {}),
      ...(reshardResult ? { reshard: reshardResult } : {}),
      ...(crash ? { crash } : {}),
      shards: ledger.shards(),
      missingIds: missing.slice(0, MISSING_IDS_SHOWN),
      logDirectory,
      ...(aws.kinesis.writeLimits ? { writeLimits: writeLimitsSummary(aws.kinesis.writeLimits) } : {}),
    };
    if (controls.serve && !interrupted) {
      // The producer runs again behind its queue, so records sent with `skc send` reach the stream.
      const serving = newMapping();
      serving.start();
      try {
        await controls.serve({ summary, aws, pipeline, resources });
      } finally {
        await serving.stop();
      }
    }
    return summary;
  } finally {
    clearInterval(sampler);
    view?.stop();
    await schedule?.stop();
    await consumer?.stop();
    await lambda?.close();
    await mapping?.stop();
    destroyProducer?.();
    await producerLogger.close();
    await aws.stop();
  }
}

/** Throttled entries and each written shard's use of its limits between its first and last write. */
function writeLimitsSummary(limits: ShardWriteLimits): WriteLimitsSummary {
  const usage = limits.usage();
  return {
    throttledEntries: usage.reduce((n, u) => n + u.entriesThrottled, 0),
    acceptedEntries: usage.reduce((n, u) => n + u.recordsAccepted, 0),
    shards: usage.map((u) => ({
      stream: u.stream,
      shardId: u.shardId,
      utilisation: shardUtilisation([u], limits, { from: u.firstAt, to: u.lastAt, shardCount: 1 }),
    })),
  };
}

/** `1 shard`, `2 shards`. */
function plural(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}

/** The order id in a record's data, or '' when it holds no order. */
function orderIdOf(data: Uint8Array): string {
  try {
    const text = Buffer.from(data.buffer, data.byteOffset, data.length).toString('utf8');
    const order = JSON.parse(text) as Partial<Order> | null;
    return typeof order?.orderId === 'string' ? order.orderId : '';
  } catch {
    return '';
  }
}

/** Waits until the consumer's first invocation has written its checkpoint (the pinned start positions). */
async function waitForPinnedStart(
  aws: LocalAws,
  pipeline: LocalPipeline,
  signal?: AbortSignal,
): Promise<void> {
  const deadline = Date.now() + PIN_TIMEOUT_MILLIS;
  while (checkpointParameters(aws, pipeline).length === 0) {
    if (signal?.aborted) return;
    if (Date.now() > deadline) {
      throw new Error(
        `The consumer wrote no checkpoint within ${PIN_TIMEOUT_MILLIS / 1000} s of starting; see its log.`,
      );
    }
    await systemClock.sleep(50);
  }
}

/** The SSM parameters holding the consumer's checkpoints (not its leases). */
function checkpointParameters(aws: LocalAws, pipeline: LocalPipeline): string[] {
  const prefix = `${pipeline.consumer.checkpointPath}/subtask-`;
  return aws.ssm.parameterNames().filter((name) => name.startsWith(prefix));
}

function snapshot(
  aws: LocalAws,
  pipeline: LocalPipeline,
  resources: PipelineResources,
  state: {
    elapsedMillis: number;
    phase: ProgressSnapshot['phase'];
    planned: number;
    ledger: RunLedger;
    producerInvocations: number;
    batchItemFailures: number;
    consumerInvocations: number;
  },
): ProgressSnapshot {
  const depth = (url: string) => {
    const counts = aws.sqs.messageCounts(url.split('/').pop() ?? '');
    return counts.visible + counts.inflight + counts.delayed;
  };
  // Every version of a checkpoint parameter is one write, whichever invocation made it.
  const checkpointWrites = checkpointParameters(aws, pipeline).reduce(
    (sum, name) => sum + (aws.ssm.parameter(name)?.versions.at(-1)?.version ?? 0),
    0,
  );
  return {
    elapsedMillis: state.elapsedMillis,
    phase: state.phase,
    planned: state.planned,
    counts: state.ledger.counts,
    shards: state.ledger.shards(),
    queued: depth(resources.queueUrl),
    deadLettered: depth(resources.deadLetterQueueUrl),
    onFailure: depth(resources.onFailureQueueUrl),
    producerInvocations: state.producerInvocations,
    batchItemFailures: state.batchItemFailures,
    consumerInvocations: state.consumerInvocations,
    checkpointWrites,
  };
}

/**
 * Splits the records an interrupted run sent but did not see consumed: those the producer never wrote
 * and that are still messages in its queue (as many as the queue holds), those written to the stream and
 * not yet read, and the rest, which are missing: lost, or dead-lettered.
 */
export function classifyUnconsumed(
  unconsumed: readonly string[],
  isWritten: (id: string) => boolean,
  queuedMessages: number,
): { stillQueued: number; unread: number; missing: string[] } {
  const unwritten = unconsumed.filter((id) => !isWritten(id));
  const stillQueued = Math.min(unwritten.length, queuedMessages);
  return {
    stillQueued,
    unread: unconsumed.length - unwritten.length,
    // The count is exact; which of the unwritten ids the queue still holds is not known, so the ids named
    // missing are some of the unwritten ones.
    missing: unwritten.slice(stillQueued),
  };
}
