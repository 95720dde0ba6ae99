import { KinesisClient } from '@aws-sdk/client-kinesis';
import type { RunSummary } from '../../functions/core/consumer/engine';
import { useLocalAws } from '../support/local-aws';
import { Logger } from '@aws-lambda-powertools/logger';
import { Collector, createStream, uniquePath } from './consumer-support';
import { Chain, skipped, trickle, type ChainOptions, type StoreKind } from '../../local/runner/subtask-chain';

// Continuous mode on the local servers (kinesalite behind the fault proxy, the SSM server, dynalite),
// each scenario on both checkpoint stores. The scenarios run concurrently (jest's maxConcurrency): each
// is mostly waiting on budgets and lease expiries in real time, and each has its own stream and store. A chain's invocations run in this process, each with
// its own clients, so one can be killed (every later call of it never returns). What is checked comes
// from the calls themselves: every GetRecords of every invocation (no two invocations have one open at
// the same instant), every record put and delivered (none lost; duplicates only after a kill), and, with
// DynamoDB, the fencing token of every checkpoint write (never going back).

const aws = useLocalAws({ kinesis: true, ssm: true, dynamodb: true });
const STORES: readonly StoreKind[] = ['ssm', 'dynamodb'];
// The setting's least, so a renewal under load has seconds to spare; the margin (3 s) the holder keeps
// before its lease's expiry is the real one.
const EXPIRY = 10_000;
const BUDGET = 3000;
const LEAD = 500;

let streams = 0;

interface Scenario {
  readonly chain: Chain;
  readonly collector: Collector;
  readonly sent: string[];
}

/**
 * Starts a record trickle and the chain's first invocation, lets `drive` steer the chain, stops the
 * trickle once `drive` resolves, then waits for every invocation that can end.
 */
async function scenario(
  store: StoreKind,
  options: Partial<ChainOptions>,
  drive: (chain: Chain) => Promise<void>,
  catchUp = true,
): Promise<Scenario> {
  const n = ++streams;
  const stream = `continuous-${store}-${n}`;
  await createStream(aws().clients.client('kinesis', KinesisClient), stream, 1);
  const collector = new Collector();
  const chain = new Chain({
    aws: aws(),
    store,
    stream,
    onBatch: (records) => collector.add([...records]),
    storeName: store === 'ssm' ? uniquePath() : `continuous-${n}`,
    // CHAIN_DEBUG=1 prints every invocation's log.
    ...(process.env.CHAIN_DEBUG
      ? { logger: (id: string) => new Logger({ logLevel: 'DEBUG', persistentKeys: { invocation: id } }) }
      : {}),
    budgetMillis: BUDGET,
    leadMillis: LEAD,
    expiryMillis: EXPIRY,
    maxInvocations: 3,
    ...options,
  });
  const producer = trickle(aws(), stream, 100);
  await chain.invoke();
  await drive(chain);
  const sent = await producer.stop();
  await chain.settle();
  // The schedule's next ticks, as a deployment would have them: whatever the chain left unread, they read
  // from the stored checkpoints. A record the checkpoints skipped is lost for good and stays missing.
  for (let tick = 0; catchUp && tick < 3 && collector.missing(sent).length > 0; tick++) {
    await chain.invoke({}, { final: true });
    await chain.settle();
  }
  return { chain, collector, sent };
}

/** Whatever happened, these hold: nothing lost, never two readers at once, fencing tokens never go back. */
function expectSafe({ chain, collector, sent }: Scenario): void {
  expect(collector.missing(sent)).toEqual([]);
  expect(chain.overlaps()).toEqual([]);
  const tokens = chain.checkpointWrites.map((w) => w.token).filter((t): t is number => t !== undefined);
  expect(tokens).toEqual([...tokens].sort((a, b) => a - b));
}

const summary = (chain: Chain, n: number): RunSummary => {
  const outcome = chain.invocations[n]?.outcome;
  if (!outcome || outcome instanceof Error)
    throw new Error(`invocation ${n + 1} ended with ${String(outcome)}`);
  return outcome;
};

/**
 * The last invocation reads until its own deadline, past the trickle's end: it picks up the rest. A chain
 * that ends before `count` invocations started (one left without a successor) ends the drive too, so
 * the test's assertions judge it rather than the test timing out while waiting for a start that never
 * comes.
 */
const lastStarted = (count: number) => (chain: Chain) =>
  Promise.race([chain.whenInvocations(count), chain.settle()]);

