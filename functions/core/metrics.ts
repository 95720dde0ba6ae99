// What every metric of the runtime shares. The CDK constructs (lib/metrics.ts) import these names, so
// what they chart and alarm on is what the handlers publish; this module never imports lib/.

/** CloudWatch namespace of every metric the consumer and producer handlers publish. */
export const METRICS_NAMESPACE = 'ServerlessKinesisConnector';

/**
 * The dimension Powertools Metrics adds to every metric with the handler's service name. It cannot be
 * turned off, so a CloudWatch series of ours always carries it beside the connector's own dimensions.
 */
export const SERVICE_DIMENSION = 'service';

/** The units the runtime's metrics use. */
export type MetricUnit = 'Count' | 'Bytes' | 'Milliseconds';
