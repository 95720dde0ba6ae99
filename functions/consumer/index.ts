// The consumer's Lambda edge: the handler factories, the schedule's event, and metrics publishing.
export {
  CONSUMER_HANDLER_ENV,
  createConsumerHandler,
  createExactlyOnceHandler,
  createLambdaTargetHandler,
  type ConsumerHandlerOptions,
} from './handler-factory';
export {
  consumerPowertoolsMetrics,
  PowertoolsMetricsSink,
  putRunMetrics,
  type ConsumerMetricsSink,
} from './metrics';
export {
  type ConsumerInvocationResult,
  type ConsumerLambdaHandler,
  type ScheduledConsumerEvent,
} from './schedule-event';
