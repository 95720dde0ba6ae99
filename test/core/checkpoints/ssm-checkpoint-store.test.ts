import { PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import type { CheckpointValue, ShardCheckpoint } from '../../../functions/core/checkpoints/checkpoint-store';
import { SSM_CHECKPOINT_ACTIONS } from '../../../functions/core/checkpoints/permissions';
import { SsmCheckpointStore } from '../../../functions/core/checkpoints/ssm-checkpoint-store';
import { SsmSubtaskLease } from '../../../functions/core/checkpoints/ssm-lease';
import { SSM_OPERATIONS } from '../../../local/ssm/server';
import { ConfigurationError, ValidationError } from '../../../functions/core/errors';
import { FakeClock, seededRandom } from '../../../functions/core/time/clock';
import { useLocalAws } from '../../support/local-aws';

const aws = useLocalAws({ ssm: true, maxAttempts: { ssm: 1 } });
let path = 0;

function store(options: { tier?: 'Standard' | 'Advanced'; prefix?: string } = {}) {
  const parameterPath = options.prefix ?? `/test-app-${++path}/checkpoints`;
  return new SsmCheckpointStore({
    ssm: aws().clients.client('ssm', SSMClient),
    parameterPath,
    ...(options.tier ? { tier: options.tier } : {}),
    clock: new FakeClock(0, { autoAdvance: true }),
    random: seededRandom(1),
  });
}

const seq = (n: number): ShardCheckpoint => ({
  kind: 'sequence',
  sequenceNumber: `495903382714902566085596925383615710959215759891365${String(n).padStart(5, '0')}`,
});

function value(shards: number, at = 0, generation = 1): CheckpointValue {
  const map = new Map<string, ShardCheckpoint>();
  for (let i = 0; i < shards; i++) map.set(`orders/shardId-${String(i).padStart(12, '0')}`, seq(at + i));
  return { generation, writtenAt: Date.UTC(2026, 0, 1), shards: map };
}

const puts = () => aws().ssm.callCount('PutParameter');

describe('SsmCheckpointStore', () => {
  it('stores each subtask’s value and loads every subtask’s back', async () => {
    const s = store();
    await s.save(0, value(3, 0));
    await s.save(1, value(2, 100));
    const loaded = await store({ prefix: s.parameterName(0).replace('/subtask-0', '') }).loadAll();
    expect(loaded.map((v) => v.subtaskIndex).sort()).toEqual([0, 1]);
    expect(new Map(loaded.find((v) => v.subtaskIndex === 1)?.shards)).toEqual(value(2, 100).shards);
  });

  it('writes only when the positions changed', async () => {
    const s = store();
    const before = puts();
    expect(await s.save(0, value(3, 0))).toEqual({ writes: 1 });
    expect(await s.save(0, { ...value(3, 0), writtenAt: Date.UTC(2026, 0, 2) })).toEqual({ writes: 0 });
    expect(await s.save(0, value(3, 1))).toEqual({ writes: 1 });
    expect(puts() - before).toBe(2);
  });

  it('knows after loading what is stored, so an unchanged value is not rewritten by a new invocation', async () => {
    const s = store();
    await s.save(0, value(5));
    const fresh = store({ prefix: s.parameterName(0).replace('/subtask-0', '') });
    await fresh.loadAll();
    expect(await fresh.save(0, value(5))).toEqual({ writes: 0 });
  });

  it('splits a value over 4 KB into parts, writes only the changed part, and empties parts no longer needed', async () => {
    const s = store();
    const big = value(300);
    const { writes } = await s.save(0, big);
    expect(writes).toBeGreaterThanOrEqual(3);
    for (let part = 0; part < writes; part++) {
      const stored = aws().ssm.parameter(s.parameterName(0, part));
      expect(stored?.tier).toBe('Standard');
      expect(Buffer.byteLength(stored?.versions.at(-1)?.value ?? '')).toBeLessThanOrEqual(4096);
    }
    const loaded = await s.loadAll();
    expect(new Map(loaded.flatMap((v) => [...v.shards]))).toEqual(big.shards);

    // Only the last shard moves: only the last part changes.
    const moved = new Map(big.shards).set('orders/shardId-000000000299', seq(9999));
    expect(await s.save(0, { ...big, shards: moved })).toEqual({ writes: 1 });

    // Back to a small value: part 0 rewritten, the other parts emptied once.
    expect(await s.save(0, value(2))).toEqual({ writes });
    expect(await s.save(0, value(2))).toEqual({ writes: 0 });
    const after = await s.loadAll();
    expect(new Map(after.flatMap((v) => [...v.shards]))).toEqual(value(2).shards);
  });

  it('fits twice as much per parameter in the Advanced tier', async () => {
    const standard = await store().save(0, value(300));
    const advanced = store({ tier: 'Advanced' });
    const result = await advanced.save(0, value(300));
    expect(result.writes).toBeLessThan(standard.writes);
    expect(aws().ssm.parameter(advanced.parameterName(0))?.tier).toBe('Advanced');
  });

  it('backs off and succeeds when SSM throttles writes', async () => {
    const s = store();
    const before = puts();
    aws().ssm.failNext('PutParameter', 'ThrottlingException', 3);
    expect(await s.save(0, value(1))).toEqual({ writes: 1 });
    expect(puts() - before).toBe(4);
    expect(new Map((await s.loadAll())[0]?.shards)).toEqual(value(1).shards);
  });

  it('pages through many parameters and ignores the lease and anything nested below the path', async () => {
    const s = store();
    for (let i = 0; i < 23; i++) await s.save(i, value(1, i));
    const ssm = aws().clients.client('ssm', SSMClient);
    const base = s.parameterName(0).replace('/subtask-0', '');
    await ssm.send(new PutParameterCommand({ Name: s.leaseParameterName(0), Value: '{}', Type: 'String' }));
    await ssm.send(new PutParameterCommand({ Name: `${base}/other/subtask-99`, Value: 'x', Type: 'String' }));
    const loaded = await s.loadAll();
    expect(loaded.map((v) => v.subtaskIndex).sort((a, b) => a - b)).toEqual(
      Array.from({ length: 23 }, (_, i) => i),
    );
  });

  it('refuses to read a damaged value, naming the parameter', async () => {
    const s = store();
    const ssm = aws().clients.client('ssm', SSMClient);
    await ssm.send(new PutParameterCommand({ Name: s.parameterName(4), Value: 'garbage', Type: 'String' }));
    await expect(s.loadAll()).rejects.toThrow(ValidationError);
    await expect(s.loadAll()).rejects.toThrow(s.parameterName(4));
  });

  it('rejects a parameter path SSM would not accept, naming the setting', () => {
    expect(() => store({ prefix: 'no-leading-slash' })).toThrow(ConfigurationError);
    expect(() => store({ prefix: '/trailing/' })).toThrow(/checkpoint.ssmPrefix "\/trailing\/"/);
  });
});

describe('the SSM store and lease', () => {
  it('make no call outside the IAM actions the construct grants on the consumer’s path', async () => {
    const count = () => new Map(SSM_OPERATIONS.map((op) => [op, aws().ssm.callCount(op)]));
    const before = count();
    const s = store();
    const lease = new SsmSubtaskLease({
      ssm: aws().clients.client('ssm', SSMClient),
      parameterName: s.leaseParameterName(0),
      owner: 'invocation-1',
      settleMillis: 100,
      clock: new FakeClock(0, { autoAdvance: true }),
      random: seededRandom(1),
    });
    await s.loadAll();
    await lease.acquire(60_000);
    await s.save(0, value(300));
    await s.save(0, value(2));
    await lease.isHeld();
    await lease.holder();
    await lease.release();
    await lease.takeOver(60_000);
    // Continuous mode: a handover, its claim (a create-once parameter below the lease), a renewal, the end.
    await lease.handOver('token-1', 60_000);
    const successor = new SsmSubtaskLease({
      ssm: aws().clients.client('ssm', SSMClient),
      parameterName: s.leaseParameterName(0),
      owner: 'invocation-2',
      settleMillis: 100,
      clock: new FakeClock(0, { autoAdvance: true }),
      random: seededRandom(2),
    });
    expect(await successor.acceptHandover('token-1', 60_000)).toEqual({ taken: true });
    expect(aws().ssm.parameter(`${s.leaseParameterName(0)}/handoff-token-1`)).toBeDefined();
    expect(await successor.renew(60_000)).toBe(true);
    await successor.release();
    expect(aws().ssm.parameter(`${s.leaseParameterName(0)}/handoff-token-1`)).toBeUndefined();
    const after = count();
    const used = SSM_OPERATIONS.filter((op) => (after.get(op) ?? 0) > (before.get(op) ?? 0)).map(
      (op) => `ssm:${op}`,
    );
    expect(used.sort()).toEqual([...SSM_CHECKPOINT_ACTIONS].sort());
    // What it wrote (a value in parts, the lease) lies below the path the construct grants (`{path}/*`).
    const path = s.parameterName(0).replace(/\/subtask-0$/, '');
    for (const name of [s.parameterName(0), s.parameterName(0, 1), s.leaseParameterName(0)]) {
      expect(name.startsWith(`${path}/`)).toBe(true);
      expect(aws().ssm.parameter(name)).toBeDefined();
    }
  });
});
