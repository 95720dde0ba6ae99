import { ConfigurationError } from '../../functions/core/errors';
import type { Clock } from '../../functions/core/time/clock';
import { localStreamName } from './accounts';
import { errorReply, jsonReply, parseJson, type IncomingCall, type Reply, type Upstream } from './upstream';

// Where kinesalite answers differently from Kinesis, and consumer code would notice: ListShards without
// paging or ShardFilter (a request with only NextToken crashes it), AT_TIMESTAMP iterators that never come
// back when nothing arrived at or after the timestamp, StreamARN in place of StreamName, and GetRecords
// at a closed shard's end without its ChildShards. The fault proxy calls these before forwarding (and
// withChildShards after); faults themselves live in fault-proxy.ts.

/** AWS's ListShards page limit and default. */
export const LIST_SHARDS_MAX_PAGE = 1000;
/** A ListShards NextToken is good for 300 seconds. */
const NEXT_TOKEN_LIFETIME_MILLIS = 300_000;
/** More than kinesalite's empty GetRecords page ever takes: a longer answer holds records. */
const SHARD_END_MAX_BYTES = 256;
const NEXT_SHARD_ITERATOR_KEY = '"NextShardIterator"';

export interface KinesaliteRepairsOptions {
  /** Ages ListShards NextTokens. */
  readonly clock: Clock;
  /**
   * Largest page ListShards returns even when the caller asks for more, so that paging code runs
   * against a handful of shards.
   * @default 1000 (AWS's maximum)
   */
  readonly listShardsPageSize?: number;
}

/** Kinesis behaviour that kinesalite lacks, answered on its behalf through `upstream`. */
export class KinesaliteRepairs {
  private readonly clock: Clock;
  private readonly pageSize: number;

