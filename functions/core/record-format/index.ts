export {
  DEFAULT_AGGREGATION_MAX_COUNT,
  DEFAULT_AGGREGATION_MAX_SIZE_BYTES,
  DEFAULT_MAX_RECORD_SIZE_BYTES,
  MAX_RECORD_SIZE_LIMIT_BYTES,
  MAX_PARTITION_KEY_CHARS,
  hasKplMagic,
  type AggregatedRecord,
  type DeaggregatedRecord,
  type KinesisRecord,
  type UserRecord,
} from './aggregated-record';
export { RecordAggregator, type AggregationOptions, type RecordAggregatorOptions } from './aggregator';
export { aggregate, type AggregateOptions } from './aggregate';
export {
  deaggregate,
  type DeaggregateOptions,
  type DeaggregationWarning,
  type DeaggregationWarningReason,
} from './deaggregate';
export {
  decimalToHashKeyHex,
  hashKeyHexFor,
  hashKeyHexToDecimal,
  partitionKeyToHashKeyHex,
} from './hash-key';
export { ShardMap, type ListedShard, type ShardRange } from './shard-map';
export { isDecimalHashKey } from './validation';
