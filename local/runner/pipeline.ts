import { KinesisClient } from '@aws-sdk/client-kinesis';
import { CreateQueueCommand, GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { ExamplePipeline } from '../../bin/example-pipeline';
import {
  CONSUMER_DEFAULTS,
  consumerEnvironment,
  envVarName,
  producerEnvironment,
  type AwsOptions,
  type Deserializer,
} from '../../functions/core/config';
import {
  CONSUMER_CONSTRUCT_DEFAULTS,
  PRODUCER_CONSTRUCT_DEFAULTS,
  consumerFunctionTimeoutSeconds,
  consumerTimeBudgetMillis,
  continuousFunctionTimeoutSeconds,
  defaultProducerBatchSize,
  producerVisibilityTimeoutSeconds,
} from '../../lib/construct-defaults';
import { ALLOCATOR_ENVIRONMENT } from '../../functions/core/allocator-environment';
import { consumerCheckpointPath } from '../../functions/core/checkpoints/checkpoint-path';
import { LOCAL_CREDENTIALS, type LocalAws } from '../harness';
import { createStreamAndWait } from '../kinesis/streams';

const DAY_SECONDS = 24 * 60 * 60;

/** One stream as the runner creates it. */
export interface LocalStream {
  readonly id: string;
  readonly name: string;
  readonly shardCount: number;
}

/** The producer's queues and event source mapping, as `KinesisProducer` would deploy them. */
export interface LocalProducer {
  readonly producerName: string;
  readonly fifo: boolean;
  readonly queueName: string;
  readonly deadLetterQueueName: string;
  readonly queueRetentionSeconds: number;
  readonly deadLetterQueueRetentionSeconds: number;
  readonly maxReceiveCount: number;
  readonly batchSize: number;
  /** None for a FIFO queue. */
  readonly maxBatchingWindowMillis: number;
  readonly maxConcurrency: number;
  /** Compressed. */
  readonly functionTimeoutMillis: number;
  /** Compressed, in whole seconds as SQS takes it. */
  readonly visibilityTimeoutSeconds: number;
}

/** The consumer's function, schedule and checkpoints, as `KinesisConsumer` would deploy them. */
export interface LocalConsumer {
  readonly consumerName: string;
  /**
   * Continuous mode: the example's setting (the construct's default, continuous) in a real-time run; the
   * scheduled design in a compressed one, where the lease's expiry would fall below its fixed margin.
   */
  readonly continuous: boolean;
  readonly deserializer: Deserializer;
  readonly parallelism: number;
  readonly checkpointPath: string;
  readonly onFailureQueueName: string;
  readonly onFailureQueueRetentionSeconds: number;
  /** Compressed, like every duration below. */
  readonly schedulePeriodMillis: number;
  readonly functionTimeoutMillis: number;
  readonly timeBudgetMillis: number;
  readonly checkpointIntervalMillis: number;
  readonly discoveryIntervalMillis: number;
  readonly leaseSettleMillis: number;
  readonly shutdownReserveMillis: number;
}

/** The example pipeline resolved for this machine: every value a deployment would have, compressed in time. */
export interface LocalPipeline {
  readonly timeScale: number;
  readonly streams: readonly LocalStream[];
  readonly producer: LocalProducer;
  readonly consumer: LocalConsumer;
}

export interface PipelineOverrides {
  /** Streams in all; beyond the example's own, copies of its first stream. @default the example's */
  readonly streams?: number;
  /** Shards of every stream. @default each stream's own */
  readonly shards?: number;
  /** @default the example's */
  readonly parallelism?: number;
  /** Durations of the deployment are divided by this. @default 1 */
  readonly timeScale?: number;
  /**
   * Real time (time scale 1): a continuous consumer's invocations read this long each, where a
   * deployed one reads 14 minutes. @default - not a real-time run: the scheduled design
   */
  readonly continuousBudgetMillis?: number;
}

/**
 * The example pipeline with the constructs' defaults filled in by their own rules
 * (lib/construct-defaults.ts), and every duration of the deployment (schedule period, function
 * timeouts, time budget, checkpoint and discovery intervals, visibility timeout, batching window)
 * divided by `timeScale`. Kinesis's own limits and the runtime's read and write pacing are not compressed.
 */
export function resolveLocalPipeline(
  definition: ExamplePipeline,
  overrides: PipelineOverrides = {},
): LocalPipeline {
  const scale = overrides.timeScale ?? 1;
  const compress = (millis: number) => Math.max(1, Math.round(millis / scale));
  const first = definition.streams[0];
  if (!first) throw new Error('The example pipeline defines no stream.');
  const count = overrides.streams ?? definition.streams.length;
  const streams: LocalStream[] = Array.from({ length: count }, (_, i) => {
    const own = definition.streams[i];
    return {
      id: own?.id ?? `${first.id}${i + 1}`,
      name: own?.localName ?? `${first.localName}-${i + 1}`,
      shardCount: overrides.shards ?? own?.shardCount ?? first.shardCount,
    };
  });

  const P = PRODUCER_CONSTRUCT_DEFAULTS;
  const fifo = definition.producer.fifo ?? false;
  const suffix = fifo ? '.fifo' : '';
  const producerTimeoutSeconds = P.functionTimeoutSeconds;
  const producer: LocalProducer = {
    producerName: definition.producer.producerName,
    fifo,
    queueName: `${definition.producer.producerName}-queue${suffix}`,
    deadLetterQueueName: `${definition.producer.producerName}-dlq${suffix}`,
    queueRetentionSeconds: P.queueRetentionDays * DAY_SECONDS,
    deadLetterQueueRetentionSeconds: P.deadLetterQueueRetentionDays * DAY_SECONDS,
    maxReceiveCount: P.maxReceiveCount,
    batchSize: defaultProducerBatchSize(fifo),
    maxBatchingWindowMillis: fifo ? 0 : compress(P.maxBatchingWindowSeconds * 1000),
    maxConcurrency: P.maxConcurrency,
    functionTimeoutMillis: compress(producerTimeoutSeconds * 1000),
    visibilityTimeoutSeconds: Math.ceil(producerVisibilityTimeoutSeconds(producerTimeoutSeconds) / scale),
  };

  const C = CONSUMER_CONSTRUCT_DEFAULTS;
  const periodSeconds = C.schedulePeriodMinutes * 60;
  const continuousBudget = overrides.continuousBudgetMillis;
  if (continuousBudget !== undefined && scale !== 1) {
    throw new RangeError(`A continuous consumer runs in real time only; the time scale is ${scale}.`);
  }
  const continuous =
    continuousBudget !== undefined && (definition.consumer.continuous ?? CONSUMER_DEFAULTS.continuous);
  const timeoutMillis =
    continuous && continuousBudget !== undefined
      ? continuousFunctionTimeoutSeconds(continuousBudget) * 1000
      : consumerFunctionTimeoutSeconds(periodSeconds) * 1000;
  const consumer: LocalConsumer = {
    consumerName: definition.consumer.consumerName,
    continuous,
    deserializer: definition.consumer.deserializer,
    parallelism: overrides.parallelism ?? definition.consumer.parallelism ?? C.parallelism,
    checkpointPath: consumerCheckpointPath(definition.consumer.consumerName),
    onFailureQueueName: `${definition.consumer.consumerName}-on-failure`,
    onFailureQueueRetentionSeconds: C.onFailureQueueRetentionDays * DAY_SECONDS,
    schedulePeriodMillis: compress(periodSeconds * 1000),
    functionTimeoutMillis: compress(timeoutMillis),
    timeBudgetMillis:
      continuous && continuousBudget !== undefined
        ? continuousBudget
        : compress(consumerTimeBudgetMillis(timeoutMillis)),
    checkpointIntervalMillis: compress(CONSUMER_DEFAULTS.checkpointIntervalMillis),
    discoveryIntervalMillis: compress(CONSUMER_DEFAULTS.discoveryIntervalMillis),
    // The lease's settle delay and the time kept for the last checkpoint, compressed with the schedule.
    leaseSettleMillis: compress(CONSUMER_DEFAULTS.leaseSettleMillis),
    shutdownReserveMillis: compress(CONSUMER_DEFAULTS.shutdownReserveMillis),
  };
  return { timeScale: scale, streams, producer, consumer };
}

/** The resources created on the local servers. */
export interface PipelineResources {
  readonly streamNames: readonly string[];
  readonly queueUrl: string;
  readonly deadLetterQueueUrl: string;
  readonly onFailureQueueUrl: string;
}

/** Creates the pipeline's streams and queues on the local servers, with the attributes a deployment gives them. */
export async function createPipelineResources(
  aws: LocalAws,
  pipeline: LocalPipeline,
): Promise<PipelineResources> {
  const kinesis = aws.clients.client('kinesis', KinesisClient);
  const sqs = aws.clients.client('sqs', SQSClient);
  await Promise.all(pipeline.streams.map((s) => createStreamAndWait(kinesis, s.name, s.shardCount)));
  const { producer, consumer } = pipeline;
  const fifo: Record<string, string> = producer.fifo ? { FifoQueue: 'true' } : {};
  // SSE-SQS as the constructs set it; the local server stores the setting and encrypts nothing.
  const encrypted: Record<string, string> = { SqsManagedSseEnabled: 'true' };
  const deadLetterQueueUrl = await createQueue(sqs, producer.deadLetterQueueName, {
    ...fifo,
    ...encrypted,
    MessageRetentionPeriod: String(producer.deadLetterQueueRetentionSeconds),
  });
  const deadLetterArn = await queueArn(sqs, deadLetterQueueUrl);
  const queueUrl = await createQueue(sqs, producer.queueName, {
    ...fifo,
    ...encrypted,
    MessageRetentionPeriod: String(producer.queueRetentionSeconds),
    VisibilityTimeout: String(producer.visibilityTimeoutSeconds),
    RedrivePolicy: JSON.stringify({
      deadLetterTargetArn: deadLetterArn,
      maxReceiveCount: producer.maxReceiveCount,
    }),
  });
  const onFailureQueueUrl = await createQueue(sqs, consumer.onFailureQueueName, {
    ...encrypted,
    MessageRetentionPeriod: String(consumer.onFailureQueueRetentionSeconds),
  });
  return {
    streamNames: pipeline.streams.map((s) => s.name),
    queueUrl,
    deadLetterQueueUrl,
    onFailureQueueUrl,
  };
}

async function createQueue(
  sqs: SQSClient,
  name: string,
  attributes: Record<string, string>,
): Promise<string> {
  const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: name, Attributes: attributes }));
  if (!QueueUrl) throw new Error(`CreateQueue of ${name} returned no URL.`);
  return QueueUrl;
}

