import type { Logger } from '@aws-lambda-powertools/logger';
import { GetParameterCommand, PutParameterCommand, type SSMClient } from '@aws-sdk/client-ssm';
import { warnOnRetry, withRetries, type BackoffSettings } from '../aws/retry';
import { LeaseHeldError } from '../errors';
import type { Clock, Random } from '../time/clock';
import type { LeaseHolder, OperatorLease } from './checkpoint-store';
import { DEFAULT_SSM_WRITE_BACKOFF } from './ssm-checkpoint-store';

export interface SsmSubtaskLeaseOptions {
  readonly ssm: SSMClient;
  /** e.g. `${basePath}/leases/subtask-3`. */
  readonly parameterName: string;
  /** This invocation's id (the Lambda request id). */
  readonly owner: string;
  /**
   * How long to wait after writing the lease before checking it is still ours. It must exceed the time
   * any contender needs from reading the lease to its write landing (an SSM call with its timeout).
   */
  readonly settleMillis: number;
  readonly clock: Clock;
  readonly random: Random;
  /** @default DEFAULT_SSM_WRITE_BACKOFF */
  readonly backoff?: BackoffSettings;
  readonly logger?: Logger;
}

interface LeaseState {
  readonly owner: string;
  readonly expiresAt: number;
  readonly version: number;
}

/**
 * A lease on one subtask in an SSM parameter. SSM has no compare-and-set, so taking it follows Fischer's
 * mutual-exclusion protocol over parameter versions: read; if another owner holds an unexpired lease,
 * refuse; else write our claim, wait `settleMillis`, and read again: the claim stands only if the
 * parameter still holds our version. Safe as long as every contender's read-to-write step completes
 * within `settleMillis`.
 */
export class SsmSubtaskLease implements OperatorLease {
  private version: number | undefined;

  constructor(private readonly options: SsmSubtaskLeaseOptions) {}

  acquire(expiresAt: number): Promise<void> {
    return this.claim(expiresAt, false);
  }

  takeOver(expiresAt: number): Promise<void> {
    return this.claim(expiresAt, true);
  }

  async holder(): Promise<LeaseHolder | undefined> {
    const current = await this.read();
    return current && { owner: current.owner, expiresAt: current.expiresAt };
  }

  private async claim(expiresAt: number, takeOver: boolean): Promise<void> {
    const { owner, clock, settleMillis, parameterName } = this.options;
    const current = await this.read();
    const readAt = clock.now();
    if (!takeOver && current && current.owner !== owner && current.expiresAt > readAt) {
      throw new LeaseHeldError(
        `Subtask lease ${parameterName} is held by invocation ${current.owner} until ` +
          `${new Date(current.expiresAt).toISOString()}; this invocation does not read. Keep the function ` +
          'timeout below the schedule period so invocations of one subtask never overlap.',
      );
    }
    this.version = await this.write(expiresAt);
    if (clock.now() - readAt > settleMillis) {
      // Our claim may have landed after a contender's check, so that contender may be reading: stand
      // down. (The contender's next checkpoint write sees our claim and stops too; nobody reads until
      // the next invocation, which is safe.)
      this.version = undefined;
      throw new LeaseHeldError(
        `Claiming subtask lease ${parameterName} took longer than the ${settleMillis} ms settle delay; ` +
          'this invocation does not read. Raise the settle delay if SSM is slow or throttled.',
      );
    }
    await clock.sleep(settleMillis);
    const after = await this.read();
    if (!after || after.owner !== owner || after.version !== this.version) {
      this.version = undefined;
      throw new LeaseHeldError(
        `Subtask lease ${parameterName} was claimed by invocation ${after?.owner ?? '(unknown)'} at the same ` +
          'time; that one reads and this one does not.',
      );
    }
  }

  async isHeld(): Promise<boolean> {
    if (this.version === undefined) return false;
    const current = await this.read();
    return current?.owner === this.options.owner && current.version === this.version;
  }

  async release(): Promise<void> {
    if (!(await this.isHeld())) return;
    await this.write(0);
    this.version = undefined;
  }

  private async read(): Promise<LeaseState | undefined> {
    const { ssm, parameterName } = this.options;
    const response = await this.retrying('GetParameter', async () => {
      try {
        return await ssm.send(new GetParameterCommand({ Name: parameterName }));
      } catch (error) {
        if ((error as Error).name === 'ParameterNotFound') return undefined;
        throw error;
      }
    });
    const parameter = response?.Parameter;
    if (!parameter?.Value) return undefined;
    try {
      const parsed = JSON.parse(parameter.Value) as { owner?: unknown; expiresAt?: unknown };
      if (typeof parsed.owner !== 'string' || typeof parsed.expiresAt !== 'number') return undefined;
      return { owner: parsed.owner, expiresAt: parsed.expiresAt, version: parameter.Version ?? 0 };
    } catch {
      // An unreadable lease protects nothing; treat it as free.
      return undefined;
    }
  }

  private async write(expiresAt: number): Promise<number> {
    const { ssm, parameterName, owner } = this.options;
    const response = await this.retrying('PutParameter', () =>
      ssm.send(
        new PutParameterCommand({
          Name: parameterName,
          Value: JSON.stringify({ owner, expiresAt }),
          Type: 'String',
          Overwrite: true,
        }),
      ),
    );
    return response.Version ?? 0;
  }

  private retrying<T>(operation: string, fn: () => Promise<T>): Promise<T> {
    return withRetries(operation, fn, {
      settings: this.options.backoff ?? DEFAULT_SSM_WRITE_BACKOFF,
      clock: this.options.clock,
      random: this.options.random,
      onRetry: warnOnRetry(this.options.logger, `${operation} on the subtask lease failed; backing off`),
    });
  }
}
