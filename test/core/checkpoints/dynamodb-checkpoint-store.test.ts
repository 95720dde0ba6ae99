import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import type { CheckpointValue, ShardCheckpoint } from '../../../functions/core/checkpoints/checkpoint-store';
import { DynamoDbCheckpointStore } from '../../../functions/core/checkpoints/dynamodb-checkpoint-store';
import { DYNAMODB_CHECKPOINT_ACTIONS } from '../../../functions/core/checkpoints/permissions';
import { mergeCheckpoints } from '../../../functions/core/checkpoints/merge';
import { LeaseHeldError, LeaseLostError } from '../../../functions/core/errors';
import { FakeKinesis, stringEngine } from '../consumer/helpers';
import { FakeClock, seededRandom } from '../../../functions/core/time/clock';
import { useLocalAws } from '../../support/local-aws';
import { createKeyedTable } from '../../../local/dynamodb/tables';

// The DynamoDB store on dynalite, through the real SDK client.
const aws = useLocalAws({ dynamodb: true, maxAttempts: { dynamodb: 1 } });
const dynamodb = () => aws().clients.client('dynamodb', DynamoDBClient);
const START = Date.UTC(2026, 0, 1);
let tables = 0;

async function table(): Promise<string> {
  const name = `checkpoints-${++tables}`;
  await createKeyedTable(dynamodb(), name);
  return name;
}

function store(tableName: string, clock: FakeClock, consumerName = 'orders-app'): DynamoDbCheckpointStore {
  return new DynamoDbCheckpointStore({
    dynamodb: dynamodb(),
    tableName,
    consumerName,
    clock,
    random: seededRandom(4),
  });
}

const seq = (n: string): ShardCheckpoint => ({ kind: 'sequence', sequenceNumber: n });

function value(shards: Record<string, ShardCheckpoint>, generation = 0, writtenAt = START): CheckpointValue {
  return { generation, writtenAt, shards: new Map(Object.entries(shards)) };
}

describe('DynamoDbCheckpointStore on dynalite', () => {
  it('stores each subtask’s value and merges them as the SSM store does', async () => {
    const clock = new FakeClock(START);
    const s = store(await table(), clock);
    await s.save(
      0,
      value({ 'orders/shardId-000000000000': seq('100'), 'orders/shardId-000000000001': seq('7') }),
    );
    await s.save(
      1,
      value({
        'orders/shardId-000000000001': seq('9'),
        'orders/shardId-000000000002': { kind: 'shard-end' },
      }),
    );
    await s.save(2, value({ 'orders/shardId-000000000000': seq('5') }, 1));
    const loaded = await s.loadAll();
    expect(loaded.map((v) => v.subtaskIndex).sort()).toEqual([0, 1, 2]);
    const merged = mergeCheckpoints(loaded);
    expect(merged.get('orders/shardId-000000000000')).toMatchObject({ checkpoint: seq('5'), generation: 1 });
    expect(merged.get('orders/shardId-000000000001')).toMatchObject({
      checkpoint: seq('9'),
      subtaskIndex: 1,
    });
    expect(merged.get('orders/shardId-000000000002')?.checkpoint).toEqual({ kind: 'shard-end' });
  });

  it('keeps consumers sharing a table apart by name', async () => {
    const clock = new FakeClock(START);
    const name = await table();
    await store(name, clock, 'a').save(0, value({ 's/shardId-000000000000': seq('1') }));
    await store(name, clock, 'b').save(0, value({ 's/shardId-000000000000': seq('2') }));
    const a = await store(name, clock, 'a').loadAll();
    expect(a).toHaveLength(1);
    expect(a[0]?.shards.get('s/shardId-000000000000')).toEqual(seq('1'));
  });

  it('gives the lease to one owner at a time, each taking with a higher fencing token', async () => {
    const clock = new FakeClock(START);
    const s = store(await table(), clock);
    const first = s.lease(0, 'invocation-1');
    await first.acquire(START + 60_000);
    expect(first.fencingToken).toBe(1);
    expect(await first.isHeld()).toBe(true);
    const second = s.lease(0, 'invocation-2');
    await expect(second.acquire(START + 120_000)).rejects.toThrow(LeaseHeldError);
    await expect(second.acquire(START + 120_000)).rejects.toThrow(/held by invocation invocation-1/);
    await clock.advance(60_000);
    await second.acquire(START + 120_000);
    expect(second.fencingToken).toBe(2);
    expect(await first.isHeld()).toBe(false);
    expect(await second.isHeld()).toBe(true);
    await second.release();
    const third = s.lease(0, 'invocation-3');
    await third.acquire(START + 180_000);
    expect(third.fencingToken).toBe(3);
  });

  it('refuses a stale invocation’s checkpoint write once a newer one has taken the lease', async () => {
    const clock = new FakeClock(START);
    const name = await table();
    const s = store(name, clock);
    const stale = s.lease(0, 'stale');
    await stale.acquire(START + 10_000);
    await s.save(0, value({ 'orders/shardId-000000000000': seq('100') }), stale);
    // The stale invocation overruns its lease; a newer one takes over and stamps its token.
    await clock.advance(10_000);
    const newer = s.lease(0, 'newer');
    await newer.acquire(START + 70_000);
    await expect(s.save(0, value({ 'orders/shardId-000000000000': seq('900') }), stale)).rejects.toThrow(
      LeaseLostError,
    );
    await s.save(0, value({ 'orders/shardId-000000000000': seq('150') }), newer);
    // A store in another process (the stale one's own) sees the newer value.
    const loaded = await store(name, clock).loadAll();
    expect(loaded[0]?.shards.get('orders/shardId-000000000000')).toEqual(seq('150'));
    const item = await dynamodb().send(
      new GetItemCommand({ TableName: name, Key: { pk: { S: 'orders-app' }, sk: { S: 'checkpoint#0' } } }),
    );
    expect(item.Item?.fence?.N).toBe('2');
  });

  it('stops a stale invocation even before the newer one has written anything', async () => {
    const clock = new FakeClock(START);
    const s = store(await table(), clock);
    const stale = s.lease(3, 'stale');
    await stale.acquire(START + 1000);
    await clock.advance(1000);
    await s.lease(3, 'newer').acquire(START + 60_000);
    await expect(s.save(3, value({ 'orders/shardId-000000000003': seq('1') }), stale)).rejects.toThrow(
      /fenced by a newer invocation/,
    );
    expect(await s.loadAll()).toEqual([]);
  });
});

