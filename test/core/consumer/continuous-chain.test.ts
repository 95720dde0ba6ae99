import type { GetParameterCommand } from '@aws-sdk/client-ssm';
import { PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { SsmSubtaskLease } from '../../../functions/core/checkpoints/ssm-lease';
import type { RunSummary } from '../../../functions/core/consumer/engine';
import type { SuccessorEvent } from '../../../functions/core/consumer/handover';
import { FakeClock, seededRandom } from '../../../functions/core/time/clock';
import { useLocalAws } from '../../support/local-aws';
import { FakeKinesis, MemoryCheckpointStore, stringEngine } from './helpers';

// Continuous mode's chain on a fake clock: the real SSM lease against the local SSM server, Kinesis and
// the checkpoints in memory. A chain must never end while it should go on: each run either hands its
// lease over to a successor it started, or starts one that takes the lease once it is let go. The
// faults (a renewal whose write lands late, a lease taken after the budget is spent, a renewal that never
// answers) are injected on the fake clock into the calls of the first run only; the local server itself
// answers at once, with fake time standing still meanwhile.

const aws = useLocalAws({ ssm: true });
const START = Date.UTC(2026, 0, 1);
const SHARD = 'shardId-000000000000';
const EXPIRY = 10_000;
const LEAD = 500;
const SETTLE = 2000;
// The first renewal is due a third of the expiry after the lease's expiry was set (at START).
const RENEWAL_DUE = Math.floor(EXPIRY / 3);
const SUCCESSOR_BUDGET = 5000;

/** How the SSM calls of the run `owner` misbehave: a delay (fake ms) before the call, or never answering. */
type SsmFault = (owner: string, call: { name: string; n: number; value?: string }) => number | 'hang';

let chains = 0;

interface ChainRun {
  readonly id: string;
  readonly event?: SuccessorEvent;
  summary?: RunSummary | Error;
}

/**
 * Runs `run-1` with `budgetMillis`; the successor it starts runs as `run-2` with SUCCESSOR_BUDGET (its
 * own successor is only noted). Five records are put at the start and five more at `laterAt`, when only
 * run-2 may be reading; resolves once both runs ended.
 */
async function runChain(budgetMillis: number, laterAt: number, fault: SsmFault) {
  const chain = ++chains;
  const clock = new FakeClock(START, { autoAdvance: true });
  const kinesis = new FakeKinesis(clock);
  kinesis.declareShard(SHARD);
  kinesis.addRecords(SHARD, 5);
  const checkpoints = new MemoryCheckpointStore();
  const ssm = aws().clients.client('ssm', SSMClient);
  const parameterName = `/continuous-chain/${chain}/leases/subtask-0`;
  const delivered: string[] = [];
  const runs: ChainRun[] = [];
  const done: Promise<unknown>[] = [];
  const leaseOwners: string[] = [];

  const ssmFor = (owner: string) => {
    const counts = new Map<string, number>();
    return {
      send: async (command: GetParameterCommand | PutParameterCommand) => {
        const name = command.constructor.name;
        const n = (counts.get(name) ?? 0) + 1;
        counts.set(name, n);
        const value = command instanceof PutParameterCommand ? command.input.Value : undefined;
        const wait = fault(owner, { name, n, ...(value !== undefined ? { value } : {}) });
        if (wait === 'hang') return new Promise<never>(() => undefined);
        if (wait > 0) await clock.sleep(wait);
        return clock.hold(async () => {
          const output = await ssm.send(command as PutParameterCommand);
          if (command instanceof PutParameterCommand && command.input.Name === parameterName) {
            leaseOwners.push((JSON.parse(command.input.Value ?? '{}') as { owner: string }).owner);
          }
          return output;
        });
      },
    } as unknown as SSMClient;
  };

  const start = (id: string, event?: SuccessorEvent): void => {
    const run: ChainRun = { id, ...(event ? { event } : {}) };
    runs.push(run);
    if (runs.length > 2) return;
    const budget = event ? SUCCESSOR_BUDGET : budgetMillis;
    const engine = stringEngine(
      {
        kinesis,
        clock,
        random: seededRandom(runs.length),
        checkpoints,
        lease: (_subtask, owner) =>
          new SsmSubtaskLease({
            ssm: ssmFor(owner),
            parameterName,
            owner,
            settleMillis: SETTLE,
            clock,
            random: seededRandom(7),
          }),
      },
      {
        streams: ['orders'],
        handler: (records) => void delivered.push(...records.map((r) => r.data)),
        leaseExpiryMillis: EXPIRY,
        continuous: { leadMillis: LEAD },
      },
    );
    done.push(
      engine
        .run({
          subtaskIndex: 0,
          parallelism: 1,
          deadline: clock.now() + budget,
          leaseExpiresAt: clock.now() + budget + EXPIRY,
          invocationId: id,
          ...(event ? { handoff: event.handoff } : {}),
          startSuccessor: async (successor) => start(`run-${runs.length + 1}`, successor),
        })
        .then(
          (summary) => void (run.summary = summary),
          (error: Error) => void (run.summary = error),
        ),
    );
  };

  const firstDeadline = START + budgetMillis;
  void clock.sleep(laterAt).then(() => kinesis.addRecords(SHARD, 5));
  start('run-1');
  for (let started = 0; started < done.length;) {
    started = done.length;
    await Promise.all(done);
  }
  return { runs, delivered, leaseOwners, firstDeadline };
}

const summaryOf = (run: ChainRun | undefined): RunSummary => {
  if (!run?.summary || run.summary instanceof Error)
    throw new Error(`${run?.id} ended with ${String(run?.summary)}`);
  return run.summary;
};

const expected = (count: number) => Array.from({ length: count }, (_, n) => `${SHARD}#${n}`);

describe('continuous mode: a chain of runs never ends without a successor', () => {
  it('a renewal still in flight at the handover lands before it, so it never names the predecessor again', async () => {
    // run-1's first renewal reads the lease just before the deadline, and its write lands after the
    // deadline, when run-1 is handing over: a write after the handover would take the lease back.
    const budget = RENEWAL_DUE + 100;
    const { runs, delivered, leaseOwners } = await runChain(budget, 5000, (owner, call) =>
      owner === 'run-1' &&
      call.name === 'PutParameterCommand' &&
      call.value?.includes('"owner":"run-1"') &&
      call.n === 2
        ? 600
        : 0,
    );
    const [first, second, third] = runs;
    expect(summaryOf(first).handedOverTo).toBe(second?.event?.handoff.token);
    // The predecessor is never named again once it handed over.
    expect(leaseOwners.slice(leaseOwners.indexOf(`handoff:${second?.event?.handoff.token}`))).not.toContain(
      'run-1',
    );
    const successor = summaryOf(second);
    expect(successor.error).toBeUndefined();
    expect(successor.stoppedBy).toBe('deadline');
    expect(successor.recordsDelivered).toBe(5);
    expect(successor.handedOverTo).toBe(third?.event?.handoff.token);
    expect(delivered).toEqual(expected(10));
  });

  it('a run whose lease was taken only after its deadline still starts its successor and hands over', async () => {
    // The lease store is so slow that run-1 holds its lease only once its budget is spent: it never
    // reaches its lead time (it reads once, as its readers start, before the deadline stops it).
    const budget = 1000;
    const { runs, delivered } = await runChain(budget, 5000, (owner, call) =>
      owner === 'run-1' && call.name === 'GetParameterCommand' && call.n === 1 ? budget + 200 : 0,
    );
    const [first, second] = runs;
    expect(second?.event?.handoff.from).toBe('run-1');
    expect(summaryOf(first).handedOverTo).toBe(second?.event?.handoff.token);
    expect(summaryOf(second).recordsDelivered).toBe(5);
    expect(delivered).toEqual(expected(10));
  });

  it('a run stopped early by a renewal that never answers starts its successor, which takes the released lease', async () => {
    // The keeper gives the lease up as not surely held (expiry less the margin) long before the lead
    // time: run-1 stops reading there and releases the lease; its successor takes it the ordinary way.
    const budget = EXPIRY;
    const { runs, delivered, firstDeadline } = await runChain(budget, 10_000, (owner, call) =>
      owner === 'run-1' && call.name === 'GetParameterCommand' && call.n === 3 ? 'hang' : 0,
    );
    const [first, second] = runs;
    expect(summaryOf(first).stoppedBy).toBe('lease-expiring');
    expect(second?.event?.handoff.from).toBe('run-1');
    expect(second?.event?.handoff.at).toBeLessThan(firstDeadline - LEAD);
    expect(summaryOf(first).handedOverTo).toBeUndefined();
    const successor = summaryOf(second);
    expect(successor.error).toBeUndefined();
    expect(successor.recordsDelivered).toBe(5);
    expect(delivered).toEqual(expected(10));
  });
});
