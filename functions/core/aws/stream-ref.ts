/*
 * A stream is given by name (in the caller's own account and region) or by ARN (any account, the caller's
 * region). Kinesis serves a stream in another account only by ARN: the request carries StreamARN, which
 * the resource policy the owner attached is checked against. One module says how each is addressed,
 * validated and checkpointed, for the consumer, the producer and the CLI alike.
 */

/** What a stream name may be: Kinesis's own rule. */
export const STREAM_NAME_PATTERN = /^[a-zA-Z0-9_.-]{1,128}$/;
const STREAM_ARN =
  /^arn:(aws[a-z-]*):kinesis:([a-z]{2}(?:-[a-z]+)+-\d{1,2}):(\d{12}):stream\/([a-zA-Z0-9_.-]{1,128})$/;

/** Names the shapes a stream reference may take, for error messages. */
export const STREAM_REF_RULE =
  'a stream name (1 to 128 letters, digits, "_", "." or "-") or a stream ARN ' +
  '(arn:<partition>:kinesis:<region>:<12-digit account>:stream/<name>)';

/** The parts of a stream ARN. */
export interface StreamArn {
  readonly arn: string;
  readonly partition: string;
  readonly region: string;
  readonly account: string;
  readonly name: string;
}

/** The parts of `value` when it is a well-formed stream ARN, else undefined. */
export function parseStreamArn(value: string): StreamArn | undefined {
  const match = STREAM_ARN.exec(value);
  if (!match) return undefined;
  const [, partition, region, account, name] = match as unknown as [string, string, string, string, string];
  return { arn: value, partition, region, account, name };
}

/** Whether `stream` is meant as an ARN (it may still be malformed: see `checkStreamRef`). */
export function isArnForm(stream: string): boolean {
  return stream.startsWith('arn:');
}

/** The stream name of a stream given by name or by ARN. */
export function streamNameOf(stream: string): string {
  return parseStreamArn(stream)?.name ?? stream;
}

/**
 * The request fields that address `stream`: StreamARN for an ARN (the only form cross-account access
 * accepts), else StreamName.
 */
export function streamTarget(stream: string): { StreamName: string } | { StreamARN: string } {
  return isArnForm(stream) ? { StreamARN: stream } : { StreamName: stream };
}

/**
 * The key the consumer's checkpoints of `stream` are stored under. A stream given by name keeps its name
 * (so existing checkpoints stay where they are); one given by ARN is `<name>@<account>`, so two
 * accounts' streams of the same name never share a position. The region is not part of it: a stream given
 * by ARN must be in the client's region, as the checkpoint store is.
 */
export function checkpointStreamKey(stream: string): string {
  const arn = parseStreamArn(stream);
  return arn ? `${arn.name}@${arn.account}` : stream;
}

/**
 * The problem with `value` as a stream reference, or undefined when it is a stream name or a well-formed
 * stream ARN in `region` (when given). The message names `label`, the value and what is allowed.
 */
export function checkStreamRef(value: unknown, label: string, region?: string): string | undefined {
  if (typeof value !== 'string')
    return `${label} is ${value === null ? 'null' : typeof value}; it must be ${STREAM_REF_RULE}.`;
  if (isArnForm(value)) {
    const arn = parseStreamArn(value);
    if (!arn)
      return `${label} is ${JSON.stringify(value)}, which is not a stream ARN; it must be ${STREAM_REF_RULE}.`;
    if (region !== undefined && arn.region !== region) {
      return (
        `${label} is ${JSON.stringify(value)}, a stream in ${arn.region}, but the client's region is ${region}; ` +
        "Kinesis serves a stream only in its own region: give a stream in that region or set the region to the stream's."
      );
    }
    return undefined;
  }
  if (!STREAM_NAME_PATTERN.test(value)) {
    return `${label} is ${JSON.stringify(value)}; it must be ${STREAM_REF_RULE}.`;
  }
  return undefined;
}

/**
 * `{ StreamARN }` for a stream given by ARN, else nothing: for the calls that take an iterator (GetRecords)
 * or a shard, where the ARN is optional but is what routes and authorizes a cross-account request.
 */
export function streamArnField(stream: string): { StreamARN?: string } {
  return isArnForm(stream) ? { StreamARN: stream } : {};
}

/** The partition of a region (for rebuilding an ARN from a checkpoint key). */
function partitionOf(region: string): string {
  if (region.startsWith('cn-')) return 'aws-cn';
  if (region.startsWith('us-gov-')) return 'aws-us-gov';
  if (region.startsWith('us-isob-')) return 'aws-iso-b';
  if (region.startsWith('us-iso-')) return 'aws-iso';
  return 'aws';
}

/**
 * The stream a checkpoint stream key stands for, in `region`: the inverse of `checkpointStreamKey`
 * (a stream checkpointed by ARN was in the client's region, the only one it could be read in).
 */
export function streamOfCheckpointKey(key: string, region: string): string {
  const at = key.lastIndexOf('@');
  if (at < 0) return key;
  return `arn:${partitionOf(region)}:kinesis:${region}:${key.slice(at + 1)}:stream/${key.slice(0, at)}`;
}
