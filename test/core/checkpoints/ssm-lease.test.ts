import { PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { SsmSubtaskLease } from '../../../functions/core/checkpoints/ssm-lease';
import { LeaseHeldError } from '../../../functions/core/errors';
import { seededRandom, systemClock } from '../../../functions/core/time/clock';
import { useLocalAws } from '../../support/local-aws';

const aws = useLocalAws({ ssm: true, maxAttempts: { ssm: 1 } });
const SETTLE = 150;
let n = 0;

function lease(parameterName: string, owner: string, settleMillis = SETTLE) {
  return new SsmSubtaskLease({
    ssm: aws().clients.client('ssm', SSMClient),
    parameterName,
    owner,
    settleMillis,
    clock: systemClock,
    random: seededRandom(2),
  });
}

const name = () => `/lease-test/app-${++n}/lease-subtask-0`;
const versions = (parameterName: string) => aws().ssm.parameter(parameterName)?.versions.length ?? 0;

describe('SsmSubtaskLease', () => {
  it('lets exactly one of several simultaneous claimants through', async () => {
    for (let round = 0; round < 5; round++) {
      const parameterName = name();
      const claimants = ['a', 'b', 'c'].map((owner) => lease(parameterName, owner));
      const results = await Promise.allSettled(claimants.map((l) => l.acquire(Date.now() + 60_000)));
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      for (const r of results) if (r.status === 'rejected') expect(r.reason).toBeInstanceOf(LeaseHeldError);
      const held = await Promise.all(claimants.map((l) => l.isHeld()));
      expect(held.filter(Boolean)).toHaveLength(1);
    }
  });

  it('refuses, without writing, while another owner’s lease is unexpired', async () => {
    const parameterName = name();
    await lease(parameterName, 'first').acquire(Date.now() + 60_000);
    const written = versions(parameterName);
    await expect(lease(parameterName, 'second').acquire(Date.now() + 60_000)).rejects.toThrow(
      /held by invocation first until/,
    );
    expect(versions(parameterName)).toBe(written);
  });

  it('lets a new owner take over a lease that has expired (a crashed invocation)', async () => {
    const parameterName = name();
    const ssm = aws().clients.client('ssm', SSMClient);
    await ssm.send(
      new PutParameterCommand({
        Name: parameterName,
        Value: JSON.stringify({ owner: 'crashed', expiresAt: Date.now() - 1 }),
        Type: 'String',
      }),
    );
    const next = lease(parameterName, 'next');
    await next.acquire(Date.now() + 60_000);
    expect(await next.isHeld()).toBe(true);
  });

  it('tells the old owner it no longer holds the lease after a takeover, and its release leaves it alone', async () => {
    const parameterName = name();
    const old = lease(parameterName, 'old');
    await old.acquire(Date.now() + 1);
    const newer = lease(parameterName, 'new');
    await newer.acquire(Date.now() + 60_000);
    expect(await old.isHeld()).toBe(false);
    await old.release();
    expect(await newer.isHeld()).toBe(true);
  });

  it('releases so the next invocation need not wait for the expiry', async () => {
    const parameterName = name();
    const first = lease(parameterName, 'first');
    await first.acquire(Date.now() + 60_000);
    await first.release();
    await lease(parameterName, 'second').acquire(Date.now() + 60_000);
  });

  it('stands down when its own claim took longer than the settle delay to land', async () => {
    const parameterName = name();
    aws().ssm.faults.set({ operations: ['PutParameter'], latencyMillis: 80 });
    try {
      await expect(lease(parameterName, 'slow', 50).acquire(Date.now() + 60_000)).rejects.toThrow(
        /took longer than the 50 ms settle delay/,
      );
    } finally {
      aws().ssm.faults.clear();
    }
  });

  it('shows its holder and expiry to an operator, and nothing for a lease never taken', async () => {
    const parameterName = name();
    expect(await lease(parameterName, 'operator').holder()).toBeUndefined();
    const expiresAt = Date.now() + 60_000;
    await lease(parameterName, 'invocation-1').acquire(expiresAt);
    expect(await lease(parameterName, 'operator').holder()).toEqual({ owner: 'invocation-1', expiresAt });
  });

  it('lets an operator take over a live lease, after which the old holder no longer holds it', async () => {
    const parameterName = name();
    const running = lease(parameterName, 'running');
    await running.acquire(Date.now() + 60_000);
    const operator = lease(parameterName, 'operator');
    await expect(operator.acquire(Date.now() + 60_000)).rejects.toBeInstanceOf(LeaseHeldError);
    await operator.takeOver(Date.now() + 60_000);
    expect(await operator.isHeld()).toBe(true);
    expect(await running.isHeld()).toBe(false);
    await expect(lease(parameterName, 'next').acquire(Date.now() + 60_000)).rejects.toThrow(
      /held by invocation operator/,
    );
    await operator.release();
    expect((await operator.holder())?.expiresAt).toBe(0);
  });
});
