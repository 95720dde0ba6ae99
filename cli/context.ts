import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { KinesisClient } from '@aws-sdk/client-kinesis';
import { SQSClient } from '@aws-sdk/client-sqs';
import { SSMClient } from '@aws-sdk/client-ssm';
import { AwsClientFactory, type AwsSettings, type ServiceName } from '../functions/core/aws/clients';
import { systemClock, type Clock, type Random } from '../functions/core/time/clock';
import { resolveAws, type ConsumerHints, type GlobalOptions } from './aws-options';
import type { Whereabouts } from './errors';
import type { CliIo } from './io';

/** What a command runs with: the terminal, the clients, and where they point. */
export class CommandContext implements Whereabouts {
  readonly clock: Clock;
  readonly random: Random;
  readonly region: string;
  readonly endpoints: Readonly<Record<string, string | undefined>>;
  private readonly factory: AwsClientFactory;

  private constructor(
    readonly io: CliIo,
    readonly settings: AwsSettings,
    /** Consumer settings from the --properties file, if it had any. */
    readonly consumer: ConsumerHints,
  ) {
    this.clock = io.clock ?? systemClock;
    this.random = io.random ?? Math.random;
    this.region = settings.region;
    const services: ServiceName[] = ['kinesis', 'ssm', 'sqs', 'dynamodb'];
    this.endpoints = Object.fromEntries(
      services.map((s) => [s, settings.endpoints?.[s] ?? settings.endpoint]),
    );
    this.factory = new AwsClientFactory(settings);
  }

  static async open(io: CliIo, options: GlobalOptions): Promise<CommandContext> {
    const { settings, consumer } = await resolveAws(options, io.env);
    return new CommandContext(io, settings, consumer);
  }

  kinesis(): KinesisClient {
    return this.factory.client('kinesis', KinesisClient);
  }

  ssm(): SSMClient {
    return this.factory.client('ssm', SSMClient);
  }

  sqs(): SQSClient {
    return this.factory.client('sqs', SQSClient);
  }

  dynamodb(): DynamoDBClient {
    return this.factory.client('dynamodb', DynamoDBClient);
  }

  /** "region eu-west-1" or "region us-east-1 at http://localhost:4567", for messages. */
  where(service: ServiceName): string {
    const endpoint = this.endpoints[service];
    return `region ${this.region}${endpoint ? ` at ${endpoint}` : ''}`;
  }

  close(): void {
    this.factory.destroy();
  }
}
