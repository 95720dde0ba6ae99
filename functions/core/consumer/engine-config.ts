import type { ConsumerConfig } from '../config';
import type { ShardAssigner } from './assigner';
import { resolveDeserializer, type RecordDeserializer, type DeserializerName } from './deserializers';
import { DEFAULT_ENGINE_SETTINGS, type ConsumerEngineOptions, type EngineInitialPosition } from './engine';
import type { BatchHandler, TimestampAssigner } from './types';

/**
 * What user code adds to the configuration: the handler, and optionally a custom deserializer, shard
 * assigner or timestamp assigner.
 */
export interface ConsumerCode<T> {
  readonly handler: BatchHandler<T>;
  /** @default - the configuration's `consumer.deserializer` */
  readonly deserializer?: DeserializerName | RecordDeserializer<T>;
  /** @default uniformShardAssigner(streams) */
  readonly assigner?: ShardAssigner;
  /** @default - each record's approximate arrival time is its event time */
  readonly timestampAssigner?: TimestampAssigner<T>;
}

/** Maps the loaded consumer configuration onto the engine's options. */
export function engineOptionsFromConfig<T>(
  config: ConsumerConfig,
  code: ConsumerCode<T>,
): ConsumerEngineOptions<T> {
  const initialPosition: EngineInitialPosition =
    config.initialPosition === 'AT_TIMESTAMP'
      ? { type: 'AT_TIMESTAMP', timestampMillis: (config.initialTimestamp as Date).getTime() }
      : { type: config.initialPosition };
  return {
    streams: config.streams,
    initialPosition,
    reader: {
      maxRecordsPerCall: config.getRecords.maxRecordCount,
      intervalMillis: config.getRecords.intervalMillis,
      getRecordsBackoff: config.getRecords.backoff,
      getShardIteratorBackoff: config.getShardIterator.backoff,
      limits: DEFAULT_ENGINE_SETTINGS.reader.limits,
      adaptiveReads: config.adaptiveReads,
    },
    discoveryIntervalMillis: config.discoveryIntervalMillis,
    listShardsBackoff: config.listShards.backoff,
    checkpointIntervalMillis: config.checkpointIntervalMillis,
    delivery: {
      batchSize: config.batchSize,
      maxBatchingMillis: config.maxBatchingMillis,
      backoff: config.delivery.backoff,
      bisect: config.delivery.bisect,
      failOnError: config.failOnError,
    },
    ...(code.assigner ? { assigner: code.assigner } : {}),
    ...(code.timestampAssigner ? { timestampAssigner: code.timestampAssigner } : {}),
    shardIdleIntervalMillis: config.shardIdleIntervalMillis,
    ...(config.costMode ? { costMode: { idleReturnMillis: config.idleReturnMillis } } : {}),
    leaseExpiryMillis: config.leaseExpiryMillis,
    // Cost mode returns when caught up and leaves the rest to the next tick: it never hands over.
    ...(config.continuous && !config.costMode
      ? { continuous: { leadMillis: config.handoverLeadMillis } }
      : {}),
    deserializer: resolveDeserializer<T>(code.deserializer ?? (config.deserializer as DeserializerName)),
    handler: code.handler,
    leaseGraceMillis: DEFAULT_ENGINE_SETTINGS.leaseGraceMillis,
  };
}
