// Typed configuration: the reference connector's keys and defaults, env loading, validation at the edge.
export {
  AWS_DEFAULTS,
  AWS_ENDPOINT_SETTINGS,
  AWS_SETTINGS,
  CREDENTIALS_KEY,
  redactConfig,
  toAwsSettings,
  type AwsConfig,
  type AwsOptions,
} from './aws-config';
export { consumerConfig, consumerConfigFromEnv, consumerConfigFromProperties } from './consumer-config';
export {
  CONSUMER_DEFAULTS,
  CONSUMER_SETTINGS,
  CONSUMER_SETTINGS_LIST,
  SHARD_ITERATOR_EXPIRY_MILLIS,
  type ConsumerConfig,
  type ConsumerOptions,
  type Deserializer,
  type InitialPosition,
  type CheckpointStoreKind,
  type SsmTier,
} from './consumer-settings';
export { ENV_PREFIX, envVarName } from './env';
export {
  consumerEnvironment,
  producerEnvironment,
  settingText,
  settingVariables,
  type SettingVariable,
} from './environment';
export type { PropertiesSource } from './loader';
export { producerConfig, producerConfigFromEnv, producerConfigFromProperties } from './producer-config';
export {
  MIB,
  PRODUCER_DEFAULTS,
  PRODUCER_SETTINGS,
  PRODUCER_SETTINGS_LIST,
  type ProducerConfig,
  type ProducerOptions,
} from './producer-settings';
export { parseProperties, type PropertyEntry } from './properties';
export {
  DEFAULT_TIMESTAMP_FORMAT,
  javaPatternToDateFns,
  parseTimestamp,
  type TimestampResult,
} from './timestamp';
export type { Setting } from './validate';
