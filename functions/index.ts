// The Lambda-side runtime: `serverless-kinesis-connector/runtime`. Never imports aws-cdk-lib.
// A chosen list, not the modules' every export: what a user's handler, producer client or tooling needs.
// docs/api.md documents it and test/package/exports.test.ts holds the two together; everything else is
// internal and may change in any release (the repository's own code imports it by path).

// Handlers: the consumer's and the producer's Lambda handler factories.
export {
  createConsumerHandler,
  createLambdaTargetHandler,
  type ConsumerHandlerOptions,
} from './consumer/handler-factory';
export type {
  ConsumerInvocationResult,
  ConsumerLambdaHandler,
  ScheduledConsumerEvent,
} from './consumer/schedule-event';
export type { ConsumerCode } from './core/consumer/engine-config';
export type { HandoffEvent, SuccessorEvent, SuccessorStarter } from './core/consumer/handover';
export {
  createProducerHandler,
  ProducerBatchError,
  type MetricsSink,
  type ProducerHandlerOptions,
} from './producer/sqs-adapter';

// Exactly-once mode: the handler factory, the processor's state and table writes, event-time windows.
export { createExactlyOnceHandler } from './consumer/handler-factory';
export {
  tumblingWindows,
  StateTable,
  type EffectsContext,
  type ExactlyOnceProcessor,
  type KeyedState,
  type StateTableOptions,
  type StateValue,
  type TableWrites,
  type TumblingWindowOptions,
  type Versioned,
  type WindowResult,
} from './core/exactly-once';

// The consumer: what user code receives and returns.
export type {
  BatchContext,
  BatchHandler,
  BatchResult,
  ConsumerRecord,
  ShardDescription,
  StartingPosition,
  TimestampAssigner,
} from './core/consumer/types';
export {
  bytesDeserializer,
  jsonDeserializer,
  stringDeserializer,
  type DeserializerInput,
  type DeserializerName,
  type RecordDeserializer,
} from './core/consumer/deserializers';
export { uniformShardAssigner, type ShardAssigner } from './core/consumer/assigner';
export type { RunSummary, ShardRunSummary, ShardStatus } from './core/consumer/engine';
export type { ConsumerMetricsSink } from './consumer/metrics';
export type { ConsumerMetricUnit } from './core/consumer/metrics';
export type { MetricUnit } from './core/metrics';
export type {
  LambdaTargetEvent,
  LambdaTargetRecord,
  LambdaTargetResponse,
} from './core/consumer/lambda-target';
export type { FailedRecord, OnFailureMessage } from './core/consumer/on-failure';

// The producer: the client that sends to its queue, and the parts of a producer handler of your own.
export {
  ProducerClient,
  type EncodedMessage,
  type ProducerClientOptions,
  type ProducerRecord,
  type SendOutcome,
  type SendResult,
} from './core/producer/producer-client';
export {
  Producer,
  producerSettingsFromConfig,
  type MessageFailureKind,
  type ProcessOptions,
  type ProcessResult,
  type ProducerDependencies,
  type ProducerSettings,
  type ProducerStats,
} from './core/producer/producer';
export type {
  Partitioner,
  RoutableRecord,
  RoutingOptions,
  TargetStreamSelector,
} from './core/producer/routing';
export type {
  DataEncoding,
  MessageAttribute,
  MessageFormat,
  ParsedRecord,
  ProducerMessage,
  Rejection,
} from './core/producer/message-contract';
export {
  REJECTION_ATTRIBUTE,
  REJECTION_FIELD_ATTRIBUTE,
  SqsDeadLetterQueue,
  type DeadLetter,
  type DeadLetterSink,
  type SqsDeadLetterQueueOptions,
} from './core/producer/dead-letter';
export {
  kinesisApi,
  type ProducerKinesisApi,
  type PutRecordsInput,
  type PutRecordsOutput,
} from './core/producer/kinesis-api';
export { PRODUCER_SERVICE } from './core/producer/metrics';
export { producerPowertoolsMetrics } from './producer/metrics';
export type { FailureKind, RecordOutcome, WriteStats } from './core/producer/writer';
export type { ProducerLogger } from './core/producer/logger';
export type { ProducerRuntimeOptions } from './core/producer/options';

// The KPL record format: aggregation, deaggregation and the shard map.
export {
  hasKplMagic,
  type AggregatedRecord,
  type DeaggregatedRecord,
  type KinesisRecord,
  type UserRecord,
} from './core/record-format/aggregated-record';
export {
  RecordAggregator,
  type AggregationOptions,
  type RecordAggregatorOptions,
} from './core/record-format/aggregator';
export { aggregate, type AggregateOptions } from './core/record-format/aggregate';
export {
  deaggregate,
  type DeaggregateOptions,
  type DeaggregationWarning,
  type DeaggregationWarningReason,
} from './core/record-format/deaggregate';
export {
  decimalToHashKeyHex,
  hashKeyHexToDecimal,
  partitionKeyToHashKeyHex,
} from './core/record-format/hash-key';
export { ShardMap, type ListedShard, type ShardRange } from './core/record-format/shard-map';

// Configuration: the loaders and what they return.
export {
  consumerConfig,
  consumerConfigFromEnv,
  consumerConfigFromProperties,
} from './core/config/consumer-config';
export type {
  CheckpointStoreKind,
  ConsumerConfig,
  ConsumerOptions,
  Deserializer,
  EfoConfig,
  EfoRegistration,
  InitialPosition,
  RecordPublisher,
  SsmTier,
} from './core/config/consumer-settings';
export type { BudgetShare } from './core/producer/budget-share';
export {
  producerConfig,
  producerConfigFromEnv,
  producerConfigFromProperties,
} from './core/config/producer-config';
export type { ProducerConfig, ProducerOptions } from './core/config/producer-settings';
export type { AwsConfig, AwsOptions } from './core/config/aws-config';
export type { PropertiesSource } from './core/config/loader';
export type { ServiceName } from './core/aws/clients';
export type { CredentialsConfig } from './core/aws/credentials';
export type { BackoffSettings } from './core/aws/retry';

// Checkpoints: the store interfaces and the SSM and DynamoDB stores.
export type {
  CheckpointStore,
  CheckpointValue,
  LeaseHolder,
  OperatorLease,
  ShardCheckpoint,
  HandoverClaim,
  ShardKey,
  StoredCheckpoint,
  SubtaskLease,
} from './core/checkpoints/checkpoint-store';
export {
  SsmCheckpointStore,
  type CheckpointTier,
  type SsmCheckpointStoreOptions,
} from './core/checkpoints/ssm-checkpoint-store';
export { SsmSubtaskLease, type SsmSubtaskLeaseOptions } from './core/checkpoints/ssm-lease';
export {
  DynamoDbCheckpointStore,
  DynamoDbSubtaskLease,
  type DynamoDbCheckpointStoreOptions,
} from './core/checkpoints/dynamodb-checkpoint-store';

// Errors: one base class, a subclass per kind.
export {
  ConfigurationError,
  ConnectorError,
  DeliveryFailedError,
  LeaseHeldError,
  LeaseLostError,
  OnFailureSendError,
  RetriesExhaustedError,
  ValidationError,
  type ConfigurationProblem,
} from './core/errors';
export { TargetFunctionError } from './core/consumer/lambda-target';

// Time and randomness, injected everywhere so tests run on a fake clock.
export { FakeClock, seededRandom, systemClock, type Clock, type Random } from './core/time/clock';
