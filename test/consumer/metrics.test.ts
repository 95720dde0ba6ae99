import { Metrics } from '@aws-lambda-powertools/metrics';
import type { RunSummary, ShardRunSummary } from '../../functions/core/consumer/engine';
import { ConsumerMetricName, METRICS_NAMESPACE } from '../../functions/core/consumer/metrics';
import {
  PowertoolsMetricsSink,
  putRunMetrics,
  type ConsumerMetricsSink,
} from '../../functions/consumer/metrics';
import { usePowertoolsMetrics } from '../support/powertools-metrics';

usePowertoolsMetrics();

function shard(stream: string, shardId: string, figures: Partial<ShardRunSummary>): ShardRunSummary {
  return {
    stream,
    shardId,
    status: 'stopped',
    recordsDelivered: 0,
    recordsFailed: 0,
    recordsSentToOnFailure: 0,
    failedBatches: 0,
    handlerCalls: 0,
    ...figures,
  };
}

const summary: RunSummary = {
  subtaskIndex: 0,
  parallelism: 1,
  startedAt: 0,
  endedAt: 1,
  stoppedBy: 'deadline',
  recordsDelivered: 0,
  recordsFailed: 0,
  recordsSentToOnFailure: 0,
  batchesDelivered: 0,
  checkpointWrites: 6,
  shards: [
    shard('orders', 'shardId-0', {
      userRecords: 100,
      bytesRead: 5000,
      millisBehindLatest: 1200,
      recordsDelivered: 98,
      recordsFailed: 2,
      recordsSentToOnFailure: 2,
      failedBatches: 3,
      throttledCalls: 1,
    }),
    shard('orders', 'shardId-1', {
      userRecords: 50,
      bytesRead: 700,
      millisBehindLatest: 90000,
      recordsDelivered: 50,
    }),
    shard('payments', 'shardId-0', {
      userRecords: 7,
      bytesRead: 70,
      millisBehindLatest: 0,
      recordsDelivered: 7,
    }),
  ],
};

describe('putRunMetrics', () => {
  it('sums counts per stream, takes the greatest MillisBehindLatest of its shards, and counts checkpoint writes once', () => {
    const figures: Record<string, number> = {};
    const sink: ConsumerMetricsSink = {
      put: (name, value, unit, stream) => void (figures[`${stream ?? '-'} ${name} ${unit}`] = value),
    };
    putRunMetrics(summary, sink);
    expect(figures).toEqual({
      'orders RecordsRead Count': 150,
      'orders BytesRead Bytes': 5700,
      'orders MillisBehindLatest Milliseconds': 90000,
      'orders RecordsDelivered Count': 148,
      'orders RecordsFailed Count': 2,
      'orders RecordsSentToOnFailureQueue Count': 2,
      'orders DeliveryFailures Count': 3,
      'orders ThrottledCalls Count': 1,
      'payments RecordsRead Count': 7,
      'payments BytesRead Bytes': 70,
      'payments MillisBehindLatest Milliseconds': 0,
      'payments RecordsDelivered Count': 7,
      'payments RecordsFailed Count': 0,
      'payments RecordsSentToOnFailureQueue Count': 0,
      'payments DeliveryFailures Count': 0,
      'payments ThrottledCalls Count': 0,
      '- CheckpointWrites Count': 6,
    });
  });
});

describe('PowertoolsMetricsSink', () => {
  it('publishes one EMF document per stream with ConsumerName and StreamName, and one for subtask figures', () => {
    const lines: string[] = [];
    const write = jest.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
      lines.push(String(chunk));
      return true;
    });
    try {
      const sink = new PowertoolsMetricsSink(
        new Metrics({
          namespace: METRICS_NAMESPACE,
          serviceName: 'kinesis-consumer',
          defaultDimensions: { ConsumerName: 'orders-app' },
        }),
      );
      putRunMetrics(summary, sink);
      sink.publish();
    } finally {
      write.mockRestore();
    }
    const documents = lines
      .join('')
      .split('\n')
      .filter((l) => l.includes('_aws'))
      .map(
        (l) =>
          JSON.parse(l) as Record<string, unknown> & {
            _aws: { CloudWatchMetrics: { Namespace: string; Dimensions: string[][] }[] };
          },
      );
    expect(documents).toHaveLength(3);
    const orders = documents.find((d) => d.StreamName === 'orders');
    expect(orders).toMatchObject({
      ConsumerName: 'orders-app',
      [ConsumerMetricName.RECORDS_READ]: 150,
      [ConsumerMetricName.MILLIS_BEHIND_LATEST]: 90000,
    });
    expect(orders?._aws.CloudWatchMetrics[0]?.Namespace).toBe('ServerlessKinesisConnector');
    expect(orders?._aws.CloudWatchMetrics[0]?.Dimensions[0]).toEqual(
      expect.arrayContaining(['ConsumerName', 'StreamName']),
    );
    const subtask = documents.find((d) => d.StreamName === undefined);
    expect(subtask).toMatchObject({ ConsumerName: 'orders-app', CheckpointWrites: 6 });
  });
});
