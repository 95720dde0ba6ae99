import { sqsError } from './errors';
import { show } from './input';
import { DEFAULT_QUEUE_SETTINGS, SQS_LIMITS } from './limits';

/** A queue's dead-letter settings, from its RedrivePolicy attribute. */
export interface RedrivePolicy {
  readonly deadLetterTargetArn: string;
  readonly maxReceiveCount: number;
}

type Rule =
  | { readonly kind: 'int'; readonly min: number; readonly max: number }
  | { readonly kind: 'bool' }
  | { readonly kind: 'enum'; readonly values: readonly string[] }
  | { readonly kind: 'json' }
  | { readonly kind: 'text' }
  | { readonly kind: 'redrive' };

interface AttributeRule {
  readonly rule: Rule;
  /** Only a FIFO queue has it. */
  readonly fifoOnly?: boolean;
  /** Only CreateQueue may give it. */
  readonly createOnly?: boolean;
}

const SETTABLE: Readonly<Record<string, AttributeRule>> = {
  DelaySeconds: { rule: { kind: 'int', min: 0, max: SQS_LIMITS.maxDelaySeconds } },
  MaximumMessageSize: {
    rule: { kind: 'int', min: SQS_LIMITS.minMaximumMessageSize, max: SQS_LIMITS.maxMessageBytes },
  },
  MessageRetentionPeriod: {
    rule: { kind: 'int', min: SQS_LIMITS.minRetentionSeconds, max: SQS_LIMITS.maxRetentionSeconds },
  },
  ReceiveMessageWaitTimeSeconds: { rule: { kind: 'int', min: 0, max: SQS_LIMITS.maxWaitTimeSeconds } },
  VisibilityTimeout: { rule: { kind: 'int', min: 0, max: SQS_LIMITS.maxVisibilityTimeoutSeconds } },
  Policy: { rule: { kind: 'json' } },
  RedrivePolicy: { rule: { kind: 'redrive' } },
  RedriveAllowPolicy: { rule: { kind: 'json' } },
  KmsMasterKeyId: { rule: { kind: 'text' } },
  KmsDataKeyReusePeriodSeconds: { rule: { kind: 'int', min: 60, max: 86_400 } },
  SqsManagedSseEnabled: { rule: { kind: 'bool' } },
  FifoQueue: { rule: { kind: 'bool' }, createOnly: true },
  ContentBasedDeduplication: { rule: { kind: 'bool' }, fifoOnly: true },
  DeduplicationScope: { rule: { kind: 'enum', values: ['messageGroup', 'queue'] }, fifoOnly: true },
  FifoThroughputLimit: { rule: { kind: 'enum', values: ['perQueue', 'perMessageGroupId'] }, fifoOnly: true },
};

/** Attributes SQS computes; GetQueueAttributes returns them, CreateQueue and SetQueueAttributes refuse them. */
const READ_ONLY = new Set([
  'ApproximateNumberOfMessages',
  'ApproximateNumberOfMessagesDelayed',
  'ApproximateNumberOfMessagesNotVisible',
  'CreatedTimestamp',
  'LastModifiedTimestamp',
  'QueueArn',
]);

const FIFO_ONLY = new Set(
  Object.keys(SETTABLE)
    .filter((n) => SETTABLE[n]?.fifoOnly)
    .concat('FifoQueue'),
);

/** The attribute names GetQueueAttributes knows, in the order `All` lists them. */
export const READABLE_ATTRIBUTES = [
  'ApproximateNumberOfMessages',
  'ApproximateNumberOfMessagesDelayed',
  'ApproximateNumberOfMessagesNotVisible',
  'CreatedTimestamp',
  'DelaySeconds',
  'LastModifiedTimestamp',
  'MaximumMessageSize',
  'MessageRetentionPeriod',
  'Policy',
  'QueueArn',
  'ReceiveMessageWaitTimeSeconds',
  'RedrivePolicy',
  'RedriveAllowPolicy',
  'VisibilityTimeout',
  'KmsMasterKeyId',
  'KmsDataKeyReusePeriodSeconds',
  'SqsManagedSseEnabled',
  'FifoQueue',
  'ContentBasedDeduplication',
  'DeduplicationScope',
  'FifoThroughputLimit',
] as const;

/** The stored attributes of a new queue before the request's own are applied. */
export function defaultAttributes(fifo: boolean): Map<string, string> {
  const attributes = new Map<string, string>([
    ['DelaySeconds', String(DEFAULT_QUEUE_SETTINGS.DelaySeconds)],
    ['MaximumMessageSize', String(DEFAULT_QUEUE_SETTINGS.MaximumMessageSize)],
    ['MessageRetentionPeriod', String(DEFAULT_QUEUE_SETTINGS.MessageRetentionPeriod)],
    ['ReceiveMessageWaitTimeSeconds', String(DEFAULT_QUEUE_SETTINGS.ReceiveMessageWaitTimeSeconds)],
    ['VisibilityTimeout', String(DEFAULT_QUEUE_SETTINGS.VisibilityTimeout)],
    ['SqsManagedSseEnabled', 'true'],
  ]);
  if (fifo) {
    attributes.set('FifoQueue', 'true');
    attributes.set('ContentBasedDeduplication', 'false');
    attributes.set('DeduplicationScope', 'queue');
    attributes.set('FifoThroughputLimit', 'perQueue');
  }
  return attributes;
}

