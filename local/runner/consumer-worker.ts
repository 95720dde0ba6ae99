// The consumer function's execution environment: a process the runner forks, as Lambda starts a
// sandbox. Module scope is the cold start (configuration from the `SKC_*` environment the construct
// would set, clients, the engine); each IPC `invoke` is one scheduled invocation with a context that
// runs down to the function timeout. The processor reports every batch it receives to the runner,
// which counts records out, duplicates and latency. Logs go to this process's stdout (the runner
// points it at a log file).
import { Logger } from '@aws-lambda-powertools/logger';
import type { Order } from '../../bin/example-pipeline';
import { consumerConfigFromEnv } from '../../functions/core/config';
import type { ConsumerRecord } from '../../functions/core/consumer';
import { createConsumerHandler } from '../../functions/consumer';
import { describeError } from '../../functions/core/errors';
import { systemClock } from '../../functions/core/time/clock';
import {
  WORKER_SETTINGS_VARIABLE,
  type DeliveredBatch,
  type DeliveredRecord,
  type FromWorker,
  type InvocationReport,
  type ToWorker,
  type WorkerSettings,
} from './consumer-protocol';
import { lambdaContext } from './lambda-context';

const initStarted = Date.now();

function send(message: FromWorker): void {
  process.send?.(message);
}

function delivered(record: ConsumerRecord<unknown>): DeliveredRecord {
  const order = record.data as Partial<Order> | null;
  const arrivedAt = record.approximateArrivalTimestamp.getTime();
  if (typeof order !== 'object' || order === null || typeof order.orderId !== 'string')
    return ['', 0, arrivedAt];
  return [order.orderId, typeof order.sentAt === 'number' ? order.sentAt : 0, arrivedAt];
}

const settings = JSON.parse(process.env[WORKER_SETTINGS_VARIABLE] ?? '{}') as WorkerSettings;
// As functions/consumer/handler.ts loads it: the SKC_* settings, the construct's included.
const config = consumerConfigFromEnv(process.env);
const logger = new Logger({ serviceName: config.consumerName, logLevel: settings.logLevel });
let crashInNextBatch = false;

const handler = createConsumerHandler<unknown>(
  async (records, context) => {
    const batch: DeliveredBatch = {
      stream: context.stream,
      shardId: context.shardId,
      subtaskIndex: context.subtaskIndex,
      attempt: context.attempt,
      deliveredAt: Date.now(),
      records: records.map(delivered),
    };
    if (!crashInNextBatch) {
      send({ type: 'batch', batch });
      return;
    }
    // The processor has handled this batch, and the consumer has not checkpointed it: the runner
    // kills this process now, so the batch (and whatever came since the last checkpoint) comes again.
    send({ type: 'crash-point', batch });
    await new Promise<never>(() => undefined);
  },
  {
    config,
    logger,
    leaseSettleMillis: settings.leaseSettleMillis,
    shutdownReserveMillis: settings.shutdownReserveMillis,
  },
);

async function invoke(message: Extract<ToWorker, { type: 'invoke' }>): Promise<InvocationReport> {
  const context = lambdaContext(config.consumerName, message.deadline, systemClock, message.requestId);
  try {
    const result = await handler(message.event, context);
    const summary = result.summary;
    return {
      status: result.status,
      subtaskIndex: result.subtaskIndex,
      recordsDelivered: summary?.recordsDelivered ?? 0,
      checkpointWrites: summary?.checkpointWrites ?? 0,
      ...(summary ? { stoppedBy: summary.stoppedBy } : {}),
      ...(result.reason ? { error: result.reason } : {}),
      shards: (summary?.shards ?? []).map((s) => ({
        stream: s.stream,
        shardId: s.shardId,
        status: s.status,
        recordsDelivered: s.recordsDelivered,
        ...(s.millisBehindLatest !== undefined ? { millisBehindLatest: s.millisBehindLatest } : {}),
        ...(s.firstReadAt !== undefined ? { firstReadAt: s.firstReadAt } : {}),
        ...(s.lastReadAt !== undefined ? { lastReadAt: s.lastReadAt } : {}),
      })),
    };
  } catch (error) {
    logger.error('Invocation failed', { error: describeError(error) });
    return {
      status: 'failed',
      subtaskIndex: message.event.subtaskIndex,
      recordsDelivered: 0,
      checkpointWrites: 0,
      error: describeError(error),
      shards: [],
    };
  }
}

process.on('message', (message: ToWorker) => {
  if (message.type === 'crash-in-next-batch') {
    crashInNextBatch = true;
    return;
  }
  void invoke(message).then((report) => send({ type: 'result', id: message.id, report }));
});
// The runner going away ends the sandbox too.
process.on('disconnect', () => process.exit(0));
send({ type: 'ready', initMillis: Date.now() - initStarted });