async function queueArn(sqs: SQSClient, queueUrl: string): Promise<string> {
  const { Attributes } = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn'] }),
  );
  const arn = Attributes?.QueueArn;
  if (!arn) throw new Error(`GetQueueAttributes of ${queueUrl} returned no QueueArn.`);
  return arn;
}

/** Where the functions find the local servers: per-service endpoints and the dummy credentials they accept. */
export interface LocalEndpoints {
  readonly region: string;
  readonly endpoints: AwsOptions['endpoints'];
}

/** Credentials cannot go through the typed options (a deployed function uses its role), so they are named here. */
function credentialVariables(): Record<string, string> {
  return {
    [envVarName('aws.credentials.provider')]: LOCAL_CREDENTIALS.provider,
    [envVarName('aws.credentials.provider.basic.accesskeyid')]: LOCAL_CREDENTIALS.accessKeyId,
    [envVarName('aws.credentials.provider.basic.secretkey')]: LOCAL_CREDENTIALS.secretAccessKey,
  };
}

/**
 * The producer function's environment as `KinesisProducer` writes it for the example (its settings as
 * `SKC_*` variables through the config module's own mapping, its name and dead-letter queue included),
 * plus the local endpoints and credentials.
 */
export function producerFunctionEnvironment(
  pipeline: LocalPipeline,
  resources: PipelineResources,
  local: LocalEndpoints,
): Record<string, string> {
  return {
    ...producerEnvironment({
      aws: { region: local.region, ...(local.endpoints ? { endpoints: local.endpoints } : {}) },
      defaultStream: resources.streamNames[0],
      allowedStreams: resources.streamNames,
      producerName: pipeline.producer.producerName,
      deadLetterQueueUrl: resources.deadLetterQueueUrl,
      sourceQueueUrl: resources.queueUrl,
      maxReceiveCount: pipeline.producer.maxReceiveCount,
    }),
    ...ALLOCATOR_ENVIRONMENT,
    ...credentialVariables(),
  };
}