describe('continuous mode: handovers between invocations of a subtask', () => {
  it.concurrent.each(STORES)(
    '%s: each invocation hands over to the successor it started, with no gap to speak of',
    async (store) => {
      const s = await scenario(store, {}, lastStarted(3));
      expectSafe(s);
      expect(s.collector.duplicates).toEqual([]);
      expect(s.chain.invocations).toHaveLength(3);
      expect(summary(s.chain, 0).handedOverTo).toBeDefined();
      expect(summary(s.chain, 1).handedOverTo).toBeDefined();
      expect(s.chain.invocations[1]?.handedOverBy).toBe('inv-1');
      // The successor reads as soon as the lease is handed over: no settle delay, no expiry to wait for.
      for (const gap of s.chain.gaps()) expect(gap).toBeLessThan(EXPIRY - 1000);
      expect(s.chain.beats.length).toBeGreaterThanOrEqual(3);
    },
  );

  it.concurrent.each(STORES)(
    '%s: a successor started twice reads once; its double stands down',
    async (store) => {
      const s = await scenario(
        store,
        { successor: (n) => (n === 1 ? { kind: 'twice' } : { kind: 'prompt' }), maxInvocations: 4 },
        lastStarted(4),
      );
      expectSafe(s);
      expect(s.collector.duplicates).toEqual([]);
      const [, first, second] = s.chain.invocations;
      expect([first, second].filter((i) => i && skipped(i))).toHaveLength(1);
    },
  );

  it.concurrent.each(STORES)(
    '%s: a successor that starts after the handoff expired still takes the lease over',
    async (store) => {
      const s = await scenario(
        store,
        { successor: (n) => (n === 1 ? { kind: 'late', delayMillis: EXPIRY + 1500 } : { kind: 'prompt' }) },
        lastStarted(3),
      );
      expectSafe(s);
      expect(s.collector.duplicates).toEqual([]);
      expect(summary(s.chain, 1).recordsDelivered).toBeGreaterThan(0);
    },
  );

  it.concurrent.each(STORES)(
    '%s: when the successor never starts, the schedule takes over once the handoff expires',
    async (store) => {
      const s = await scenario(store, { successor: () => ({ kind: 'never' }) }, async (chain) => {
        const first = chain.invocations[0];
        while (!first?.outcome) await new Promise((resolve) => setTimeout(resolve, 50));
        // A tick right after the handover finds the handoff standing and leaves at once.
        const early = await chain.invoke();
        while (!early.outcome) await new Promise((resolve) => setTimeout(resolve, 50));
        expect(skipped(early)).toBe(true);
        await new Promise((resolve) => setTimeout(resolve, EXPIRY));
        await chain.invoke();
      });
      expectSafe(s);
      expect(s.collector.duplicates).toEqual([]);
      expect(summary(s.chain, 2).recordsDelivered).toBeGreaterThan(0);
    },
  );

  it.concurrent.each(STORES)(
    '%s: a predecessor killed before the handoff is taken over by the schedule after its lease expires',
    async (store) => {
      const s = await scenario(store, { successor: () => ({ kind: 'never' }) }, async (chain) => {
        await s_firstDelivery(chain);
        chain.freeze('inv-1');
        const early = await chain.invoke();
        while (!early.outcome) await new Promise((resolve) => setTimeout(resolve, 50));
        expect(skipped(early)).toBe(true);
        await new Promise((resolve) => setTimeout(resolve, EXPIRY));
        await chain.invoke();
      });
      expectSafe(s);
      expect(summary(s.chain, 2).recordsDelivered).toBeGreaterThan(0);
    },
  );

  it.concurrent.each(STORES)(
    '%s: a predecessor killed as it starts its successor is taken over by that successor',
    async (store) => {
      let chain: Chain | undefined;
      const s = await scenario(
        store,
        {
          // The successor's budget counts from its start, and it waits out the dead predecessor's lease.
          budgetMillis: EXPIRY + BUDGET,
          maxInvocations: 2,
          onSuccessorStart: (event) => {
            if (event.handoff.from === 'inv-1') chain?.freeze('inv-1');
          },
        },
        async (c) => {
          chain = c;
          await c.whenInvocations(2);
          const successor = c.invocations[1];
          while (!successor?.reads.length) await new Promise((resolve) => setTimeout(resolve, 50));
        },
      );
      expectSafe(s);
      expect(s.chain.invocations[1]?.reads.length).toBeGreaterThan(0);
    },
  );

  it.concurrent.each(STORES)(
    '%s: a successor killed right after the handover is taken over by the schedule',
    async (store) => {
      const s = await scenario(store, { maxInvocations: 3 }, async (chain) => {
        await chain.whenInvocations(2);
        const successor = chain.invocations[1];
        while (!successor?.reads.length) await new Promise((resolve) => setTimeout(resolve, 50));
        chain.freeze('inv-2');
        await new Promise((resolve) => setTimeout(resolve, EXPIRY));
        await chain.invoke();
      });
      expectSafe(s);
      expect(summary(s.chain, 0).handedOverTo).toBeDefined();
      // Whoever came next (the killed one's own successor, or the schedule) read again.
      const after = s.chain.invocations.slice(2).map((i) => i.outcome);
      expect(after.some((o) => o && !(o instanceof Error) && o.recordsDelivered > 0)).toBe(true);
    },
  );

  it.concurrent.each(STORES)(
    '%s: a slow lease store delays the handover but never makes two readers',
    async (store) => {
      const s = await scenario(store, { slowLeaseMillis: 300 }, lastStarted(3));
      expectSafe(s);
      expect(s.collector.duplicates).toEqual([]);
      // The chain goes on however late the lease calls make each run start reading: every invocation
      // after the first was started by its predecessor, which handed its lease over.
      expect(s.chain.invocations.slice(1, 3).map((i) => i.handedOverBy)).toEqual(['inv-1', 'inv-2']);
      expect(summary(s.chain, 0).handedOverTo).toBeDefined();
      expect(summary(s.chain, 1).handedOverTo).toBeDefined();
    },
  );

  it.concurrent.each(STORES)(
    '%s: a lease store slower than the margin stops the reader before its lease can expire',
    async (store) => {
      // Each lease call takes longer than the lease's expiry less the margin: the taking itself uses up
      // the time the lease is surely held, so the reader must not read at all. (No catch-up ticks: with a
      // store this slow none would read either.)
      const s = await scenario(
        store,
        { slowLeaseMillis: EXPIRY - 2000, maxInvocations: 1 },
        async (chain) => {
          const first = chain.invocations[0];
          while (!first?.outcome) await new Promise((resolve) => setTimeout(resolve, 50));
        },
        false,
      );
      const first = summary(s.chain, 0);
      expect(first.stoppedBy).toBe('lease-expiring');
      expect(s.chain.invocations[0]?.reads).toEqual([]);
    },
  );
});

async function s_firstDelivery(chain: Chain): Promise<void> {
  const first = chain.invocations[0];
  while (!first?.reads.some((r) => r.end !== undefined))
    await new Promise((resolve) => setTimeout(resolve, 20));
}
