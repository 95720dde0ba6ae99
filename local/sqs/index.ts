export { LocalSqsServer, type LocalSqsServerOptions } from './server';
export type { MessageCounts } from './queue';
export { SQS_LIMITS } from './limits';
export {
  md5OfMessageAttributes,
  type MessageAttributes,
  type MessageAttributeValue,
} from './message-attributes';
