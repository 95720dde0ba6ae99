import type { Logger } from '@aws-lambda-powertools/logger';
import {
  DescribeStreamConsumerCommand,
  DescribeStreamSummaryCommand,
  RegisterStreamConsumerCommand,
  type KinesisClient,
} from '@aws-sdk/client-kinesis';
import { classifyError, fullJitterDelay, type BackoffSettings } from '../../aws/retry';
import { CONSUMER_SETTINGS, EFO_CONSUMER_ARN_PREFIX, type EfoConfig } from '../../config/consumer-settings';
import { describeError, RetriesExhaustedError, StreamConsumerError } from '../../errors';
import type { Clock, Random } from '../../time/clock';
import { streamNameOf } from './stream-arn';

export interface StreamConsumerContext {
  /** Any Kinesis client (the consumer operations need no HTTP/2). */
  readonly kinesis: KinesisClient;
  readonly efo: EfoConfig;
  readonly clock: Clock;
  readonly random: Random;
  readonly logger: Logger;
  readonly signal?: AbortSignal;
}

/**
 * The ACTIVE stream consumer ARN to subscribe with for `stream` (a name or an ARN): the configured ARN
 * when there is one; otherwise the consumer of the configured name, registered first when it is
 * missing and registration is LAZY (the reference's strategy), and waited for until ACTIVE.
 */
export async function activeConsumerArn(stream: string, context: StreamConsumerContext): Promise<string> {
  const { efo } = context;
  const given = efo.consumerArns[stream] ?? efo.consumerArns[streamNameOf(stream)];
  if (given) return given;
  const name = efo.consumerName;
  if (!name) {
    throw new StreamConsumerError(
      `No stream consumer for ${stream}: set ${CONSUMER_SETTINGS.efoConsumerName.key}, or ${EFO_CONSUMER_ARN_PREFIX}.${stream}.`,
    );
  }
  const streamArn = await streamArnOf(stream, context);
  const deadline = context.clock.now() + efo.registerStreamConsumer.timeoutMillis;
  let registered = false;
  for (let attempt = 0; ; attempt++) {
    const described = await describe(streamArn, name, context);
    if (!described) {
      if (efo.registration !== 'LAZY' || registered) {
        throw new StreamConsumerError(
          `Stream consumer ${name} is not registered with ${streamArn}` +
            (efo.registration === 'EAGER'
              ? `: with EAGER registration the deployment registers it (the construct's AWS::Kinesis::StreamConsumer); deploy it, or set ${CONSUMER_SETTINGS.efoRegistration.key} to LAZY.`
              : `; it was deregistered while this consumer registered it. Register it again, or set ${CONSUMER_SETTINGS.efoRegistration.key} to LAZY.`),
        );
      }
      await register(streamArn, name, context);
      registered = true;
      continue;
    }
    if (described.status === 'ACTIVE') return described.arn;
    if (described.status === 'DELETING' && efo.registration !== 'LAZY') {
      throw new StreamConsumerError(
        `Stream consumer ${described.arn} is being deregistered; register it again, or set ${CONSUMER_SETTINGS.efoRegistration.key} to LAZY.`,
      );
    }
    // CREATING turns ACTIVE; DELETING (with LAZY) turns into nothing, which is then registered again.
    if (context.clock.now() >= deadline) {
      throw new StreamConsumerError(
        `Stream consumer ${described.arn} did not become ACTIVE within ${efo.registerStreamConsumer.timeoutMillis / 1000} s ` +
          `(${CONSUMER_SETTINGS.registerStreamConsumerTimeoutSeconds.key}); it is still ` +
          `${described.status}.`,
      );
    }
    const delay = fullJitterDelay(attempt, efo.describeStreamConsumer.backoff, context.random);
    context.logger.info('Waiting for the stream consumer to become ACTIVE', {
      consumerArn: described.arn,
      status: described.status,
      delayMillis: Math.round(delay),
    });
    await context.clock.sleep(Math.max(1, Math.min(delay, deadline - context.clock.now())), context.signal);
  }
}

async function streamArnOf(stream: string, context: StreamConsumerContext): Promise<string> {
  if (stream.startsWith('arn:')) return stream;
  const { StreamDescriptionSummary } = await withRetries(
    'DescribeStreamSummary',
    context.efo.describeStreamConsumer.backoff,
    context,
    () => context.kinesis.send(new DescribeStreamSummaryCommand({ StreamName: stream }), opt(context.signal)),
  );
  const arn = StreamDescriptionSummary?.StreamARN;
  if (!arn) throw new StreamConsumerError(`DescribeStreamSummary of ${stream} returned no StreamARN.`);
  return arn;
}

async function describe(
  streamArn: string,
  name: string,
  context: StreamConsumerContext,
): Promise<{ arn: string; status: string } | undefined> {
  try {
    const { ConsumerDescription } = await withRetries(
      'DescribeStreamConsumer',
      context.efo.describeStreamConsumer.backoff,
      context,
      () =>
        context.kinesis.send(
          new DescribeStreamConsumerCommand({ StreamARN: streamArn, ConsumerName: name }),
          opt(context.signal),
        ),
    );
    return {
      arn: ConsumerDescription?.ConsumerARN as string,
      status: String(ConsumerDescription?.ConsumerStatus),
    };
  } catch (error) {
    if ((error as Error).name === 'ResourceNotFoundException') return undefined;
    throw error;
  }
}

async function register(streamArn: string, name: string, context: StreamConsumerContext): Promise<void> {
  try {
    await withRetries('RegisterStreamConsumer', context.efo.registerStreamConsumer.backoff, context, () =>
      context.kinesis.send(
        new RegisterStreamConsumerCommand({ StreamARN: streamArn, ConsumerName: name }),
        opt(context.signal),
      ),
    );
    context.logger.info('Registered the stream consumer', { streamArn, consumerName: name });
  } catch (error) {
    // Another invocation registered it first: describing it again finds it.
    if ((error as Error).name !== 'ResourceInUseException') throw error;
  }
}

/** A control-plane call retried on throttling and transient errors, with the reference's backoff. */
async function withRetries<T>(
  operation: string,
  backoff: BackoffSettings,
  context: StreamConsumerContext,
  call: () => Promise<T>,
): Promise<T> {
  for (let retries = 0; ; retries++) {
    try {
      return await call();
    } catch (error) {
      if (context.signal?.aborted || classifyError(error) === 'fatal') throw error;
      if (retries >= backoff.maxRetries) throw new RetriesExhaustedError(operation, retries + 1, error);
      const delay = fullJitterDelay(retries, backoff, context.random);
      context.logger.warn(`${operation} failed; backing off`, {
        attempt: retries + 1,
        delayMillis: Math.round(delay),
        error: describeError(error),
      });
      await context.clock.sleep(delay, context.signal);
    }
  }
}

function opt(signal: AbortSignal | undefined): { abortSignal?: AbortSignal } {
  return signal ? { abortSignal: signal } : {};
}
