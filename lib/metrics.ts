import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import {
  CONSUMER_METRIC_UNITS,
  CONSUMER_SERVICE,
  ConsumerMetricDimension,
  ConsumerMetricName,
} from '../functions/core/consumer/metrics';
import { METRICS_NAMESPACE, SERVICE_DIMENSION } from '../functions/core/metrics';
import {
  PRODUCER_METRIC_UNITS,
  PRODUCER_SERVICE,
  ProducerMetricDimension,
  ProducerMetricName,
} from '../functions/core/producer/metrics';

// The custom metrics the runtime publishes (Powertools Metrics, embedded metric format). Every name
// comes from the runtime's own modules, so what the constructs chart is what the handlers emit
// (test/lib/metrics-alignment.test.ts holds the two together).

export {
  CONSUMER_METRIC_UNITS,
  CONSUMER_SERVICE,
  ConsumerMetricName,
  METRICS_NAMESPACE,
  PRODUCER_METRIC_UNITS,
  PRODUCER_SERVICE,
  ProducerMetricName,
};

/** Dimension names of the runtime's metrics. */
export const MetricDimension = {
  /** Powertools' dimension: the handler's service name, on every metric. */
  SERVICE: SERVICE_DIMENSION,
  CONSUMER_NAME: ConsumerMetricDimension.CONSUMER_NAME,
  STREAM_NAME: ConsumerMetricDimension.STREAM_NAME,
  PRODUCER_NAME: ProducerMetricDimension.PRODUCER_NAME,
} as const;

/** A runtime metric with its full dimension set (the service dimension included). */
export function runtimeMetric(
  metricName: string,
  dimensions: Record<string, string>,
  props: cloudwatch.MetricOptions = {},
): cloudwatch.Metric {
  return new cloudwatch.Metric({
    namespace: METRICS_NAMESPACE,
    metricName,
    dimensionsMap: dimensions,
    period: Duration.minutes(1),
    ...props,
  });
}

/** A consumer metric of one stream, as the consumer handler publishes it. */
export function consumerStreamMetric(
  metricName: ConsumerMetricName,
  consumerName: string,
  streamName: string,
  props?: cloudwatch.MetricOptions,
): cloudwatch.Metric {
  return runtimeMetric(
    metricName,
    {
      [MetricDimension.SERVICE]: CONSUMER_SERVICE,
      [MetricDimension.CONSUMER_NAME]: consumerName,
      [MetricDimension.STREAM_NAME]: streamName,
    },
    props,
  );
}

/** The producer's throttled entries on one stream, as the producer handler publishes them. */
export function producerStreamMetric(
  metricName: typeof ProducerMetricName.THROTTLED_ENTRIES,
  producerName: string,
  streamName: string,
  props?: cloudwatch.MetricOptions,
): cloudwatch.Metric {
  return runtimeMetric(
    metricName,
    {
      [MetricDimension.SERVICE]: PRODUCER_SERVICE,
      [MetricDimension.PRODUCER_NAME]: producerName,
      [MetricDimension.STREAM_NAME]: streamName,
    },
    props,
  );
}

/** A producer metric, as the producer handler publishes it for one producer name. */
export function producerMetric(
  metricName: ProducerMetricName,
  producerName: string,
  props?: cloudwatch.MetricOptions,
): cloudwatch.Metric {
  return runtimeMetric(
    metricName,
    { [MetricDimension.SERVICE]: PRODUCER_SERVICE, [MetricDimension.PRODUCER_NAME]: producerName },
    props,
  );
}
