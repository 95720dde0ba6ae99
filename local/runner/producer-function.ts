import { KinesisClient } from '@aws-sdk/client-kinesis';
import { SQSClient } from '@aws-sdk/client-sqs';
import { AwsClientFactory } from '../../functions/core/aws/clients';
import { producerConfigFromEnv, toAwsSettings } from '../../functions/core/config';
import {
  Producer,
  QueueInFlightShare,
  SqsDeadLetterQueue,
  kinesisApi,
  producerSettingsFromConfig,
  type ProducerKinesisApi,
  type ProducerLogger,
} from '../../functions/core/producer';
import { deaggregate } from '../../functions/core/record-format';
import type { ProducerRouting } from '../../functions/producer/environment';
import { createProducerHandler, type MetricsSink } from '../../functions/producer/sqs-adapter';
import type { SqsFunction } from './event-source-mapping';

/** The producer metrics of the run so far, summed over invocations as CloudWatch would sum them. */
export class MetricTotals implements MetricsSink {
  private readonly totals = new Map<string, number>();

  addMetric(name: string, _unit: 'Count' | 'Bytes' | 'Milliseconds', value: number): void {
    this.totals.set(name, (this.totals.get(name) ?? 0) + value);
  }

  publishStoredMetrics(): void {
    // Kept in memory: nothing to publish locally.
  }

  get(name: string): number {
    return this.totals.get(name) ?? 0;
  }
}

/** The data of the user records one PutRecords entry wrote to one shard. */
export type WriteObserver = (stream: string, shardId: string, userRecords: readonly Uint8Array[]) => void;

/**
 * The producer's Kinesis calls with every successful PutRecords entry reported to `observer`: its
 * shard and the user records it carries (an aggregated record deaggregated). What Kinesis's
 * shard-level IncomingRecords metric would count, record by record.
 */
export function observeWrites(api: ProducerKinesisApi, observer: WriteObserver): ProducerKinesisApi {
  return {
    listShards: (stream) => api.listShards(stream),
    async putRecords(input, signal) {
      const output = await api.putRecords(input, signal);
      const stream = input.StreamName ?? '';
      output.Records?.forEach((entry, i) => {
        const sent = input.Records?.[i];
        if (entry.ErrorCode || !entry.ShardId || !sent?.Data) return;
        const userRecords = deaggregate({ partitionKey: sent.PartitionKey ?? '', data: sent.Data });
        observer(
          stream,
          entry.ShardId,
          userRecords.map((r) => r.data),
        );
      });
      return output;
    },
  };
}

export interface LocalProducerFunction {
  readonly handler: SqsFunction;
  readonly metrics: MetricTotals;
  /** Closes the function's clients. */
  destroy(): void;
}

/**
 * The producer function as functions/producer/handler.ts builds it at module scope, from the same
 * environment (`SKC_*` settings, the dead-letter queue's producer.deadletterqueueurl included): configuration,
 * clients, the producer core with its DLQ, and the SQS adapter. Built here rather than imported because
 * the module reads `process.env` once per process and writes its logs and metrics to stdout, where the
 * runner shows its progress; here they go to the runner's log and to `metrics`, and the Kinesis calls
 * are observed to count records per shard.
 */
export function createLocalProducerFunction(
  environment: Readonly<Record<string, string>>,
  options: {
    readonly logger: ProducerLogger;
    readonly onWritten: WriteObserver;
    /** The routing the function's handler file gives createProducerHandler. @default - none */
    readonly routing?: ProducerRouting;
  },
): LocalProducerFunction {
  const config = producerConfigFromEnv(environment);
  const deadLetterQueueUrl = config.deadLetterQueueUrl;
  const aws = new AwsClientFactory(toAwsSettings(config.aws));
  const producer = new Producer(producerSettingsFromConfig(config, options.routing), {
    kinesis: observeWrites(kinesisApi(aws.client('kinesis', KinesisClient)), options.onWritten),
    ...(config.sourceQueueUrl
      ? {
          budgetShare: new QueueInFlightShare({
            sqs: aws.client('sqs', SQSClient),
            queueUrl: config.sourceQueueUrl,
            logger: options.logger,
          }),
        }
      : {}),
    ...(deadLetterQueueUrl
      ? {
          deadLetters: new SqsDeadLetterQueue({
            sqs: aws.client('sqs', SQSClient),
            queueUrl: deadLetterQueueUrl,
          }),
        }
      : {}),
    logger: options.logger,
  });
  const metrics = new MetricTotals();
  const handler = createProducerHandler({
    producer,
    logger: options.logger,
    metrics,
    failOnError: config.failOnError,
  });
  return { handler, metrics, destroy: () => aws.destroy() };
}