describe('DynamoDbSubtaskLease for an operator', () => {
  it('shows its holder and expiry, and nothing for a lease never taken', async () => {
    const clock = new FakeClock(START);
    const s = store(await table(), clock);
    expect(await s.lease(0, 'skc-cli').holder()).toBeUndefined();
    await s.lease(0, 'invocation-1').acquire(START + 60_000);
    expect(await s.lease(0, 'skc-cli').holder()).toEqual({
      owner: 'invocation-1',
      expiresAt: START + 60_000,
    });
  });

  it('takes over a live lease with a higher token, so the old holder neither holds it nor writes', async () => {
    const clock = new FakeClock(START);
    const s = store(await table(), clock);
    const running = s.lease(0, 'invocation-1');
    await running.acquire(START + 60_000);
    const operator = s.lease(0, 'skc-cli');
    await expect(operator.acquire(START + 120_000)).rejects.toThrow(LeaseHeldError);
    await operator.takeOver(START + 120_000);
    expect(operator.fencingToken).toBe(2);
    expect(await operator.isHeld()).toBe(true);
    expect(await running.isHeld()).toBe(false);
    await expect(s.save(0, value({ 'orders/shardId-000000000000': seq('5') }), running)).rejects.toThrow(
      LeaseLostError,
    );
    await s.save(0, value({ 'orders/shardId-000000000000': seq('1') }, 1), operator);
    await operator.release();
    expect(await s.lease(0, 'skc-cli').holder()).toEqual({ owner: 'skc-cli', expiresAt: 0 });
  });

  it('makes no call outside the IAM actions the construct grants on the table', async () => {
    const clock = new FakeClock(START);
    const calls = new Set<string>();
    const client = dynamodb();
    const s = new DynamoDbCheckpointStore({
      dynamodb: {
        send: ((command: { constructor: { name: string } }) => {
          calls.add(`dynamodb:${command.constructor.name.replace(/Command$/, '')}`);
          return client.send(command as never);
        }) as DynamoDBClient['send'],
      },
      tableName: await table(),
      consumerName: 'orders-app',
      clock,
      random: seededRandom(4),
    });
    const lease = s.lease(0, 'invocation-1');
    await lease.acquire(START + 1000);
    await s.save(0, value({ 'orders/shardId-000000000000': seq('1') }), lease);
    await lease.isHeld();
    await s.loadAll();
    await lease.release();
    const operator = s.lease(0, 'skc-cli');
    await operator.holder();
    await operator.takeOver(START + 1000);
    await expect(s.lease(0, 'late').acquire(START + 1000)).rejects.toThrow(LeaseHeldError);
    expect([...calls].sort()).toEqual([...DYNAMODB_CHECKPOINT_ACTIONS].sort());
  });
});

describe('the engine on the DynamoDB store', () => {
  it('stops with lease-lost, writing nothing more, when its fenced write fails after its lease check passed', async () => {
    const clock = new FakeClock(START, { autoAdvance: true });
    const name = await table();
    const s = store(name, clock);
    const kinesis = new FakeKinesis(clock);
    kinesis.declareShard('shardId-000000000000');
    kinesis.addRecords('shardId-000000000000', 10);
    let taken = false;
    const engine = stringEngine(
      {
        kinesis,
        checkpoints: s,
        lease: (subtaskIndex, owner) => {
          const lease = s.lease(subtaskIndex, owner);
          // The race the fence is for: the check passes just before another invocation takes over.
          return {
            acquire: (expiresAt) => lease.acquire(expiresAt),
            isHeld: async () => true,
            release: () => lease.release(),
            get fencingToken() {
              return lease.fencingToken;
            },
          };
        },
        clock,
        random: seededRandom(1),
      },
      {
        streams: ['orders'],
        handler: async () => {
          if (taken) return;
          taken = true;
          await s.lease(0, 'newer').acquire(START + 600_000);
        },
      },
    );
    const summary = await engine.run({
      subtaskIndex: 0,
      parallelism: 1,
      deadline: START + 60_000,
      leaseExpiresAt: START,
    });
    expect(summary.stoppedBy).toBe('lease-lost');
    expect(summary.error).toBeInstanceOf(LeaseLostError);
    expect(summary.checkpointWrites).toBe(0);
    expect(await s.loadAll()).toEqual([]);
  });
});