  constructor(
    private readonly upstream: Upstream,
    options: KinesaliteRepairsOptions,
  ) {
    this.clock = options.clock;
    const pageSize = options.listShardsPageSize ?? LIST_SHARDS_MAX_PAGE;
    if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > LIST_SHARDS_MAX_PAGE) {
      throw new ConfigurationError(
        `listShardsPageSize must be an integer from 1 to ${LIST_SHARDS_MAX_PAGE}; got ${pageSize}.`,
        'listShardsPageSize',
      );
    }
    this.pageSize = pageSize;
  }

  /**
   * The answer to a call kinesalite would get wrong, or undefined to forward it. `input` has been through
   * streamArnToName.
   */
  answer(req: IncomingCall, operation: string, input: Record<string, unknown>): Promise<Reply> | undefined {
    if (operation === 'ListShards') return this.listShards(req, input);
    if (operation === 'GetShardIterator' && input.ShardIteratorType === 'AT_TIMESTAMP') {
      return this.atTimestamp(req, input);
    }
    return undefined;
  }

  /**
   * A GetRecords answer with ChildShards at the end of a closed shard, as Kinesis answers it: kinesalite
   * ends a closed shard with no NextShardIterator and does not name the shards that follow it. `shard` is
   * the one the call's iterator reads.
   */
  async withChildShards(
    req: IncomingCall,
    reply: Reply,
    shard: { readonly streamName: string; readonly shardId: string },
  ): Promise<Reply> {
    // Kinesalite leaves out NextShardIterator only on an empty page (`{"MillisBehindLatest":0,"Records":[]}`),
    // so no other page is parsed here.
    if (
      reply.status !== 200 ||
      reply.body.length > SHARD_END_MAX_BYTES ||
      reply.body.includes(NEXT_SHARD_ITERATOR_KEY)
    ) {
      return reply;
    }
    const page = parseJson(reply.body) as { NextShardIterator?: unknown; Records?: unknown[] };
    if (page.NextShardIterator !== undefined || !Array.isArray(page.Records) || page.Records.length > 0) {
      return reply;
    }
    const listed = await this.upstream.call(req, 'ListShards', { StreamName: shard.streamName });
    if (listed.status !== 200) return reply;
    const { Shards = [] } = parseJson(listed.body) as { Shards?: KinesaliteShard[] };
    const children = Shards.filter(
      (s) => s.ParentShardId === shard.shardId || s.AdjacentParentShardId === shard.shardId,
    ).map((s) => ({
      ShardId: s.ShardId,
      ParentShards: [s.ParentShardId, s.AdjacentParentShardId].filter((p): p is string => Boolean(p)),
      HashKeyRange: s.HashKeyRange,
    }));
    if (children.length === 0) return reply;
    return { ...reply, body: Buffer.from(JSON.stringify({ ...page, ChildShards: children })) };
  }

  /** ListShards with AWS's paging and ShardFilter on top of kinesalite, which has neither. */
  private async listShards(req: IncomingCall, input: Record<string, unknown>): Promise<Reply> {
    const maxResults = input.MaxResults;
    if (
      maxResults !== undefined &&
      (!Number.isInteger(maxResults) || (maxResults as number) < 1 || (maxResults as number) > 10000)
    ) {
      return errorReply(
        'ValidationException',
        `MaxResults must be an integer from 1 to 10000; got ${String(maxResults)}.`,
      );
    }
    let streamName: unknown;
    let exclusiveStart: unknown;
    let filter: unknown;
    if (input.NextToken !== undefined) {
      const conflicting = [
        'StreamName',
        'ExclusiveStartShardId',
        'ShardFilter',
        'StreamCreationTimestamp',
      ].filter((field) => input[field] !== undefined);
      if (conflicting.length > 0) {
        return errorReply(
          'InvalidArgumentException',
          `NextToken and ${conflicting[0]} cannot be provided together.`,
        );
      }
      const token = decodeListShardsToken(input.NextToken);
      if (!token) return errorReply('InvalidArgumentException', 'NextToken is not a ListShards token.');
      if (this.clock.now() - token.issuedAt > NEXT_TOKEN_LIFETIME_MILLIS) {
        return errorReply(
          'ExpiredNextTokenException',
          `The NextToken expired: it was issued more than ${NEXT_TOKEN_LIFETIME_MILLIS / 1000} seconds ago.`,
        );
      }
      ({ streamName, exclusiveStart, filter } = token);
    } else {
      streamName = input.StreamName;
      exclusiveStart = input.ExclusiveStartShardId;
      filter = input.ShardFilter;
    }
    if (typeof streamName !== 'string') return this.upstream.forward(req, Buffer.from(JSON.stringify(input)));
    const filterProblem = shardFilterProblem(filter);
    if (filterProblem) return errorReply('InvalidArgumentException', filterProblem);

    const reply = await this.upstream.forward(
      req,
      Buffer.from(
        JSON.stringify({
          StreamName: streamName,
          ...(exclusiveStart ? { ExclusiveStartShardId: exclusiveStart } : {}),
        }),
      ),
    );
    if (reply.status !== 200) return reply;
    const shards = ((JSON.parse(reply.body.toString('utf8')) as { Shards?: Shard[] }).Shards ?? []).filter(
      (shard) => matchesShardFilter(shard, filter as ShardFilter | undefined),
    );
    const limit = Math.min(
      (maxResults as number | undefined) ?? LIST_SHARDS_MAX_PAGE,
      LIST_SHARDS_MAX_PAGE,
      this.pageSize,
    );
    const page = shards.slice(0, limit);
    const last = page.at(-1);
    return jsonReply(200, {
      Shards: page,
      ...(shards.length > page.length && last
        ? {
            NextToken: encodeListShardsToken({
              streamName,
              exclusiveStart: last.ShardId,
              filter,
              issuedAt: this.clock.now(),
            }),
          }
        : {}),
    });
  }

  /**
   * Kinesalite never answers AT_TIMESTAMP when no record of the shard arrived at or after the timestamp
   * (its search finds nothing and the request hangs); Kinesis answers with an iterator at the tip. So
   * this looks for such a record first and, when there is none, answers with a LATEST iterator taken
   * before the search, so nothing arriving meanwhile is skipped.
   */
  private async atTimestamp(req: IncomingCall, input: Record<string, unknown>): Promise<Reply> {
    const original = Buffer.from(JSON.stringify(input));
    const timestamp = input.Timestamp;
    // Kinesalite answers a missing or future timestamp itself, at once.
    if (typeof timestamp !== 'number' || timestamp * 1000 > Date.now())
      return this.upstream.forward(req, original);
    const shard = { StreamName: input.StreamName, ShardId: input.ShardId };
    const latest = await this.upstream.call(req, 'GetShardIterator', {
      ...shard,
      ShardIteratorType: 'LATEST',
    });
    if (latest.status !== 200) return latest;
    const start = await this.upstream.call(req, 'GetShardIterator', {
      ...shard,
      ShardIteratorType: 'TRIM_HORIZON',
    });
    let iterator = (parseJson(start.body) as { ShardIterator?: string }).ShardIterator;
    while (start.status === 200 && iterator) {
      const page = await this.upstream.call(req, 'GetRecords', { ShardIterator: iterator });
      if (page.status !== 200) return page;
      const { Records = [], NextShardIterator } = parseJson(page.body) as {
        Records?: { ApproximateArrivalTimestamp?: number }[];
        NextShardIterator?: string;
      };
      if (Records.some((r) => (r.ApproximateArrivalTimestamp ?? 0) >= timestamp)) {
        return this.upstream.forward(req, original);
      }
      if (Records.length === 0) break;
      iterator = NextShardIterator;
    }
    return latest;
  }
}

