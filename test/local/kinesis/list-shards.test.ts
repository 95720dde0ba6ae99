// ListShards paging and ShardFilter, which the proxy adds on top of kinesalite, through the SDK v3 client.
import {
  ExpiredNextTokenException,
  InvalidArgumentException,
  KinesisClient,
  ListShardsCommand,
  SplitShardCommand,
  type ListShardsCommandInput,
  type Shard,
} from '@aws-sdk/client-kinesis';
import { FakeClock } from '../../../functions/core/time/clock';
import { createStreamAndWait, waitForStreamActive } from '../../../local/kinesis';
import { useLocalAws } from '../../support/local-aws';
import { rejectionOf } from '../../support/rejection-of';

const clock = new FakeClock();
const aws = useLocalAws({ kinesis: { listShardsPageSize: 4 }, clock });
const STREAM = 'paged';
const SHARDS = 7;
let kinesis: KinesisClient;

beforeAll(async () => {
  kinesis = aws().clients.client('kinesis', KinesisClient);
  await createStreamAndWait(kinesis, STREAM, SHARDS);
});

function ids(shards: Shard[] | undefined): string[] {
  return (shards ?? []).map((s) => s.ShardId ?? '?');
}

const allIds = Array.from({ length: SHARDS }, (_, i) => `shardId-${String(i).padStart(12, '0')}`);

/** Follows NextToken the way AWS requires: the token alone after the first page. */
async function listAll(first: ListShardsCommandInput, maxResults?: number): Promise<string[][]> {
  const pages: string[][] = [];
  let page = await kinesis.send(new ListShardsCommand(first));
  pages.push(ids(page.Shards));
  while (page.NextToken) {
    page = await kinesis.send(
      new ListShardsCommand({ NextToken: page.NextToken, ...(maxResults ? { MaxResults: maxResults } : {}) }),
    );
    pages.push(ids(page.Shards));
  }
  return pages;
}

describe('ListShards paging', () => {
  it('honours MaxResults and continues from a NextToken given alone (kinesalite crashes on one)', async () => {
    const pages = await listAll({ StreamName: STREAM, MaxResults: 3 }, 3);
    expect(pages).toEqual([allIds.slice(0, 3), allIds.slice(3, 6), allIds.slice(6)]);
  });

  it('caps every page at listShardsPageSize even when the caller asks for more', async () => {
    const pages = await listAll({ StreamName: STREAM });
    expect(pages.map((p) => p.length)).toEqual([4, 3]);
    expect(pages.flat()).toEqual(allIds);
  });

  it('starts after ExclusiveStartShardId and pages from there', async () => {
    const pages = await listAll({ StreamName: STREAM, ExclusiveStartShardId: allIds[1], MaxResults: 2 }, 2);
    expect(pages.flat()).toEqual(allIds.slice(2));
  });

  it('rejects NextToken together with StreamName, as AWS does', async () => {
    const { NextToken } = await kinesis.send(new ListShardsCommand({ StreamName: STREAM, MaxResults: 1 }));
    const error = await rejectionOf(kinesis.send(new ListShardsCommand({ StreamName: STREAM, NextToken })));
    expect(error).toBeInstanceOf(InvalidArgumentException);
    expect(error.message).toBe('NextToken and StreamName cannot be provided together.');
  });

  it('rejects a NextToken it did not issue with InvalidArgumentException', async () => {
    expect(
      await rejectionOf(kinesis.send(new ListShardsCommand({ NextToken: 'bm90IGEgdG9rZW4=' }))),
    ).toBeInstanceOf(InvalidArgumentException);
  });

  it('expires a NextToken after 300 seconds on the injected clock with ExpiredNextTokenException', async () => {
    const { NextToken } = await kinesis.send(new ListShardsCommand({ StreamName: STREAM, MaxResults: 1 }));
    await clock.advance(300_000);
    await expect(kinesis.send(new ListShardsCommand({ NextToken, MaxResults: 1 }))).resolves.toMatchObject({
      Shards: [expect.objectContaining({ ShardId: allIds[1] })],
    });
    await clock.advance(1);
    expect(await rejectionOf(kinesis.send(new ListShardsCommand({ NextToken })))).toBeInstanceOf(
      ExpiredNextTokenException,
    );
  });

  it('takes MaxResults from 1 to 10000', async () => {
    for (const MaxResults of [0, 10001]) {
      const error = await rejectionOf(
        kinesis.send(new ListShardsCommand({ StreamName: STREAM, MaxResults })),
      );
      expect(error.name).toBe('ValidationException');
    }
  });
});

describe('ListShards ShardFilter', () => {
  const split = 'split';

  beforeAll(async () => {
    await createStreamAndWait(kinesis, split, 2);
    const { Shards = [] } = await kinesis.send(new ListShardsCommand({ StreamName: split }));
    const first = Shards[0];
    // Split shard 0 at the middle of its hash range: it closes and two children open.
    const start = BigInt(first?.HashKeyRange?.StartingHashKey ?? '0');
    const end = BigInt(first?.HashKeyRange?.EndingHashKey ?? '0');
    await kinesis.send(
      new SplitShardCommand({
        StreamName: split,
        ShardToSplit: first?.ShardId,
        NewStartingHashKey: ((start + end) / 2n).toString(),
      }),
    );
    await waitForStreamActive(kinesis, split);
  });

  it('returns only open shards for AT_LATEST and every shard for the trim-horizon filters', async () => {
    const open = await listAll({ StreamName: split, ShardFilter: { Type: 'AT_LATEST' } });
    expect(open.flat()).toEqual(['shardId-000000000001', 'shardId-000000000002', 'shardId-000000000003']);
    for (const Type of ['AT_TRIM_HORIZON', 'FROM_TRIM_HORIZON'] as const) {
      expect((await listAll({ StreamName: split, ShardFilter: { Type } })).flat()).toHaveLength(4);
    }
  });

  it('keeps the filter across pages', async () => {
    const pages = await listAll({ StreamName: split, ShardFilter: { Type: 'AT_LATEST' }, MaxResults: 2 }, 2);
    expect(pages).toEqual([['shardId-000000000001', 'shardId-000000000002'], ['shardId-000000000003']]);
  });

  it('returns the shards after ShardFilter.ShardId for AFTER_SHARD_ID', async () => {
    const after = await listAll({
      StreamName: split,
      ShardFilter: { Type: 'AFTER_SHARD_ID', ShardId: 'shardId-000000000001' },
    });
    expect(after.flat()).toEqual(['shardId-000000000002', 'shardId-000000000003']);
  });

  it('says plainly that the timestamp filters are not supported locally', async () => {
    const error = await rejectionOf(
      kinesis.send(
        new ListShardsCommand({
          StreamName: split,
          ShardFilter: { Type: 'AT_TIMESTAMP', Timestamp: new Date() },
        }),
      ),
    );
    expect(error).toBeInstanceOf(InvalidArgumentException);
    expect(error.message).toMatch(/not supported by the local Kinesis proxy/);
  });
});
