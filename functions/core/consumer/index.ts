export { assignSubtask, uniformShardAssigner, type ShardAssigner } from './assigner';
export {
  bytesDeserializer,
  jsonDeserializer,
  resolveDeserializer,
  stringDeserializer,
  type RecordDeserializer,
  type DeserializerInput,
  type DeserializerName,
} from './deserializers';
export { firstFailure, type DeliverySettings, type UndeliverableRecord } from './delivery';
export {
  ConsumerEngine,
  DEFAULT_ENGINE_SETTINGS,
  type ConsumerEngineDependencies,
  type ConsumerEngineOptions,
  type EngineInitialPosition,
  type RunRequest,
  type RunSummary,
  type ShardRunSummary,
  type ShardStatus,
} from './engine';
export { engineOptionsFromConfig, type ConsumerCode } from './engine-config';
export { kinesisReadApi, type KinesisReadApi } from './kinesis-api';
export {
  adaptiveRecordLimit,
  DEFAULT_SHARD_READ_LIMITS,
  MAX_RECORDS_PER_CALL,
  type ShardReadLimits,
} from './rate-limit';
export {
  lambdaTarget,
  SYNC_INVOKE_PAYLOAD_LIMIT_BYTES,
  TargetFunctionError,
  targetRecord,
  type LambdaInvokeApi,
  type LambdaTargetEvent,
  type LambdaTargetOptions,
  type LambdaTargetRecord,
  type LambdaTargetResponse,
} from './lambda-target';
export { lambdaInvokeApi } from './lambda-invoke';
export {
  CONSUMER_METRIC_UNITS,
  CONSUMER_SERVICE,
  ConsumerMetricDimension,
  ConsumerMetricName,
  METRICS_NAMESPACE,
  type ConsumerMetricUnit,
} from './metrics';
export {
  onFailureMessage,
  SqsOnFailureQueue,
  type FailedRecord,
  type OnFailureDestination,
  type OnFailureMessage,
  type SqsOnFailureQueueOptions,
} from './on-failure';
export { ShardWatermark, WatermarkTracker } from './watermarks';
export type { ShardReaderSettings } from './shard-reader';
export type {
  BatchContext,
  BatchHandler,
  BatchResult,
  ConsumerRecord,
  ShardDescription,
  StartingPosition,
  TimestampAssigner,
} from './types';
