import { PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { SsmSubtaskLease } from '../../../functions/core/checkpoints/ssm-lease';
import { LeaseHeldError } from '../../../functions/core/errors';
import { FakeClock, seededRandom, systemClock } from '../../../functions/core/time/clock';
import { useLocalAws } from '../../support/local-aws';

const aws = useLocalAws({ ssm: true, maxAttempts: { ssm: 1 } });
// The lease's safety rests on a real bound: every claim lands within the settle delay, and a claim that
// does not stands down. Where contention is under test, real time is, so the delay is real, with room
// for a loaded CI machine (at 150 ms, all three contenders sometimes stood down and none won).
const CONTENDED_SETTLE = 1000;
const SETTLE = 150;
let n = 0;

/**
 * A lease on the real clock (`real`), or by default on a fake one from the real now that moves only
 * through the lease's own sleeps: a test of one claimant at a time checks what the lease decides, which
 * then does not hang on how long the local server takes under load.
 */
function lease(parameterName: string, owner: string, settleMillis = SETTLE, real = false) {
  return new SsmSubtaskLease({
    ssm: aws().clients.client('ssm', SSMClient),
    parameterName,
    owner,
    settleMillis,
    clock: real ? systemClock : new FakeClock(Date.now(), { autoAdvance: true }),
    random: seededRandom(2),
  });
}

const name = () => `/lease-test/app-${++n}/lease-subtask-0`;
const versions = (parameterName: string) => aws().ssm.parameter(parameterName)?.versions.length ?? 0;

describe('SsmSubtaskLease', () => {
  it('lets exactly one of several simultaneous claimants through', async () => {
    // Five contests at once, each on its own lease: as many interleavings as five in a row, in one delay.
    await Promise.all(
      Array.from({ length: 5 }, async () => {
        const parameterName = name();
        const claimants = ['a', 'b', 'c'].map((owner) => lease(parameterName, owner, CONTENDED_SETTLE, true));
        const results = await Promise.allSettled(claimants.map((l) => l.acquire(Date.now() + 60_000)));
        expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
        for (const r of results) if (r.status === 'rejected') expect(r.reason).toBeInstanceOf(LeaseHeldError);
        const held = await Promise.all(claimants.map((l) => l.isHeld()));
        expect(held.filter(Boolean)).toHaveLength(1);
      }),
    );
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
    const expiresAt = Date.now() + 1;
    await old.acquire(expiresAt);
    // The newer lease's clock starts at the real now, which must be past the old one's expiry.
    while (Date.now() <= expiresAt) await new Promise((resolve) => setImmediate(resolve));
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
      await expect(lease(parameterName, 'slow', 50, true).acquire(Date.now() + 60_000)).rejects.toThrow(
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
