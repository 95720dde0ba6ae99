import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { ConfigurationError, ConnectorError } from '../core/errors';
import type { MetricUnit } from '../core/metrics';
import type { ProducerLogger } from '../core/producer/logger';
import type { ProducerMessage } from '../core/producer/message-contract';
import { PRODUCER_METRIC_UNITS, ProducerMetricDimension, ProducerMetricName } from '../core/producer/metrics';
import type { ProcessResult, Producer } from '../core/producer/producer';
import { producerFromEnvironment, type ProducerRouting } from './environment';

/** The part of Powertools' Metrics the adapter uses (`producerPowertoolsMetrics` gives one). */
export interface MetricsSink {
  /** Records one value of a metric for this batch. */
  addMetric(name: string, unit: MetricUnit, value: number): unknown;
  /** Writes the batch's metrics out (Powertools: one EMF document in the log). */
  publishStoredMetrics(): void;
  /** A metric with dimensions of its own, published at once (Powertools' singleMetric). @default - none published */
  singleMetric?(): {
    addDimension(name: string, value: string): unknown;
    addMetric(name: string, unit: MetricUnit, value: number): unknown;
  };
}

/** Thrown with `failOnError` when any record was not written, so the whole batch comes back. */
export class ProducerBatchError extends ConnectorError {
  // Spelled out so a minified bundle does not rename it.
  override name = 'ProducerBatchError';

  /** @param result what the producer did with the batch, failures included */
  constructor(readonly result: ProcessResult) {
    super(
      `${result.failures.length} of ${result.stats.messages} messages were not written to Kinesis, and ` +
        'failOnError is set, so the whole batch fails and SQS will deliver it again. ' +
        `First failure: ${result.failed[0]?.reason ?? 'unknown'}`,
    );
  }
}

/** Options of `createProducerHandler`. */
export interface ProducerHandlerOptions extends ProducerRouting {
  /**
   * The producer core. @default - built from the `SKC_*` environment (as the built-in handler is), with
   * `partitioner` and `targetStream`; give those only when the producer is not given
   */
  readonly producer?: Producer;
  /** @default - Powertools' Logger, when the producer is built from the environment */
  readonly logger?: ProducerLogger;
  /** @default - Powertools' Metrics, when the producer is built from the environment */
  readonly metrics?: MetricsSink;
  /**
   * Fail the whole batch instead of reporting batch item failures (the reference's setFailOnError).
   * @default - producer.failonerror when the producer is built from the environment, else false
   */
  readonly failOnError?: boolean;
  /** Time kept back from the invocation's remaining time for reporting. @default 500 */
  readonly safetyMarginMillis?: number;
}

/** Time kept back from the invocation's remaining time so the batch response is returned before the timeout. */
const HANDLER_SAFETY_MARGIN_MILLIS = 500;

/**
 * The Lambda handler for an SQS event source mapping with ReportBatchItemFailures: one producer call per
 * batch, its failures mapped to `batchItemFailures`. Powertools' BatchProcessor is not used: it hands
 * records to a handler one at a time, while the producer aggregates across the whole batch and learns
 * each message's fate only when the aggregated records it shares with others are written.
 *
 * The built-in producer function is this handler over a producer built from its `SKC_*` settings. For
 * routing only code can do, the reference connector's custom partitioner and target-stream selector,
 * call it in a handler file of your own (KinesisProducer's `handlerEntry`):
 *
 * ```ts
 * export const handler = createProducerHandler({
 *   partitioner: (record) => ({ partitionKey: customerOf(record.value) }),
 * });
 * ```
 *
 * Code that builds its own `Producer` gives `{ producer, logger }` (and `metrics`) instead.
 */

export function createProducerHandler(
  handlerOptions: ProducerHandlerOptions = {},
): (event: SQSEvent, context: Pick<Context, 'getRemainingTimeInMillis'>) => Promise<SQSBatchResponse> {
  const options = resolveHandlerOptions(handlerOptions);
  const clock = options.producer.clock;
  const margin = handlerOptions.safetyMarginMillis ?? HANDLER_SAFETY_MARGIN_MILLIS;
  return async (event, context) => {
    const deadline = clock.now() + context.getRemainingTimeInMillis() - margin;
    const result = await options.producer.process(event.Records.map(toProducerMessage), { deadline });
    options.logger.info('Producer batch done.', {
      messages: result.stats.messages,
      written: result.written,
      failures: result.failures.length,
      deadLettered: result.deadLettered.length,
      putRecordsCalls: result.stats.putRecordsCalls,
      throttledEntries: result.stats.throttledEntries,
      retries: result.stats.retries,
    });
    if (result.failed.length > 0) {
      options.logger.warn('Records not written; SQS will deliver their messages again.', {
        failed: result.failed.slice(0, 20),
      });
    }
    if (options.metrics) {
      recordMetrics(options.metrics, result);
      options.metrics.publishStoredMetrics();
    }
    if (options.failOnError && result.failures.length > 0) throw new ProducerBatchError(result);
    return { batchItemFailures: result.failures.map((itemIdentifier) => ({ itemIdentifier })) };
  };
}

