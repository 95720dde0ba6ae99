import { randomBytes } from 'node:crypto';

/** What a receipt handle names: one receipt of one message in one queue. */
export interface Receipt {
  readonly queueName: string;
  readonly messageId: string;
  /** Which receive of the message issued it; only the latest one is current. */
  readonly receipt: number;
}

const PREFIX = 'LSQS1';

/** An opaque handle, like SQS's, that decodes back to the queue, the message and the receipt. */
export function encodeReceiptHandle(r: Receipt): string {
  const text = [PREFIX, r.queueName, r.messageId, r.receipt, randomBytes(12).toString('hex')].join('\n');
  return Buffer.from(text, 'utf8').toString('base64');
}

/** The receipt a handle names, or undefined when the handle was not issued by this server. */
export function decodeReceiptHandle(handle: string): Receipt | undefined {
  const parts = Buffer.from(handle, 'base64').toString('utf8').split('\n');
  if (parts.length !== 5 || parts[0] !== PREFIX) return undefined;
  const [, queueName, messageId, receipt] = parts;
  const n = Number(receipt);
  if (!queueName || !messageId || !Number.isInteger(n) || n < 1) return undefined;
  return { queueName, messageId, receipt: n };
}
