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
export type { DeliverySettings } from './delivery';
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
export {
  CONSUMER_HANDLER_ENV,
  createConsumerHandler,
  type ConsumerHandlerOptions,
  type ConsumerInvocationResult,
  type ConsumerLambdaHandler,
  type ScheduledConsumerEvent,
} from './handler-factory';
export { kinesisReadApi, type KinesisReadApi } from './kinesis-api';
export { DEFAULT_SHARD_READ_LIMITS, type ShardReadLimits } from './rate-limit';
export type { ShardReaderSettings } from './shard-reader';
export type { BatchContext, BatchHandler, ConsumerRecord, ShardDescription, StartingPosition } from './types';
