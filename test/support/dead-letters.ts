import { ReceiveMessageCommand, type Message, type SQSClient } from '@aws-sdk/client-sqs';
import { REJECTION_ATTRIBUTE } from '../../functions/core/producer/dead-letter';

/**
 * Takes every message of a dead-letter queue (hidden for a minute, so each is read once) and fails the
 * test unless each carries its reason (the producer's ProducerRejection attribute, not empty). Returns
 * the messages for further checks. Every test that dead-letters calls this on its DLQ.
 */
export async function expectDeadLettersWithReasons(
  sqs: Pick<SQSClient, 'send'>,
  queueUrl: string,
): Promise<Message[]> {
  const messages: Message[] = [];
  for (;;) {
    const { Messages = [] } = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: queueUrl,
        MaxNumberOfMessages: 10,
        VisibilityTimeout: 60,
        MessageAttributeNames: ['All'],
        MessageSystemAttributeNames: ['All'],
      }),
    );
    if (Messages.length === 0) break;
    messages.push(...Messages);
  }
  const withoutReason = messages.filter(
    (m) => !m.MessageAttributes?.[REJECTION_ATTRIBUTE]?.StringValue?.trim(),
  );
  expect(withoutReason.map((m) => ({ id: m.MessageId, body: m.Body?.slice(0, 80) }))).toEqual([]);
  return messages;
}
