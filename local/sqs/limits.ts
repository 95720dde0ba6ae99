/** The SQS quotas and ranges this server enforces, from the SQS API reference. */
export const SQS_LIMITS = {
  /** Default and largest MaximumMessageSize, raised from 256 KiB to 1 MiB in 2025. */
  maxMessageBytes: 1_048_576,
  minMaximumMessageSize: 1_024,
  /** The sum of all bodies and attributes in one SendMessageBatch. */
  maxBatchBytes: 1_048_576,
  maxBatchEntries: 10,
  maxBatchEntryIdLength: 80,
  maxQueueNameLength: 80,
  maxDelaySeconds: 900,
  maxVisibilityTimeoutSeconds: 43_200,
  maxWaitTimeSeconds: 20,
  maxReceiveMessages: 10,
  minRetentionSeconds: 60,
  maxRetentionSeconds: 1_209_600,
  maxReceiveCount: 1_000,
  maxMessageAttributes: 10,
  maxAttributeNameLength: 256,
  maxAttributeDataTypeLength: 256,
  maxDeduplicationIdLength: 128,
  maxGroupIdLength: 128,
  /** FIFO deduplication interval. */
  deduplicationWindowMillis: 5 * 60_000,
  /** One PurgeQueue per queue in this window. */
  purgeWindowMillis: 60_000,
  /** A deleted queue's name cannot be reused for this long. */
  recreateWindowMillis: 60_000,
  /** In-flight messages a standard queue allows before ReceiveMessage fails with OverLimit. */
  maxInflightStandard: 120_000,
  maxListQueuesResults: 1_000,
} as const;

export const DEFAULT_QUEUE_SETTINGS = {
  DelaySeconds: 0,
  MaximumMessageSize: SQS_LIMITS.maxMessageBytes,
  MessageRetentionPeriod: 345_600,
  ReceiveMessageWaitTimeSeconds: 0,
  VisibilityTimeout: 30,
  KmsDataKeyReusePeriodSeconds: 300,
  maxReceiveCount: 10,
} as const;

export const ACCOUNT_ID = '000000000000';
