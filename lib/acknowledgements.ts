import type { Acknowledgment } from 'aws-cdk-lib';

// Every cdk-nag finding the constructs acknowledge, with its reason, in one place so the
// documentation (docs/constructs.md) can be checked against it by a test.

/** The cdk-nag acknowledgements the constructs record, each with the reason it is acceptable. */
export const ACKNOWLEDGEMENTS = {
  customerManagedStreamKey: {
    id: 'AwsSolutions-KDS3',
    reason:
      'The user passed encryptionKey to ask for a customer managed key instead of alias/aws/kinesis, ' +
      'accepting its per-request KMS cost.',
  },
  onFailureQueueIsTheDeadLetterQueue: {
    id: 'AwsSolutions-SQS3',
    reason:
      'This queue is itself the consumer’s dead-letter destination: failed batches are parked here for ' +
      'inspection and replay, so a dead-letter queue behind it would never receive anything.',
  },
} satisfies Record<string, Acknowledgment>;

/** The rule ids and reasons of the acknowledgements whose finding names a resource known only at synth. */
export const RESOURCE_ACKNOWLEDGEMENT_REASONS = {
  checkpointParameters: {
    rule: 'AwsSolutions-IAM5',
    reason:
      'Checkpoint and lease parameters are created at run time, one per stream and subtask, so the ' +
      'SSM actions need a wildcard; it is confined to this consumer’s own parameter path.',
  },
  lazyStreamConsumer: {
    rule: 'AwsSolutions-IAM5',
    reason:
      'With LAZY registration the function registers its stream consumer, whose ARN ends in the time of ' +
      'registration; the grant names the stream and the consumer and leaves only that timestamp open.',
  },
} as const;

/** An acknowledgement of one IAM5 finding on a resource pattern (as cdk-nag prints it). */
export function acknowledgeResource(
  entry: (typeof RESOURCE_ACKNOWLEDGEMENT_REASONS)[keyof typeof RESOURCE_ACKNOWLEDGEMENT_REASONS],
  resource: string,
): Acknowledgment {
  return { id: `${entry.rule}[Resource::${resource}]`, reason: entry.reason };
}
