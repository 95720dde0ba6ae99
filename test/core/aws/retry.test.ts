import { RetriesExhaustedError } from '../../../functions/core/errors';
import { classifyError, fullJitterDelay, warnOnRetry, withRetries } from '../../../functions/core/aws/retry';
import { FakeClock, seededRandom } from '../../../functions/core/time/clock';

const settings = { maxRetries: 3, baseMillis: 300, maxMillis: 1000, expConst: 1.5 };

function awsError(name: string, status?: number): Error {
  return Object.assign(new Error(name), { name, $metadata: { httpStatusCode: status } });
}

describe('fullJitterDelay', () => {
  it('scales a random fraction of min(max, base x expConst^attempt)', () => {
    expect(fullJitterDelay(0, settings, () => 0.5)).toBeCloseTo(150);
    expect(fullJitterDelay(1, settings, () => 0.5)).toBeCloseTo(225);
    expect(fullJitterDelay(2, settings, () => 1)).toBeCloseTo(675);
    expect(fullJitterDelay(3, settings, () => 1)).toBe(1000);
    expect(fullJitterDelay(10, settings, () => 0)).toBe(0);
  });
});

describe('classifyError', () => {
  it.each([
    ['ProvisionedThroughputExceededException', 400, 'throttled'],
    ['LimitExceededException', 400, 'throttled'],
    ['ThrottlingException', 400, 'throttled'],
    ['SomethingElse', 429, 'throttled'],
    ['InternalFailure', 500, 'transient'],
    ['ServiceUnavailable', 503, 'transient'],
    ['UnknownServerError', 502, 'transient'],
    ['ResourceNotFoundException', 400, 'fatal'],
    ['ValidationException', 400, 'fatal'],
    ['InvalidArgumentException', 400, 'fatal'],
  ])('%s with status %s is %s', (name, status, expected) => {
    expect(classifyError(awsError(name, status))).toBe(expected);
  });

  it('treats network resets as transient and non-errors as fatal', () => {
    expect(classifyError(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }))).toBe(
      'transient',
    );
    expect(classifyError('boom')).toBe('fatal');
    expect(classifyError(undefined)).toBe('fatal');
  });
});

describe('withRetries', () => {
  it('retries retryable errors with backoff on the injected clock and returns the result', async () => {
    const clock = new FakeClock(0, { autoAdvance: true });
    const delays: number[] = [];
    let calls = 0;
    const result = await withRetries(
      'GetRecords',
      async () => {
        calls++;
        if (calls < 3) throw awsError('ProvisionedThroughputExceededException', 400);
        return 'ok';
      },
      { settings, clock, random: () => 1, onRetry: ({ delayMillis }) => delays.push(delayMillis) },
    );
    expect(result).toBe('ok');
    expect(calls).toBe(3);
    expect(delays).toEqual([300, 450]);
    expect(clock.now()).toBe(750);
  });

  it('gives up after maxRetries retries with an error naming the operation and attempts', async () => {
    const clock = new FakeClock(0, { autoAdvance: true });
    let calls = 0;
    const attempt = withRetries(
      'ListShards',
      async () => {
        calls++;
        throw awsError('LimitExceededException', 400);
      },
      { settings, clock, random: seededRandom(1) },
    );
    await expect(attempt).rejects.toThrow(RetriesExhaustedError);
    await expect(attempt).rejects.toThrow(/ListShards failed after 4 attempt\(s\): LimitExceededException/);
    expect(calls).toBe(4);
  });

  it('does not retry a fatal error', async () => {
    const clock = new FakeClock(0, { autoAdvance: true });
    let calls = 0;
    await expect(
      withRetries(
        'GetShardIterator',
        async () => {
          calls++;
          throw awsError('ResourceNotFoundException', 400);
        },
        { settings, clock, random: () => 0.5 },
      ),
    ).rejects.toThrow('ResourceNotFoundException');
    expect(calls).toBe(1);
    expect(clock.now()).toBe(0);
  });
});

describe('warnOnRetry', () => {
  it('logs each retry with its context, attempt, rounded delay and error, and nothing without a logger', async () => {
    const warnings: [string, Record<string, unknown>][] = [];
    const logger = {
      warn: (message: string, extra: Record<string, unknown>) => warnings.push([message, extra]),
    };
    const clock = new FakeClock(0, { autoAdvance: true });
    let calls = 0;
    await withRetries(
      'PutParameter',
      async () => {
        if (++calls < 2) throw awsError('ThrottlingException', 400);
        return 'ok';
      },
      { settings, clock, random: () => 0.5, onRetry: warnOnRetry(logger, 'writing failed', { stream: 's' }) },
    );
    expect(warnings).toEqual([
      [
        'writing failed',
        { stream: 's', attempt: 0, delayMillis: 150, error: 'ThrottlingException: ThrottlingException' },
      ],
    ]);
    expect(warnOnRetry(undefined, 'unused')).toBeUndefined();
  });
});
