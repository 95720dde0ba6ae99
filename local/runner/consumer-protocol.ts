// What the runner and the consumer's worker process say to each other over the IPC channel.
import type { HandoffEvent } from '../../functions/core/consumer/handover';
import type { SubtaskEvent } from './scheduler';

/** A consumer invocation's event: the schedule's, or a predecessor's with its handoff (continuous mode). */
export type ConsumerEvent = SubtaskEvent & { readonly handoff?: HandoffEvent };

/** The worker's settings that are not `SKC_*` settings: the handler factory's own options, compressed. */
export interface WorkerSettings {
  readonly leaseSettleMillis: number;
  readonly shutdownReserveMillis: number;
  /** Powertools log level of the consumer's logger. */
  readonly logLevel: 'DEBUG' | 'INFO' | 'WARN' | 'ERROR' | 'SILENT';
}

/** The environment variable that carries `WorkerSettings` as JSON. */
export const WORKER_SETTINGS_VARIABLE = 'LOCAL_CONSUMER_WORKER_SETTINGS';

/** A delivered record: the order's id ('' when the data is not an order), when it was sent, and when it reached the stream. */
export type DeliveredRecord = readonly [id: string, sentAt: number, arrivedAt: number];

/** One batch the processor received. */
export interface DeliveredBatch {
  readonly stream: string;
  readonly shardId: string;
  readonly subtaskIndex: number;
  readonly attempt: number;
  readonly deliveredAt: number;
  readonly records: readonly DeliveredRecord[];
}

/** What one invocation of the consumer function returned, as its log would show it. */
export interface InvocationReport {
  readonly status: 'completed' | 'skipped' | 'failed';
  readonly subtaskIndex: number;
  readonly recordsDelivered: number;
  readonly checkpointWrites: number;
  readonly stoppedBy?: string;
  readonly error?: string;
  readonly shards: readonly {
    readonly stream: string;
    readonly shardId: string;
    readonly status: string;
    readonly recordsDelivered: number;
    readonly millisBehindLatest?: number;
    /** The shard's first GetRecords sent and last answered in this invocation, epoch ms. */
    readonly firstReadAt?: number;
    readonly lastReadAt?: number;
  }[];
}

export type ToWorker =
  | {
      readonly type: 'invoke';
      readonly id: number;
      readonly event: ConsumerEvent;
      /** Epoch milliseconds at which the function times out. */
      readonly deadline: number;
      readonly requestId: string;
    }
  /** Hang inside the next batch, after reporting it, so the runner can kill the process there. */
  | { readonly type: 'crash-in-next-batch' };

export type FromWorker =
  | { readonly type: 'ready'; readonly initMillis: number }
  | { readonly type: 'batch'; readonly batch: DeliveredBatch }
  | { readonly type: 'crash-point'; readonly batch: DeliveredBatch }
  | { readonly type: 'result'; readonly id: number; readonly report: InvocationReport };