function resolveHandlerOptions(options: ProducerHandlerOptions): {
  producer: Producer;
  logger: ProducerLogger;
  metrics?: MetricsSink;
  failOnError: boolean;
} {
  const { producer, partitioner, targetStream } = options;
  if (producer) {
    if (partitioner || targetStream) {
      throw new ConfigurationError(
        'createProducerHandler was given a producer and a partitioner or targetStream; give the routing to the ' +
          'Producer you build, or give no producer and let the handler build one from its environment.',
        partitioner ? 'partitioner' : 'targetStream',
      );
    }
    if (!options.logger) {
      throw new ConfigurationError(
        'createProducerHandler was given a producer without a logger; give both.',
        'logger',
      );
    }
    return {
      producer,
      logger: options.logger,
      ...(options.metrics ? { metrics: options.metrics } : {}),
      failOnError: options.failOnError ?? false,
    };
  }
  const built = producerFromEnvironment(process.env, {
    ...(partitioner ? { partitioner } : {}),
    ...(targetStream ? { targetStream } : {}),
  });
  return {
    producer: built.producer,
    logger: options.logger ?? built.logger,
    metrics: options.metrics ?? built.metrics,
    failOnError: options.failOnError ?? built.failOnError,
  };
}

/** One SQS record of a Lambda event as the producer core sees it. */
export function toProducerMessage(record: SQSRecord): ProducerMessage {
  const attributes: Record<string, { dataType: string; stringValue?: string; binaryValue?: Uint8Array }> = {};
  for (const [name, value] of Object.entries(record.messageAttributes ?? {})) {
    attributes[name] = {
      dataType: value.dataType,
      ...(value.stringValue !== undefined ? { stringValue: value.stringValue } : {}),
      ...(value.binaryValue !== undefined ? { binaryValue: Buffer.from(value.binaryValue, 'base64') } : {}),
    };
  }
  const sent = Number(record.attributes?.SentTimestamp);
  const receives = Number(record.attributes?.ApproximateReceiveCount);
  const firstReceived = Number(record.attributes?.ApproximateFirstReceiveTimestamp);
  return {
    messageId: record.messageId,
    body: record.body,
    attributes,
    ...(Number.isFinite(sent) ? { sentTimestamp: sent } : {}),
    ...(record.attributes?.MessageGroupId ? { messageGroupId: record.attributes.MessageGroupId } : {}),
    ...(Number.isInteger(receives) && receives > 0 ? { receiveCount: receives } : {}),
    ...(firstReceived > 0 ? { firstReceivedAt: firstReceived } : {}),
  };
}

/** The producer's metrics for one batch. */
export function recordMetrics(metrics: MetricsSink, result: ProcessResult): void {
  const s = result.stats;
  const N = ProducerMetricName;
  const put = (name: ProducerMetricName, value: number) =>
    metrics.addMetric(name, PRODUCER_METRIC_UNITS[name], value);
  put(N.USER_RECORDS_RECEIVED, s.messages);
  put(N.USER_RECORDS_PUT, s.userRecordsPut);
  put(N.KINESIS_RECORDS_PUT, s.kinesisRecordsPut);
  put(N.AGGREGATED_RECORDS_PUT, s.aggregatedRecordsPut);
  put(N.PUT_RECORDS_CALLS, s.putRecordsCalls);
  put(N.FAILED_ENTRIES, s.failedEntries);
  put(N.THROTTLED_ENTRIES, s.throttledEntries);
  put(N.RETRIES, s.retries);
  put(N.WRONG_SHARD_PUTS, s.wrongShardPuts);
  put(N.EXPIRED_RECORDS, s.expiredRecords);
  put(N.DEAD_LETTERED, s.deadLettered);
  put(N.BATCH_ITEM_FAILURES, result.failures.length);
  put(N.BYTES_PUT, s.bytesPut);
  // Per stream, so a dashboard shows which stream's shards are short of room.
  for (const [stream, count] of Object.entries(s.throttledEntriesByStream)) {
    const single = metrics.singleMetric?.();
    if (!single) break;
    single.addDimension(ProducerMetricDimension.STREAM_NAME, stream);
    single.addMetric(N.THROTTLED_ENTRIES, PRODUCER_METRIC_UNITS[N.THROTTLED_ENTRIES], count);
  }
  if (s.userRecordsPut > 0) {
    put(N.BUFFERED_TIME_AVERAGE, s.bufferedMillisTotal / s.userRecordsPut);
    put(N.BUFFERED_TIME_MAXIMUM, s.bufferedMillisMax);
  }
}
