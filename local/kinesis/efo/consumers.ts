import type { Clock } from '../../../functions/core/time/clock';
import { KinesisServiceError } from './service-error';

/** AWS's limit of registered consumers per stream (50 with On-demand Advantage; 20 otherwise). */
export const MAX_CONSUMERS_PER_STREAM = 20;
const CONSUMER_NAME = /^[a-zA-Z0-9_.-]{1,128}$/;
const STREAM_ARN = /^arn:(aws[a-z-]*):kinesis:([a-z0-9-]+):(\d{12}):stream\/([a-zA-Z0-9_.-]{1,128})$/;
const CONSUMER_ARN =
  /^(arn:aws[a-z-]*:kinesis:[a-z0-9-]+:\d{12}:stream\/[a-zA-Z0-9_.-]{1,128})\/consumer\/([a-zA-Z0-9_.-]{1,128}):(\d+)$/;

export type ConsumerStatus = 'CREATING' | 'ACTIVE' | 'DELETING';

/** A registered stream consumer as DescribeStreamConsumer reports it. */
export interface StreamConsumer {
  readonly consumerName: string;
  readonly consumerArn: string;
  readonly streamArn: string;
  readonly streamName: string;
  /** Epoch milliseconds (whole seconds, as in the ARN). */
  readonly createdAt: number;
}

interface Entry extends StreamConsumer {
  /** When CREATING turns ACTIVE, on the registry's clock. */
  readonly activeAt: number;
  /** When DELETING ends and the consumer is gone; set by deregistration. */
  deletedAt?: number;
}

/** The parts of a stream ARN. */
export function parseStreamArn(arn: string): { streamName: string; region: string; account: string } {
  const match = STREAM_ARN.exec(arn);
  if (!match) {
    throw new KinesisServiceError(
      'InvalidArgumentException',
      `StreamARN ${arn} is not a stream ARN (arn:aws:kinesis:<region>:<account>:stream/<name>).`,
    );
  }
  return { region: match[2] as string, account: match[3] as string, streamName: match[4] as string };
}

/**
 * The consumers registered with each stream and their lifecycle, on an injected clock: a consumer is
 * CREATING for `transitionMillis` after registration, then ACTIVE; deregistered, it is DELETING for
 * as long, then gone. ARNs follow AWS's format,
 * `<stream ARN>/consumer/<name>:<creation epoch seconds>`.
 */
export class ConsumerRegistry {
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly clock: Clock,
    private readonly transitionMillis: number,
  ) {}

  register(streamArn: string, consumerName: unknown): StreamConsumer & { status: ConsumerStatus } {
    const { streamName } = parseStreamArn(streamArn);
    if (typeof consumerName !== 'string' || !CONSUMER_NAME.test(consumerName)) {
      throw new KinesisServiceError(
        'ValidationException',
        `ConsumerName must be 1 to 128 characters of a-z, A-Z, 0-9, _ . -; got ${String(consumerName)}.`,
      );
    }
    const onStream = this.onStream(streamArn);
    if (onStream.some((c) => c.consumerName === consumerName)) {
      throw new KinesisServiceError(
        'ResourceInUseException',
        `Consumer ${consumerName} under stream ${streamArn} already exists.`,
      );
    }
    if (onStream.length >= MAX_CONSUMERS_PER_STREAM) {
      throw new KinesisServiceError(
        'LimitExceededException',
        `Stream ${streamArn} already has ${MAX_CONSUMERS_PER_STREAM} registered consumers, the most it may have.`,
      );
    }
    const now = this.clock.now();
    const createdAt = Math.floor(now / 1000) * 1000;
    const entry: Entry = {
      consumerName,
      consumerArn: `${streamArn}/consumer/${consumerName}:${createdAt / 1000}`,
      streamArn,
      streamName,
      createdAt,
      activeAt: now + this.transitionMillis,
    };
    this.entries.set(entry.consumerArn, entry);
    return { ...publicOf(entry), status: 'CREATING' };
  }

  /** By ARN, or by stream ARN and name; ResourceNotFoundException when there is no such consumer. */
  find(input: Readonly<Record<string, unknown>>): StreamConsumer & { status: ConsumerStatus } {
    const entry = this.lookup(input);
    return { ...publicOf(entry), status: this.statusOf(entry) };
  }

  deregister(input: Readonly<Record<string, unknown>>): void {
    const entry = this.lookup(input);
    entry.deletedAt ??= this.clock.now() + this.transitionMillis;
  }

  list(streamArn: string): (StreamConsumer & { status: ConsumerStatus })[] {
    parseStreamArn(streamArn);
    return this.onStream(streamArn).map((entry) => ({ ...publicOf(entry), status: this.statusOf(entry) }));
  }

  /** Whether the consumer still exists (registered and not yet gone), by ARN. */
  exists(consumerArn: string): boolean {
    this.sweep();
    return this.entries.has(consumerArn);
  }

  private lookup(input: Readonly<Record<string, unknown>>): Entry {
    this.sweep();
    const arn = input.ConsumerARN;
    if (typeof arn === 'string') {
      if (!CONSUMER_ARN.test(arn)) {
        throw new KinesisServiceError(
          'InvalidArgumentException',
          `ConsumerARN ${arn} is not a consumer ARN.`,
        );
      }
      const entry = this.entries.get(arn);
      if (!entry) throw new KinesisServiceError('ResourceNotFoundException', `Consumer ${arn} not found.`);
      return entry;
    }
    const { StreamARN: streamArn, ConsumerName: name } = input;
    if (typeof streamArn !== 'string' || typeof name !== 'string') {
      throw new KinesisServiceError(
        'InvalidArgumentException',
        'Give either ConsumerARN, or both StreamARN and ConsumerName.',
      );
    }
    parseStreamArn(streamArn);
    const entry = this.onStream(streamArn).find((c) => c.consumerName === name);
    if (!entry) {
      throw new KinesisServiceError(
        'ResourceNotFoundException',
        `Consumer ${name} under stream ${streamArn} not found.`,
      );
    }
    return entry;
  }

  private onStream(streamArn: string): Entry[] {
    this.sweep();
    return [...this.entries.values()].filter((entry) => entry.streamArn === streamArn);
  }

  private statusOf(entry: Entry): ConsumerStatus {
    if (entry.deletedAt !== undefined) return 'DELETING';
    return this.clock.now() >= entry.activeAt ? 'ACTIVE' : 'CREATING';
  }

  /** Drops consumers whose deletion has run its course. */
  private sweep(): void {
    const now = this.clock.now();
    for (const [arn, entry] of this.entries) {
      if (entry.deletedAt !== undefined && now >= entry.deletedAt) this.entries.delete(arn);
    }
  }
}

function publicOf(entry: Entry): StreamConsumer {
  return {
    consumerName: entry.consumerName,
    consumerArn: entry.consumerArn,
    streamArn: entry.streamArn,
    streamName: entry.streamName,
    createdAt: entry.createdAt,
  };
}
