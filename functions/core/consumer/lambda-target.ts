import { describeError, ValidationError } from '../errors';
import type { BatchContext, BatchHandler, BatchResult, ConsumerRecord } from './types';

/** One record as a target function receives it. */
export interface LambdaTargetRecord {
  readonly stream: string;
  readonly shardId: string;
  readonly sequenceNumber: string;
  /** The position inside a KPL aggregated record; absent for a plain record. */
  readonly subSequenceNumber?: number;
  readonly partitionKey: string;
  readonly explicitHashKey?: string;
  /** ISO 8601. */
  readonly approximateArrivalTimestamp: string;
  /** ISO 8601: the arrival time unless the consumer's timestamp assigner says otherwise. */
  readonly eventTime: string;
  /** The record's bytes, base64 (after KPL deaggregation). */
  readonly data: string;
}

/**
 * The event a target function is invoked with (synchronously, RequestResponse): records of one shard, in
 * order. Answer nothing (or anything else) for success, throw to fail the batch, or return
 * `{ batchItemFailures: [{ itemIdentifier: sequenceNumber }] }` to fail from that record on.
 */
export interface LambdaTargetEvent {
  readonly source: 'serverless-kinesis-connector';
  readonly stream: string;
  readonly shardId: string;
  readonly subtaskIndex: number;
  /** Delivery attempt of these records, from 0. */
  readonly attempt: number;
  /** The subtask's watermark, ISO 8601; absent until every active shard has a record. */
  readonly watermark?: string;
  readonly records: readonly LambdaTargetRecord[];
}

/** What a target function may answer; as Lambda's own Kinesis integration reads it. */
export type LambdaTargetResponse = BatchResult | null | undefined;

/** The one Lambda call the target makes, so the SDK client can be loaded only when a target is set. */
export interface LambdaInvokeApi {
  invoke(input: {
    readonly functionName: string;
    readonly payload: Uint8Array;
    readonly signal?: AbortSignal;
  }): Promise<{ readonly payload?: Uint8Array; readonly functionError?: string }>;
}

/** Lambda's limit on a synchronous invocation's request payload. */
export const SYNC_INVOKE_PAYLOAD_LIMIT_BYTES = 6 * 1024 * 1024;

/** A failed invocation of the target function, with what it answered. */
export class TargetFunctionError extends Error {
  constructor(
    message: string,
    readonly functionError?: string,
  ) {
    super(message);
    this.name = 'TargetFunctionError';
  }
}