/**
 * The consumer function's environment as `KinesisConsumer` writes it for the example, with its
 * schedule-bound settings (time budget, checkpoint and discovery intervals) compressed, plus the local
 * endpoints and credentials.
 */
export function consumerFunctionEnvironment(
  pipeline: LocalPipeline,
  resources: PipelineResources,
  local: LocalEndpoints,
  reading: { readonly efo?: boolean } = {},
): Record<string, string> {
  const { consumer } = pipeline;
  return {
    ...consumerEnvironment({
      // With EFO the consumer registers its stream consumer (LAZY) under its own name.
      ...(reading.efo
        ? { recordPublisher: 'EFO' as const, efo: { consumerName: consumer.consumerName } }
        : {}),
      aws: { region: local.region, ...(local.endpoints ? { endpoints: local.endpoints } : {}) },
      streams: resources.streamNames,
      parallelism: consumer.parallelism,
      timeBudgetMillis: consumer.timeBudgetMillis,
      checkpoint: { ssmPrefix: consumer.checkpointPath },
      deserializer: consumer.deserializer,
      consumerName: consumer.consumerName,
      onFailure: { queueUrl: resources.onFailureQueueUrl },
      // Continuous in a real-time run (successors start through the local Lambda Invoke endpoint), as
      // deployed (the default, so unset); the scheduled design in a compressed one.
      ...(consumer.continuous ? {} : { continuous: false }),
      ...(pipeline.timeScale !== 1
        ? {
            checkpointIntervalMillis: consumer.checkpointIntervalMillis,
            discoveryIntervalMillis: consumer.discoveryIntervalMillis,
          }
        : {}),
    }),
    ...ALLOCATOR_ENVIRONMENT,
    ...credentialVariables(),
  };
}
