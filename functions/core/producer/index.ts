// The producer: message contract, routing, per-shard aggregation and rate limits, the writer, the client.
export {
  checkExplicitHashKey,
  checkPartitionKey,
  checkStreamName,
  DATA_ENCODINGS,
  ENVELOPE_FIELDS,
  parseMessage,
  RAW_ATTRIBUTES,
  type DataEncoding,
  type MessageAttribute,
  type MessageFormat,
  type ParsedRecord,
  type ParseResult,
  type ProducerMessage,
  type Rejection,
} from './message-contract';
export {
  Router,
  type Partitioner,
  type RoutableRecord,
  type RoutedRecord,
  type RoutingOptions,
  type TargetStreamSelector,
} from './routing';
export {
  Producer,
  producerSettingsFromConfig,
  type MessageFailureKind,
  type ProcessOptions,
  type ProcessResult,
  type ProducerDependencies,
  type ProducerSettings,
  type ProducerStats,
} from './producer';
export {
  DEFAULT_PRODUCER_OPTIONS,
  resolveProducerOptions,
  runtimeOptionsFromConfig,
  type ProducerRuntimeOptions,
} from './options';
export {
  ProducerClient,
  type EncodedMessage,
  type ProducerClientOptions,
  type ProducerRecord,
  type SendOutcome,
  type SendResult,
} from './producer-client';
export {
  FAILURE_ATTEMPTS_ATTRIBUTE,
  FAILURE_KIND_ATTRIBUTE,
  FAILURE_SHARD_ATTRIBUTE,
  FAILURE_STREAM_ATTRIBUTE,
  REJECTION_ATTRIBUTE,
  REJECTION_FIELD_ATTRIBUTE,
  SqsDeadLetterQueue,
  type DeadLetter,
  type DeadLetterSink,
  type SqsDeadLetterQueueOptions,
} from './dead-letter';
export {
  kinesisApi,
  type ProducerKinesisApi,
  type PutRecordsInput,
  type PutRecordsOutput,
} from './kinesis-api';
export {
  ShardRateLimiter,
  TokenBucket,
  SHARD_BYTES_PER_SECOND,
  SHARD_RECORDS_PER_SECOND,
} from './rate-limiter';
export { ShardMapCache, type StreamShards } from './shard-map-cache';
export {
  QueueInFlightShare,
  BUDGET_SHARE_REFRESH_MILLIS,
  MIN_BUDGET_SHARE,
  type BudgetShare,
  type QueueInFlightShareOptions,
} from './budget-share';
export type { FailureKind, RecordOutcome, WriteStats } from './writer';
export type { ProducerLogger } from './logger';
export {
  PRODUCER_METRIC_UNITS,
  PRODUCER_SERVICE,
  ProducerMetricDimension,
  ProducerMetricName,
} from './metrics';