/**
 * Validates attributes given to CreateQueue or SetQueueAttributes and returns them normalised (the
 * form GetQueueAttributes returns); an empty string means "remove" for the optional JSON attributes.
 */
export function normaliseAttributes(
  raw: Readonly<Record<string, string>>,
  fifo: boolean,
  operation: 'CreateQueue' | 'SetQueueAttributes',
): Map<string, string> {
  const result = new Map<string, string>();
  for (const [name, value] of Object.entries(raw)) {
    const spec = SETTABLE[name];
    if (!spec || READ_ONLY.has(name) || (spec.createOnly && operation !== 'CreateQueue')) {
      throw sqsError(
        'InvalidAttributeName',
        `Unknown or read-only attribute ${show(name)} for ${operation}.`,
      );
    }
    if (spec.fifoOnly && !fifo) {
      throw sqsError('InvalidAttributeName', `Attribute ${name} applies only to FIFO queues.`);
    }
    result.set(name, normaliseValue(name, value, spec.rule, operation));
  }
  const scope = result.get('DeduplicationScope');
  if (result.get('FifoThroughputLimit') === 'perMessageGroupId' && scope === 'queue') {
    throw sqsError(
      'InvalidAttributeValue',
      'FifoThroughputLimit perMessageGroupId needs DeduplicationScope messageGroup, not queue.',
    );
  }
  return result;
}

function normaliseValue(name: string, value: string, rule: Rule, operation: string): string {
  const bad = (allowed: string) =>
    sqsError('InvalidAttributeValue', `Invalid value ${show(value)} for the attribute ${name}: ${allowed}.`);
  switch (rule.kind) {
    case 'int': {
      const n = /^\d+$/.test(value.trim()) ? Number(value.trim()) : NaN;
      if (!Number.isInteger(n) || n < rule.min || n > rule.max) {
        throw bad(`it must be a whole number from ${rule.min} to ${rule.max}`);
      }
      return String(n);
    }
    case 'bool': {
      const lower = value.trim().toLowerCase();
      if (lower !== 'true' && lower !== 'false') throw bad('it must be true or false');
      return lower;
    }
    case 'enum':
      if (!rule.values.includes(value)) throw bad(`it must be one of ${rule.values.join(', ')}`);
      return value;
    case 'text':
      return value;
    case 'json':
      if (value === '' && operation === 'SetQueueAttributes') return '';
      try {
        JSON.parse(value);
      } catch {
        throw bad('it must be a JSON document');
      }
      return value;
    case 'redrive': {
      if (value === '' && operation === 'SetQueueAttributes') return '';
      const policy = parseRedrivePolicy(value);
      if (!policy) {
        throw bad(
          `it must be a JSON object with deadLetterTargetArn (a queue ARN) and maxReceiveCount (1 to ${SQS_LIMITS.maxReceiveCount})`,
        );
      }
      return JSON.stringify(policy);
    }
  }
}

/** Reads a RedrivePolicy; maxReceiveCount may be a number or a numeric string, as SQS accepts both. */
export function parseRedrivePolicy(value: string | undefined): RedrivePolicy | undefined {
  if (!value) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    return undefined;
  }
  if (typeof parsed !== 'object' || parsed === null) return undefined;
  const { deadLetterTargetArn, maxReceiveCount } = parsed as Record<string, unknown>;
  const count =
    typeof maxReceiveCount === 'number'
      ? maxReceiveCount
      : typeof maxReceiveCount === 'string' && /^\d+$/.test(maxReceiveCount)
        ? Number(maxReceiveCount)
        : maxReceiveCount === undefined
          ? DEFAULT_QUEUE_SETTINGS.maxReceiveCount
          : NaN;
  if (typeof deadLetterTargetArn !== 'string' || !deadLetterTargetArn.startsWith('arn:')) return undefined;
  if (!Number.isInteger(count) || count < 1 || count > SQS_LIMITS.maxReceiveCount) return undefined;
  return { deadLetterTargetArn, maxReceiveCount: count };
}

/** Checks the names a GetQueueAttributes call asks for; `All` expands to every name. */
export function requestedAttributeNames(names: readonly string[], fifo: boolean): Set<string> {
  const known = new Set<string>(READABLE_ATTRIBUTES);
  for (const name of names) {
    if (name !== 'All' && (!known.has(name) || (!fifo && FIFO_ONLY.has(name)))) {
      throw sqsError('InvalidAttributeName', `Unknown attribute ${show(name)}.`);
    }
  }
  return names.includes('All') ? known : new Set(names);
}
