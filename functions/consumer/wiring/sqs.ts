import { SQSClient } from '@aws-sdk/client-sqs';
import { SqsOnFailureQueue, type OnFailureDestination } from '../../core/consumer/on-failure';
import type { WiringContext } from './context';

/** The on-failure queue of the configuration, which must name one. */
export function sqsOnFailureQueue(context: WiringContext, queueUrl: string): OnFailureDestination {
  const { config, clock, random } = context;
  return new SqsOnFailureQueue({
    sqs: context.aws.client('sqs', SQSClient),
    queueUrl,
    maxMessageBytes: config.onFailure.maxMessageBytes,
    consumerName: config.consumerName,
    clock,
    random,
  });
}
