import type { Logger } from '@aws-lambda-powertools/logger';
import {
  DeleteParameterCommand,
  GetParameterCommand,
  GetParametersByPathCommand,
  PutParameterCommand,
  type SSMClient,
} from '@aws-sdk/client-ssm';
import { warnOnRetry, withRetries, type BackoffSettings } from '../aws/retry';
import { describeError, LeaseHeldError, LeaseLostError } from '../errors';
import type { Clock, Random } from '../time/clock';
import { handoffOwner, type HandoverClaim, type LeaseHolder, type OperatorLease } from './checkpoint-store';
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
  /** The create-once parameter by which this owner won a handoff; deleted when it lets the lease go. */
  private marker: string | undefined;

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
          `${new Date(current.expiresAt).toISOString()}; this invocation does not read.`,
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
    if (await this.isHeld()) await this.write(0);
    this.version = undefined;
    await this.dropMarker();
  }

  /**
   * Heartbeat. Without compare-and-set the write may land over a taker's claim if it is slow, so it
   * counts only when read and write together took less than the settle delay: the holder calls it well
   * before the expiry (by more than the settle delay), so a renewal that counts landed before any taker
   * could see the lease expired, and one that does not stops the holder.
   */
  async renew(expiresAt: number): Promise<boolean> {
    const version = await this.rewriteHeld(this.options.owner, expiresAt);
    this.version = version;
    return version !== undefined;
  }

  async handOver(handoffToken: string, expiresAt: number): Promise<void> {
    const version = await this.rewriteHeld(handoffOwner(handoffToken), expiresAt);
    this.version = undefined;
    await this.dropMarker();
    if (version === undefined) {
      throw new LeaseLostError(
        `Subtask lease ${this.options.parameterName} was no longer this invocation's when it was to be handed over.`,
      );
    }
  }

  /**
   * Claims a handed-over lease without the settle delay. Of several successors started with the same
   * token (an asynchronous invoke delivered twice), the one that creates the create-once parameter
   * `<lease>/handoff-<token>` first (PutParameter without Overwrite) claims; the others find it exists.
   * The claim must land before the handoff expires: it counts only when read to write took less than
   * the settle delay and the handoff had more than that left when read.
   */
  async acceptHandover(handoffToken: string, expiresAt: number): Promise<HandoverClaim> {
    const { clock, settleMillis, parameterName, owner } = this.options;
    const readAt = clock.now();
    const current = await this.read();
    if (current?.owner !== handoffOwner(handoffToken) || current.expiresAt <= readAt + settleMillis) {
      return { taken: false, holder: current && { owner: current.owner, expiresAt: current.expiresAt } };
    }
    const marker = `${parameterName}/handoff-${handoffToken}`;
    if (!(await this.create(marker))) {
      return { taken: false, holder: { owner: current.owner, expiresAt: current.expiresAt } };
    }
    this.marker = marker;
    const version = await this.write(expiresAt);
    if (clock.now() - readAt > settleMillis) {
      // The claim may have landed after the handoff expired and a watchdog took the lease: stand down.
      throw new LeaseHeldError(
        `Claiming the handed-over lease ${parameterName} took longer than the ${settleMillis} ms settle delay; ` +
          `invocation ${owner} does not read.`,
      );
    }
    this.version = version;
    return { taken: true };
  }

  /** Writes `storedOwner` and `expiresAt` over a lease this owner holds; undefined when it is not held or was slow. */
  private async rewriteHeld(storedOwner: string, expiresAt: number): Promise<number | undefined> {
    const { clock, settleMillis, owner } = this.options;
    if (this.version === undefined) return undefined;
    const readAt = clock.now();
    const current = await this.read();
    if (current?.owner !== owner || current.version !== this.version) return undefined;
    const version = await this.write(expiresAt, storedOwner);
    if (clock.now() - readAt > settleMillis) {
      this.options.logger?.warn('A lease write took longer than the settle delay; the lease is given up', {
        parameterName: this.options.parameterName,
        millis: clock.now() - readAt,
      });
      return undefined;
    }
    return version;
  }

  /** Creates a parameter that must not exist yet; false when it does. */
  private async create(name: string): Promise<boolean> {
    const { ssm, owner } = this.options;
    try {
      await this.retrying('PutParameter', () =>
        ssm.send(new PutParameterCommand({ Name: name, Value: owner, Type: 'String', Overwrite: false })),
      );
      return true;
    } catch (error) {
      if ((error as Error).name === 'ParameterAlreadyExists') return false;
      throw error;
    }
  }

  /**
   * Deletes the handoff parameters below the lease: this owner's own once it lets the lease go, and
   * any a crashed holder left behind once a takeover holds the lease (a handoff then is long settled).
   */
  private async dropMarker(): Promise<void> {
    const names = this.marker ? [this.marker] : [];
    this.marker = undefined;
    await this.deleteAll(names);
  }

  /** Deletes the handoff parameters of earlier holders (after a takeover: their handoffs are over). */
  async dropStaleMarkers(): Promise<void> {
    const { ssm, parameterName } = this.options;
    const response = await this.retrying('GetParametersByPath', () =>
      ssm.send(new GetParametersByPathCommand({ Path: parameterName, Recursive: false, MaxResults: 10 })),
    );
    await this.deleteAll((response.Parameters ?? []).map((p) => p.Name ?? '').filter(Boolean));
  }

  private async deleteAll(names: readonly string[]): Promise<void> {
    for (const name of names) {
      try {
        await this.retrying('DeleteParameter', () =>
          this.options.ssm.send(new DeleteParameterCommand({ Name: name })),
        );
      } catch (error) {
        // Left over, it costs one parameter of the account's quota and nothing else.
        if ((error as Error).name === 'ParameterNotFound') continue;
        this.options.logger?.info('Could not delete a handoff parameter', {
          name,
          error: describeError(error),
        });
      }
    }
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

  private async write(expiresAt: number, owner = this.options.owner): Promise<number> {
    const { ssm, parameterName } = this.options;
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
