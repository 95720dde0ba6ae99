import type { Logger } from '@aws-lambda-powertools/logger';
import type { KinesisClient } from '@aws-sdk/client-kinesis';
import type { EfoConfig } from '../../config/consumer-settings';
import type { Clock, Random } from '../../time/clock';
import type { ShardReaderSettings } from '../shard-reader';
import type { ShardSource, ShardSourceFactory } from '../shard-source';
import { activeConsumerArn } from './stream-consumer';
import { SubscriptionReadApi } from './subscription-read-api';

export interface EnhancedFanOutOptions {
  /** A Kinesis client on the SDK's HTTP/2 handler, for SubscribeToShard. */
  readonly subscriber: KinesisClient;
  /** Any Kinesis client, for the consumer operations. */
  readonly control: KinesisClient;
  readonly efo: EfoConfig;
  readonly clock: Clock;
  readonly random: Random;
  readonly logger: Logger;
}

/**
 * The engine's shard source for enhanced fan-out: each shard read through SubscribeToShard, with the
 * stream consumer looked up (or registered) once per stream and process.
 */
export function enhancedFanOut(options: EnhancedFanOutOptions): ShardSourceFactory {
  const arns = new Map<string, Promise<string>>();
  const arnOf = (stream: string, renew: boolean, signal: AbortSignal): Promise<string> => {
    let arn = renew ? undefined : arns.get(stream);
    if (!arn) {
      arn = activeConsumerArn(stream, {
        kinesis: options.control,
        efo: options.efo,
        clock: options.clock,
        random: options.random,
        logger: options.logger,
        signal,
      });
      arns.set(stream, arn);
      // A failed lookup is not kept: the next reader (or invocation) tries again.
      arn.catch(() => arns.delete(stream));
    }
    return arn;
  };
  return (context): ShardSource => {
    const api = new SubscriptionReadApi({
      client: options.subscriber,
      consumerArn: (renew) => arnOf(context.shard.streamName, renew, context.stop),
      polling: context.polling,
      shard: context.shard,
      efo: options.efo,
      dueAt: context.dueAt,
      clock: options.clock,
      random: options.random,
      logger: context.logger,
      stop: context.stop,
    });
    return { api, settings: efoReaderSettings };
  };
}

/**
 * The reader loop with enhanced fan-out: no pause between reads (each waits for the next pushed
 * event) and no polling limits (Kinesis paces each consumer's 2 MiB/s itself).
 */
function efoReaderSettings(base: ShardReaderSettings): ShardReaderSettings {
  return {
    ...base,
    intervalMillis: 0,
    adaptiveReads: false,
    limits: { callsPerSecond: Number.MAX_SAFE_INTEGER, bytesPerSecond: Number.MAX_SAFE_INTEGER },
  };
}
