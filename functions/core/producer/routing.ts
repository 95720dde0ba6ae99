import { checkStreamRef } from '../aws/stream-ref';
import { describeError } from '../errors';
import type { Random } from '../time/clock';
import {
  checkExplicitHashKey,
  checkPartitionKey,
  checkStreamName,
  type ParsedRecord,
  type ProducerMessage,
  type Rejection,
} from './message-contract';

/** A parsed record and the message it came from, as routing functions see it. */
export interface RoutableRecord extends ParsedRecord {
  readonly message: ProducerMessage;
}

/** Where a record goes: its stream and the keys that pick its shard. */
export interface RoutedRecord {
  readonly stream: string;
  readonly partitionKey: string;
  readonly explicitHashKey?: string;
  readonly data: Uint8Array;
}

/** The reference connector's custom partitioner: keys derived from the record. */
export type Partitioner = (
  record: RoutableRecord,
) => { readonly partitionKey?: string; readonly explicitHashKey?: string } | undefined | null;

/** The reference connector's target-stream selector: nothing means the default stream. */
export type TargetStreamSelector = (record: RoutableRecord) => string | undefined | null;

export interface RoutingOptions {
  /** The stream of records that name none and that the selector leaves alone. @default - such records are rejected */
  readonly defaultStream?: string;
  /** The partition key of records that carry none. @default - a random key per record */
  readonly defaultPartitionKey?: string;
  /** Picks a stream from the record when the message names none. @default - the default stream */
  readonly targetStream?: TargetStreamSelector;
  /** Derives the partition key and explicit hash key when the message gives none. @default - none */
  readonly partitioner?: Partitioner;
  /** Streams records may go to; any other is rejected at once. @default - any stream */
  readonly allowedStreams?: readonly string[];
  /** Source of random partition keys. @default Math.random */
  readonly random?: Random;
  /**
   * The Kinesis client's region: a record whose stream is an ARN in another region is rejected, since
   * Kinesis serves a stream only in its own region. @default - not checked
   */
  readonly region?: string;
}

export type RouteResult =
  { readonly ok: true; readonly record: RoutedRecord } | ({ readonly ok: false } & Rejection);

/**
 * Resolves each record's stream and keys. What the message says wins; the selector and partitioner fill
 * in what it leaves out; then the defaults; a record with no partition key at all gets a random one.
 */
export class Router {
  private readonly random: Random;
  private readonly allowed?: ReadonlySet<string>;

  constructor(private readonly options: RoutingOptions = {}) {
    this.random = options.random ?? Math.random;
    if (options.allowedStreams) this.allowed = new Set(options.allowedStreams);
  }

  route(record: RoutableRecord): RouteResult {
    let stream = record.stream;
    if (stream === undefined && this.options.targetStream) {
      const selected = this.call('targetStream', 'stream', () => this.options.targetStream?.(record));
      if (!selected.ok) return selected;
      if (selected.value !== undefined && selected.value !== null) {
        const problem = checkStreamName(selected.value, 'The stream the targetStream function chose');
        if (problem) return { ok: false, field: 'stream', reason: problem };
        stream = selected.value;
      }
    }
    stream ??= this.options.defaultStream;
    if (stream === undefined) {
      return {
        ok: false,
        field: 'stream',
        reason: 'The record names no stream, and no default stream or target-stream selector gave one.',
      };
    }
    const elsewhere = this.options.region && checkStreamRef(stream, 'The stream', this.options.region);
    if (elsewhere) return { ok: false, field: 'stream', reason: elsewhere };
    if (this.allowed && !this.allowed.has(stream)) {
      return {
        ok: false,
        field: 'stream',
        reason: `The stream "${stream}" is not one this producer writes to; allowed: ${[...this.allowed].join(', ')}.`,
      };
    }

    let partitionKey = record.partitionKey;
    let explicitHashKey = record.explicitHashKey;
    if ((partitionKey === undefined || explicitHashKey === undefined) && this.options.partitioner) {
      const derived = this.call('partitioner', 'partitionKey', () => this.options.partitioner?.(record));
      if (!derived.ok) return derived;
      if (partitionKey === undefined && derived.value?.partitionKey !== undefined) {
        const problem = checkPartitionKey(
          derived.value.partitionKey,
          'The partition key the partitioner gave',
        );
        if (problem) return { ok: false, field: 'partitionKey', reason: problem };
        partitionKey = derived.value.partitionKey;
      }
      if (explicitHashKey === undefined && derived.value?.explicitHashKey !== undefined) {
        const problem = checkExplicitHashKey(
          derived.value.explicitHashKey,
          'The explicit hash key the partitioner gave',
        );
        if (problem) return { ok: false, field: 'explicitHashKey', reason: problem };
        explicitHashKey = derived.value.explicitHashKey;
      }
    }
    partitionKey ??= this.options.defaultPartitionKey ?? this.randomPartitionKey();
    const routed: { -readonly [K in keyof RoutedRecord]: RoutedRecord[K] } = {
      stream,
      partitionKey,
      data: record.data,
    };
    if (explicitHashKey !== undefined) routed.explicitHashKey = explicitHashKey;
    return { ok: true, record: routed };
  }

  /** 128 random bits as 32 hex digits: spreads keyless records evenly over the shards. */
  randomPartitionKey(): string {
    let key = '';
    for (let i = 0; i < 4; i++) {
      key += Math.floor(this.random() * 0x100000000)
        .toString(16)
        .padStart(8, '0');
    }
    return key;
  }

  private call<T>(
    name: string,
    field: string,
    fn: () => T,
  ): { ok: true; value: T } | ({ ok: false } & Rejection) {
    try {
      return { ok: true, value: fn() };
    } catch (error) {
      return {
        ok: false,
        field,
        reason: `The ${name} function threw on this record: ${describeError(error)}.`,
      };
    }
  }
}
