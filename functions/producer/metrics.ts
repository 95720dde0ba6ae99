import { Metrics } from '@aws-lambda-powertools/metrics';
import { METRICS_NAMESPACE } from '../core/metrics';
import { PRODUCER_SERVICE, ProducerMetricDimension } from '../core/producer/metrics';

/** The Powertools Metrics the producer handler publishes through: one series set per producer name. */
export function producerPowertoolsMetrics(producerName: string): Metrics {
  return new Metrics({
    namespace: METRICS_NAMESPACE,
    serviceName: PRODUCER_SERVICE,
    defaultDimensions: { [ProducerMetricDimension.PRODUCER_NAME]: producerName },
  });
}
