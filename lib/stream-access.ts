// How the constructs address and grant a stream that may live in another account, and the consumer's
// enhanced fan-out resources. Kinesis serves another account's stream only by ARN, under the resource
// policy its owner attached (docs/cross-account.md); the caller's side still needs the same actions in
// its own role, on the exact ARNs.
import { Stack, Token, TokenComparison } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kinesis from 'aws-cdk-lib/aws-kinesis';
import type { Construct } from 'constructs';
import type { EfoRegistration } from '../functions/core/config/consumer-settings';
import { ConfigurationError } from '../functions/core/errors';

/** Whether `stream` is known at synth to be in another account than `scope`'s stack. */
export function isOtherAccount(scope: Construct, stream: kinesis.IStream): boolean {
  return Token.compareStrings(stream.env.account, Stack.of(scope).account) === TokenComparison.DIFFERENT;
}

/**
 * What the function is told to read or write: the stream's ARN when it is in another account (the only
 * way Kinesis serves it), else its name (so the checkpoints of an existing deployment stay where they are).
 * A stream in another region fails here: Kinesis serves a stream only in its own region.
 */
export function streamIdentifier(
  scope: Construct,
  owner: string,
  prop: string,
  stream: kinesis.IStream,
): string {
  if (Token.compareStrings(stream.env.region, Stack.of(scope).region) === TokenComparison.DIFFERENT) {
    throw new ConfigurationError(
      `${owner}: ${prop} has stream ${stream.streamArn} in ${stream.env.region}, but this stack deploys to ` +
        `${Stack.of(scope).region}; Kinesis serves a stream only in its own region, so deploy the function there.`,
      prop,
    );
  }
  return isOtherAccount(scope, stream) ? stream.streamArn : stream.streamName;
}

/** The consumer's enhanced fan-out, as the construct sets it up. */
export interface EfoSetup {
  /** The stream consumers the construct registered (EAGER), in stream order. */
  readonly registered: readonly kinesis.StreamConsumer[];
  /** The consumer ARNs the function is given (EAGER and NONE): `consumer.efo.consumerarns`. */
  readonly consumerArns: readonly string[];
  /** What SubscribeToShard and DescribeStreamConsumer are granted on. */
  readonly consumerResources: readonly string[];
  /** The streams the function registers its consumer with (LAZY). */
  readonly registerWith: readonly string[];
}

/**
 * Registers (EAGER) or finds (NONE) the stream consumer of each stream. A LAZY consumer's ARN ends in
 * its registration time, unknown before the function registers it, so its grants name the consumer and
 * leave only that timestamp open (`<stream ARN>/consumer/<name>:*`).
 */
export function planEnhancedFanOut(
  scope: Construct,
  owner: string,
  options: {
    readonly streams: readonly kinesis.IStream[];
    readonly consumerName: string;
    readonly registration: EfoRegistration;
    readonly consumers: readonly kinesis.IStreamConsumer[];
  },
): EfoSetup {
  const { streams, consumerName, registration, consumers } = options;
  for (const consumer of consumers) {
    if (!streams.some((s) => s.streamArn === consumer.stream.streamArn)) {
      throw new ConfigurationError(
        `${owner}: efoConsumers has consumer ${consumer.streamConsumerArn} of a stream not in streams.`,
        'efoConsumers',
      );
    }
  }
  const registered: kinesis.StreamConsumer[] = [];
  const consumerArns: string[] = [];
  const consumerResources: string[] = [];
  const registerWith: string[] = [];
  streams.forEach((stream, index) => {
    const given = consumers.find((c) => c.stream.streamArn === stream.streamArn);
    if (given) {
      consumerArns.push(given.streamConsumerArn);
      consumerResources.push(given.streamConsumerArn);
      return;
    }
    if (registration === 'NONE') {
      throw new ConfigurationError(
        `${owner}: efoRegistration is NONE but efoConsumers has no consumer of stream ${stream.streamArn}; ` +
          'give the stream consumer its owner registered, one per stream.',
        'efoConsumers',
      );
    }
    if (isOtherAccount(scope, stream)) {
      throw new ConfigurationError(
        `${owner}: stream ${stream.streamArn} is in another account, where this deployment cannot register a ` +
          `stream consumer (efoRegistration ${registration}): a resource policy cannot share ` +
          'RegisterStreamConsumer. Have the owner register it, and give it in efoConsumers.',
        'efoConsumers',
      );
    }
    if (registration === 'EAGER') {
      const consumer = new kinesis.StreamConsumer(scope, `StreamConsumer${index}`, {
        stream,
        streamConsumerName: consumerName,
      });
      registered.push(consumer);
      consumerArns.push(consumer.streamConsumerArn);
      consumerResources.push(consumer.streamConsumerArn);
      return;
    }
    consumerResources.push(`${stream.streamArn}/consumer/${consumerName}:*`);
    registerWith.push(stream.streamArn);
  });
  return { registered, consumerArns, consumerResources, registerWith };
}

/**
 * Exactly the enhanced fan-out actions on exact resources: SubscribeToShard and DescribeStreamConsumer
 * on the consumer (AWS's resource type for both), and with LAZY, RegisterStreamConsumer on the stream.
 */
export function grantEnhancedFanOut(role: iam.IRole, setup: EfoSetup): void {
  role.addToPrincipalPolicy(
    new iam.PolicyStatement({
      actions: ['kinesis:SubscribeToShard', 'kinesis:DescribeStreamConsumer'],
      resources: [...setup.consumerResources],
    }),
  );
  if (setup.registerWith.length > 0) {
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['kinesis:RegisterStreamConsumer'],
        resources: [...setup.registerWith],
      }),
    );
  }
}
