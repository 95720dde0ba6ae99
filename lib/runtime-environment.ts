// Turns the constructs' typed settings into the functions' environment variables.
// Interim: the config module (functions/core/config/) owns the variable names; until it lands on
// main this file is the only place that spells them, and it will delegate to that module's mapping.

/** What the producer function needs to know about its deployment. */
export interface ProducerDeployment {
  readonly producerName: string;
  readonly defaultStreamName: string;
  readonly allowedStreamNames: readonly string[];
  readonly deadLetterQueueUrl: string;
}

/** The producer function's environment. */
export function producerEnvironment(deployment: ProducerDeployment): Record<string, string> {
  return {
    PRODUCER_NAME: deployment.producerName,
    PRODUCER_DEFAULT_STREAM: deployment.defaultStreamName,
    PRODUCER_ALLOWED_STREAMS: deployment.allowedStreamNames.join(','),
    PRODUCER_DEAD_LETTER_QUEUE_URL: deployment.deadLetterQueueUrl,
  };
}