/**
 * Kinesalite knows streams only by name; AWS also accepts the stream's ARN instead. Rewrites `input` in
 * place; true when it had a StreamARN.
 */
export function streamArnToName(input: Record<string, unknown>): boolean {
  const arn = input.StreamARN;
  if (typeof arn !== 'string') return false;
  const name = localStreamName(arn);
  delete input.StreamARN;
  if (name && input.StreamName === undefined) input.StreamName = name;
  return true;
}

interface Shard {
  readonly ShardId: string;
  readonly SequenceNumberRange?: { readonly EndingSequenceNumber?: string };
}

interface KinesaliteShard extends Shard {
  readonly ParentShardId?: string;
  readonly AdjacentParentShardId?: string;
  readonly HashKeyRange?: { readonly StartingHashKey: string; readonly EndingHashKey: string };
}

interface ShardFilter {
  readonly Type: string;
  readonly ShardId?: string;
}

const SHARD_FILTER_TYPES = ['AFTER_SHARD_ID', 'AT_TRIM_HORIZON', 'FROM_TRIM_HORIZON', 'AT_LATEST'];

function shardFilterProblem(filter: unknown): string | undefined {
  if (filter === undefined) return undefined;
  const f = (typeof filter === 'object' && filter !== null ? filter : {}) as Partial<ShardFilter>;
  if (f.Type === 'AT_TIMESTAMP' || f.Type === 'FROM_TIMESTAMP') {
    return `ShardFilter type ${f.Type} is not supported by the local Kinesis proxy; use ${SHARD_FILTER_TYPES.join(', ')}.`;
  }
  if (typeof f.Type !== 'string' || !SHARD_FILTER_TYPES.includes(f.Type)) {
    return `ShardFilter.Type must be one of ${SHARD_FILTER_TYPES.join(', ')}; got ${String(f.Type)}.`;
  }
  if (f.Type === 'AFTER_SHARD_ID' && typeof f.ShardId !== 'string') {
    return 'ShardFilter.ShardId is required when ShardFilter.Type is AFTER_SHARD_ID.';
  }
  return undefined;
}

function matchesShardFilter(shard: Shard, filter: ShardFilter | undefined): boolean {
  if (!filter) return true;
  switch (filter.Type) {
    case 'AFTER_SHARD_ID':
      return shard.ShardId > (filter.ShardId ?? '');
    case 'AT_LATEST':
      return shard.SequenceNumberRange?.EndingSequenceNumber === undefined;
    default:
      // Kinesalite never trims closed shards, so every shard is within the trim horizon.
      return true;
  }
}

interface ListShardsToken {
  readonly streamName: string;
  readonly exclusiveStart: string;
  readonly filter: unknown;
  readonly issuedAt: number;
}

function encodeListShardsToken(token: ListShardsToken): string {
  return Buffer.from(JSON.stringify(token)).toString('base64');
}

function decodeListShardsToken(raw: unknown): ListShardsToken | undefined {
  if (typeof raw !== 'string') return undefined;
  try {
    const token = JSON.parse(Buffer.from(raw, 'base64').toString('utf8')) as Partial<ListShardsToken>;
    if (
      typeof token.streamName === 'string' &&
      typeof token.exclusiveStart === 'string' &&
      typeof token.issuedAt === 'number'
    ) {
      return token as ListShardsToken;
    }
  } catch {
    // Falls through: not a token of ours.
  }
  return undefined;
}
