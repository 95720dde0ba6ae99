import { describeError, RetriesExhaustedError } from '../errors';
import type { Clock, Random } from '../time/clock';

/** Full-jitter exponential backoff for one API family, as the reference connector configures it. */
export interface BackoffSettings {
  /** Retries after the first attempt. */
  readonly maxRetries: number;
  readonly baseMillis: number;
  readonly maxMillis: number;
  /** Exponential growth constant. */
  readonly expConst: number;
}

/** sleep = random(0,1) x min(max, base x expConst^attempt); attempt counts from 0. */
export function fullJitterDelay(attempt: number, settings: BackoffSettings, random: Random): number {
  const ceiling = Math.min(settings.maxMillis, settings.baseMillis * Math.pow(settings.expConst, attempt));
  return random() * ceiling;
}

export type ErrorClass = 'throttled' | 'transient' | 'fatal';

const THROTTLING_NAMES = new Set([
  'ProvisionedThroughputExceededException',
  'LimitExceededException',
  'ThrottlingException',
  'Throttling',
  'ThrottledException',
  'TooManyRequestsException',
  'RequestLimitExceeded',
  'RequestThrottled',
  'RequestThrottledException',
  'SlowDown',
  'KMSThrottlingException',
  'TooManyUpdates',
]);

const TRANSIENT_NAMES = new Set([
  'InternalFailure',
  'InternalServerError',
  'InternalError',
  'ServiceUnavailable',
  'ServiceUnavailableException',
  'RequestTimeout',
  'RequestTimeoutException',
  'TimeoutError',
  'KMSInternalException',
  'KMSDisabledException',
  'KMSOptInRequired',
  'RequestAbortedError',
]);

const NETWORK_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'EPIPE',
  'ETIMEDOUT',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ECONNABORTED',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'UND_ERR_SOCKET',
]);

/**
 * Sorts an AWS SDK error into throttling (retry, and count it), transient (retry) or fatal
 * (give up now): a validation error or a missing resource never gets better by waiting.
 */
export function classifyError(error: unknown): ErrorClass {
  if (typeof error !== 'object' || error === null) return 'fatal';
  const e = error as {
    name?: string;
    code?: string;
    $metadata?: { httpStatusCode?: number };
    $retryable?: { throttling?: boolean };
  };
  if (e.name && THROTTLING_NAMES.has(e.name)) return 'throttled';
  if (e.$retryable?.throttling) return 'throttled';
  const status = e.$metadata?.httpStatusCode;
  if (status === 429) return 'throttled';
  if (e.name && TRANSIENT_NAMES.has(e.name)) return 'transient';
  if (e.code && NETWORK_CODES.has(e.code)) return 'transient';
  if (e.name && NETWORK_CODES.has(e.name)) return 'transient';
  if (status !== undefined && status >= 500) return 'transient';
  if (e.$retryable) return 'transient';
  return 'fatal';
}

export function isRetryable(error: unknown): boolean {
  return classifyError(error) !== 'fatal';
}

export interface RetryOptions {
  readonly settings: BackoffSettings;
  readonly clock: Clock;
  readonly random: Random;
  /** Decides whether an error is worth another attempt. @default isRetryable */
  readonly retryable?: (error: unknown) => boolean;
  /** Called before each backoff sleep, for logs and metrics. */
  readonly onRetry?: (info: { attempt: number; delayMillis: number; error: unknown }) => void;
  readonly signal?: AbortSignal;
}

/** Logs each retry as a warning with its attempt, delay and error; for `RetryOptions.onRetry`. */
export function warnOnRetry(
  logger: { warn(message: string, extra: Record<string, unknown>): void } | undefined,
  message: string,
  context: Record<string, unknown> = {},
): RetryOptions['onRetry'] {
  if (!logger) return undefined;
  return ({ attempt, delayMillis, error }) =>
    logger.warn(message, {
      ...context,
      attempt,
      delayMillis: Math.round(delayMillis),
      error: describeError(error),
    });
}

/**
 * Runs `fn` until it succeeds, a fatal error occurs, or `settings.maxRetries` retries are spent,
 * sleeping a full-jitter backoff on the injected clock between attempts.
 */
export async function withRetries<T>(
  operation: string,
  fn: (attempt: number) => Promise<T>,
  options: RetryOptions,
): Promise<T> {
  const retryable = options.retryable ?? isRetryable;
  for (let attempt = 0; ; attempt++) {
    try {
      return await fn(attempt);
    } catch (error) {
      if (!retryable(error)) throw error;
      if (attempt >= options.settings.maxRetries) {
        throw new RetriesExhaustedError(operation, attempt + 1, error);
      }
      const delayMillis = fullJitterDelay(attempt, options.settings, options.random);
      options.onRetry?.({ attempt, delayMillis, error });
      await options.clock.sleep(delayMillis, options.signal);
    }
  }
}
