/**
 * One producer container of the producer-scale bench, in a process of its own as Lambda runs it: the
 * real handler module (functions/producer/handler.ts, configured from the `SKC_*` environment the
 * parent gives it) behind its own local event source mapping poller, taking batches from the shared
 * queue from the parent's go until its stop.
 */
import { SQSClient } from '@aws-sdk/client-sqs';
import { AwsClientFactory, type AwsSettings } from '../functions/core/aws/clients';
import { SqsEventSourceMapping } from '../local/runner/event-source-mapping';

async function main(): Promise<void> {
  const settings = JSON.parse(process.env.BENCH_AWS_SETTINGS ?? '{}') as AwsSettings;
  const queueUrl = process.env.BENCH_QUEUE_URL ?? '';
  const batchSize = Number(process.env.BENCH_BATCH_SIZE ?? '100');
  // Loaded here, not imported at the top: the module reads its SKC_* environment when it loads.
  const { handler } = await import('../functions/producer/handler');
  const aws = new AwsClientFactory(settings);
  const mapping = new SqsEventSourceMapping({
    sqs: aws.client('sqs', SQSClient),
    queueUrl,
    handler: (event, context) => handler(event, context),
    batchSize,
    maxBatchingWindowMillis: 1000,
    functionTimeoutMillis: 60_000,
    concurrency: 1,
  });
  // Loaded and parked until the parent says go: a warm container, as Lambda keeps them, so loading
  // (compiling TypeScript, here) does not take CPU from the containers already writing.
  process.send?.({ type: 'ready' });
  let started = false;
  process.on('message', (message: { type?: string }) => {
    if (message.type === 'go' && !started) {
      started = true;
      mapping.start();
    }
    if (message.type !== 'stop') return;
    void mapping.stop().then(() => {
      process.send?.({ type: 'stopped', stats: mapping.stats });
      aws.destroy();
      process.disconnect?.();
    });
  });
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
