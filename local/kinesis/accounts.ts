import { parseStreamArn } from '../../functions/core/aws/stream-ref';

/*
 * The local Kinesis is one kinesalite, which knows one account and no StreamARN. A stream is addressed by
 * ARN through the fault proxy, which turns StreamARN into the StreamName kinesalite stores it under: a
 * stream of the local account under its own name, a stream of any other account under
 * `<account>.<name>`. So "another account's" stream is a separate stream with its own shards and records,
 * reached only by its ARN, as in AWS; what the local stack does not model is IAM: no resource policy is
 * asked for, and any caller may read or write it.
 */

/** The account kinesalite serves (its own rule: AWS_ACCOUNT_ID's digits, else twelve zeros). */
export const LOCAL_ACCOUNT_ID = (process.env.AWS_ACCOUNT_ID ?? '0000-0000-0000').replace(/[^\d]/g, '');

/** The account the local tests and `npm start` treat as "another account", owner of shared streams. */
export const OTHER_LOCAL_ACCOUNT_ID = '111122223333';

/** The stream ARN of `name` in `account` (the local account unless given) and `region`. */
export function localStreamArn(name: string, region: string, account = LOCAL_ACCOUNT_ID): string {
  return `arn:aws:kinesis:${region}:${account}:stream/${name}`;
}

/**
 * The name kinesalite stores the stream of `stream` (a name, or an ARN of any account) under. Undefined
 * for a malformed ARN, which kinesalite then refuses as it refuses a missing StreamName.
 */
export function localStreamName(stream: string): string | undefined {
  if (!stream.startsWith('arn:')) return stream;
  const arn = parseStreamArn(stream);
  if (!arn) return undefined;
  return arn.account === LOCAL_ACCOUNT_ID ? arn.name : `${arn.account}.${arn.name}`;
}
