/**
 * Every error this toolkit throws on purpose. Each has `name` set so callers can branch on it
 * and a message that is a whole sentence saying what went wrong and what to do.
 */
export class ConnectorError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}
// Each class below also spells its name out: a minified Lambda bundle renames classes, so
// `new.target.name` alone would log a ConfigurationError as "H".

/** One thing wrong with a configuration: the key at fault and a sentence about it. */
export interface ConfigurationProblem {
  readonly key: string;
  readonly message: string;
}

/** A configuration value is missing, unknown or out of range. Raised once, at start-up or synth. */
export class ConfigurationError extends ConnectorError {
  override name = 'ConfigurationError';

  constructor(
    message: string,
    /** The configuration key or prop at fault. */
    readonly key?: string,
    /** Every problem found, when a loader reports several at once. */
    readonly problems: readonly ConfigurationProblem[] = key ? [{ key, message }] : [],
  ) {
    super(message);
  }
}

/** An input record or message cannot be processed as given; it is never retried. */
export class ValidationError extends ConnectorError {
  override name = 'ValidationError';

  constructor(
    message: string,
    readonly field?: string,
  ) {
    super(message);
  }
}

/** An AWS call kept failing after every retry the policy allowed. */
export class RetriesExhaustedError extends ConnectorError {
  override name = 'RetriesExhaustedError';

  constructor(
    readonly operation: string,
    readonly attempts: number,
    cause: unknown,
  ) {
    super(
      `${operation} failed after ${attempts} attempt(s): ${describeError(cause)}. ` +
        'Check the service limits and raise the retry settings if the failures are throttling.',
      { cause },
    );
  }
}

/** The enhanced fan-out stream consumer is missing, not ACTIVE in time, or was deregistered. */
export class StreamConsumerError extends ConnectorError {
  override name = 'StreamConsumerError';
}

/** Another invocation already holds the lease this one needs; it must not run. */
export class LeaseHeldError extends ConnectorError {
  override name = 'LeaseHeldError';
}

/** A short, secret-free description of any thrown value, for messages and logs. */
export function describeError(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return String(error);
}

/** A batch kept failing in the user's handler after every retry; the shard stops before it. */
export class DeliveryFailedError extends ConnectorError {
  override name = 'DeliveryFailedError';

  constructor(
    readonly stream: string,
    readonly shardId: string,
    readonly firstSequenceNumber: string,
    readonly attempts: number,
    cause: unknown,
    /** What else the operator can do, as a sentence. */
    advice?: string,
  ) {
    super(
      `The handler failed a batch of ${stream}/${shardId} starting at sequence number ${firstSequenceNumber} ` +
        `${attempts} time(s): ${describeError(cause)}. Nothing after it is checkpointed; the next invocation ` +
        `retries the batch. Fix the handler or the record.${advice ? ` ${advice}` : ''}`,
      { cause },
    );
  }
}

/** Records that failed could not be sent to the on-failure queue; the shard stops before them. */
export class OnFailureSendError extends ConnectorError {
  override name = 'OnFailureSendError';
}

/** This invocation's lease was taken over; it stops without writing checkpoints. */
export class LeaseLostError extends ConnectorError {
  override name = 'LeaseLostError';
}

/**
 * Exactly-once mode: a record's state changes and table writes do not fit in one DynamoDB transaction
 * (100 actions, 4 MB, 400 KB per item), or write one item twice. Nothing of the record is committed; after
 * its retries it goes to the on-failure destination.
 */
export class TransactionLimitError extends ConnectorError {
  override name = 'TransactionLimitError';
}

/**
 * Exactly-once mode: a transaction was cancelled. `reasons[i]` is DynamoDB's code for `actions[i]` of the
 * effects (the checkpoint's own action left out), `None` for those that would have passed.
 */
export class EffectsCancelledError extends ConnectorError {
  override name = 'EffectsCancelledError';

  constructor(
    message: string,
    readonly reasons: readonly string[],
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