export interface LambdaTargetOptions {
  readonly lambda: LambdaInvokeApi;
  /** Name, name:alias or ARN. */
  readonly functionName: string;
  /** @default SYNC_INVOKE_PAYLOAD_LIMIT_BYTES */
  readonly maxPayloadBytes?: number;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/**
 * Delivery to an existing Lambda function instead of in-process code: each batch is sent as a
 * LambdaTargetEvent, split into several invocations, in order, when it would pass the payload limit.
 * A function error fails the records of that invocation and after; a partial-failure answer fails from
 * the record it names. Records must reach it as bytes (the bytes deserializer).
 */
export function lambdaTarget(options: LambdaTargetOptions): BatchHandler<Uint8Array> {
  const limit = options.maxPayloadBytes ?? SYNC_INVOKE_PAYLOAD_LIMIT_BYTES;
  return async (records, context) => {
    const envelope = envelopeOf(context);
    const base = Buffer.byteLength(JSON.stringify({ ...envelope, records: [] }));
    let start = 0;
    while (start < records.length) {
      const chunk: LambdaTargetRecord[] = [];
      let bytes = base;
      let end = start;
      for (; end < records.length; end++) {
        const entry = targetRecord(records[end] as ConsumerRecord<Uint8Array>);
        // A comma between entries; JSON.stringify of these fields needs no escaping beyond what it measures.
        const size = Buffer.byteLength(JSON.stringify(entry)) + (chunk.length ? 1 : 0);
        if (bytes + size > limit) {
          if (chunk.length) break;
          const r = records[end] as ConsumerRecord<Uint8Array>;
          throw new ValidationError(
            `Record ${r.sequenceNumber} of ${r.stream}/${r.shardId} is ${r.data.length} bytes: as a target event it ` +
              `passes the ${limit}-byte synchronous invocation limit, so it cannot be delivered to ${options.functionName}.`,
            'data',
          );
        }
        chunk.push(entry);
        bytes += size;
      }
      let failedAt: string | undefined;
      try {
        failedAt = await invokeChunk(options, { ...envelope, records: chunk }, context.signal);
      } catch (error) {
        // The first invocation's error fails the batch as it is; after it, the records already delivered
        // are kept and delivery resumes (and meets the error again) at this invocation's first record.
        if (start === 0) throw error;
        failedAt = chunk[0]?.sequenceNumber;
      }
      if (failedAt !== undefined) return { batchItemFailures: [{ itemIdentifier: failedAt }] };
      start = end;
    }
    return undefined;
  };
}

/**
 * Invokes the function with one event. Resolves undefined on success and with the sequence number to
 * fail from on a partial failure; throws on a function error so the whole chunk counts as failed.
 */
async function invokeChunk(
  options: LambdaTargetOptions,
  event: LambdaTargetEvent,
  signal: AbortSignal,
): Promise<string | undefined> {
  const response = await options.lambda.invoke({
    functionName: options.functionName,
    payload: encoder.encode(JSON.stringify(event)),
    signal,
  });
  const text = response.payload?.length ? decoder.decode(response.payload) : '';
  if (response.functionError) {
    throw new TargetFunctionError(
      `Target function ${options.functionName} failed (${response.functionError}): ${errorText(text)}`,
      response.functionError,
    );
  }
  if (!text) return undefined;
  let answer: unknown;
  try {
    answer = JSON.parse(text);
  } catch {
    return undefined;
  }
  const failures = (answer as BatchResult | null)?.batchItemFailures;
  if (!Array.isArray(failures) || failures.length === 0) return undefined;
  const first = event.records.find((r) =>
    failures.some((f) => (f as { itemIdentifier?: unknown } | null)?.itemIdentifier === r.sequenceNumber),
  );
  if (!first) {
    throw new TargetFunctionError(
      `Target function ${options.functionName} reported failures for records not in its event ` +
        `(${describeError(JSON.stringify(failures).slice(0, 200))}); the whole batch counts as failed.`,
    );
  }
  return first.sequenceNumber;
}

function envelopeOf(context: BatchContext): Omit<LambdaTargetEvent, 'records'> {
  return {
    source: 'serverless-kinesis-connector',
    stream: context.stream,
    shardId: context.shardId,
    subtaskIndex: context.subtaskIndex,
    attempt: context.attempt,
    ...(context.watermark !== undefined ? { watermark: new Date(context.watermark).toISOString() } : {}),
  };
}

/** A consumer record as the target event carries it. */
export function targetRecord(record: ConsumerRecord<Uint8Array>): LambdaTargetRecord {
  const data = record.data;
  return {
    stream: record.stream,
    shardId: record.shardId,
    sequenceNumber: record.sequenceNumber,
    ...(record.subSequenceNumber !== undefined ? { subSequenceNumber: record.subSequenceNumber } : {}),
    partitionKey: record.partitionKey,
    ...(record.explicitHashKey ? { explicitHashKey: record.explicitHashKey } : {}),
    approximateArrivalTimestamp: record.approximateArrivalTimestamp.toISOString(),
    eventTime: record.eventTime.toISOString(),
    data: Buffer.from(data.buffer, data.byteOffset, data.length).toString('base64'),
  };
}

function errorText(payload: string): string {
  try {
    const parsed = JSON.parse(payload) as { errorType?: string; errorMessage?: string };
    if (parsed.errorMessage !== undefined) return `${parsed.errorType ?? 'Error'}: ${parsed.errorMessage}`;
  } catch {
    // Not JSON: show it as it came.
  }
  return payload.slice(0, 1000);
}
