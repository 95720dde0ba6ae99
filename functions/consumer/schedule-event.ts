import type { Context } from 'aws-lambda';
import type { RunSummary } from '../core/consumer/engine';
import { ConfigurationError } from '../core/errors';

// The consumer's Lambda event shapes: what the schedule sends each invocation, and what it returns.

/** The input of the schedule's target, one rule or target per subtask. */
export interface ScheduledConsumerEvent {
  /** Which subtask this invocation runs; may be left out when the parallelism is 1. */
  readonly subtaskIndex?: number;
  /** @default - the configuration's consumer.parallelism */
  readonly parallelism?: number;
}

/** What the handler returns, for the invocation's log and tests. */
export interface ConsumerInvocationResult {
  readonly status: 'completed' | 'skipped';
  readonly subtaskIndex: number;
  readonly parallelism: number;
  readonly summary?: RunSummary;
  readonly reason?: string;
}

export type ConsumerLambdaHandler = (
  event: ScheduledConsumerEvent | null | undefined,
  context: Pick<Context, 'awsRequestId' | 'getRemainingTimeInMillis'>,
) => Promise<ConsumerInvocationResult>;

/** The subtask an invocation runs, from its event; a missing or out-of-range one fails with the fix. */
export function parseScheduledEvent(
  event: ScheduledConsumerEvent | null | undefined,
  configuredParallelism: number,
): { subtaskIndex: number; parallelism: number } {
  const parallelism = event?.parallelism ?? configuredParallelism;
  if (!Number.isInteger(parallelism) || parallelism < 1) {
    throw new ConfigurationError(
      `The event's parallelism is ${JSON.stringify(event?.parallelism)}; it must be an integer of 1 or more.`,
      'parallelism',
    );
  }
  const subtaskIndex = event?.subtaskIndex ?? (parallelism === 1 ? 0 : undefined);
  if (
    subtaskIndex === undefined ||
    !Number.isInteger(subtaskIndex) ||
    subtaskIndex < 0 ||
    subtaskIndex >= parallelism
  ) {
    throw new ConfigurationError(
      `The event's subtaskIndex is ${JSON.stringify(event?.subtaskIndex)}; with parallelism ${parallelism} the ` +
        `schedule's target input must carry {"subtaskIndex": 0 to ${parallelism - 1}}.`,
      'subtaskIndex',
    );
  }
  return { subtaskIndex, parallelism };
}
