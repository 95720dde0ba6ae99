import { ServiceError } from '../shared/json-server';

/**
 * Every SQS error this server returns: the SDK v3 shape name, the code the query protocol used (sent in
 * `x-amzn-query-error`, which the SDK reads first) and the HTTP status, as the SQS model declares them.
 * InvalidParameterValue and MissingParameter are not in the model; the SDK names them from the header.
 */
const SQS_ERRORS = {
  QueueDoesNotExist: ['AWS.SimpleQueueService.NonExistentQueue', 400],
  QueueNameExists: ['QueueAlreadyExists', 400],
  QueueDeletedRecently: ['AWS.SimpleQueueService.QueueDeletedRecently', 400],
  ReceiptHandleIsInvalid: ['ReceiptHandleIsInvalid', 404],
  MessageNotInflight: ['AWS.SimpleQueueService.MessageNotInflight', 400],
  TooManyEntriesInBatchRequest: ['AWS.SimpleQueueService.TooManyEntriesInBatchRequest', 400],
  BatchEntryIdsNotDistinct: ['AWS.SimpleQueueService.BatchEntryIdsNotDistinct', 400],
  EmptyBatchRequest: ['AWS.SimpleQueueService.EmptyBatchRequest', 400],
  InvalidBatchEntryId: ['AWS.SimpleQueueService.InvalidBatchEntryId', 400],
  BatchRequestTooLong: ['AWS.SimpleQueueService.BatchRequestTooLong', 400],
  PurgeQueueInProgress: ['AWS.SimpleQueueService.PurgeQueueInProgress', 403],
  OverLimit: ['OverLimit', 403],
  InvalidAttributeName: ['InvalidAttributeName', 400],
  InvalidAttributeValue: ['InvalidAttributeValue', 400],
  InvalidMessageContents: ['InvalidMessageContents', 400],
  InvalidAddress: ['InvalidAddress', 404],
  InvalidParameterValue: ['InvalidParameterValue', 400],
  MissingParameter: ['MissingParameter', 400],
} as const satisfies Record<string, readonly [string, number]>;

export type SqsErrorName = keyof typeof SQS_ERRORS;

/** An SQS error in the JSON protocol's shape, with the query-compatible code. */
export function sqsError(name: SqsErrorName, message: string): ServiceError {
  const [queryCode, status] = SQS_ERRORS[name];
  return new ServiceError(name, message, status, {}, queryCode);
}

/** The code a batch result's `Failed` entry carries for an error (the query code, as SQS reports it). */
export function batchErrorCode(error: ServiceError): string {
  return error.queryCode ?? error.code;
}
