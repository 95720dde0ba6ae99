import { AwsClientFactory, type AwsSettings, type ServiceName } from '../functions/core/aws/clients';
import { ConfigurationError } from '../functions/core/errors';
import { systemClock, type Clock, type Random } from '../functions/core/time/clock';
import { startDynalite, type DynaliteOptions, type DynaliteServer } from './dynamodb/dynalite';
import { DynamoDbTransactionProxy } from './dynamodb/transactions';
import { KinesisEfoServer, type KinesisEfoServerOptions } from './kinesis/efo/server';
import { KinesisFaultProxy } from './kinesis/fault-proxy';
import { startKinesalite, type KinesaliteOptions, type KinesaliteServer } from './kinesis/kinesalite';
import { ShardWriteLimits, type ShardWriteLimitsOptions } from './kinesis/write-limits';
import type { FaultSwitch } from './shared/faults';
import { LocalSqsServer, type LocalSqsServerOptions } from './sqs';
import { LocalSsmServer, type LocalSsmServerOptions } from './ssm/server';

/** A local server the harness can start and stop. */
export interface LocalServer {
  listen(port?: number): Promise<string>;
  close(): Promise<void>;
}

/** One of our own AWS JSON protocol servers (SSM, SQS), with its fault switch. */
export interface LocalJsonServer extends LocalServer {
  readonly faults: FaultSwitch;
}

/** What a server factory is given, so every server shares the harness's clock and region. */
export interface ServerContext {
  readonly clock: Clock;
  readonly region: string;
}

export type ServerFactory<S extends LocalServer> = (context: ServerContext) => S;

export interface LocalKinesisOptions extends KinesaliteOptions {
  /** @see KinesisFaultProxyOptions.listShardsPageSize */
  readonly listShardsPageSize?: number;
  /** Random source of the proxy's fault switch. @default Math.random */
  readonly random?: Random;
  /**
   * Our EFO server in front of the proxy (consumer operations and SubscribeToShard over HTTP/2,
   * everything else forwarded), and the Kinesis endpoint becomes it.
   * @default - not started: the endpoint is the proxy's
   */
  readonly enhancedFanOut?: boolean | Omit<KinesisEfoServerOptions, 'upstream' | 'clock' | 'region'>;
  /**
   * Enforce Kinesis's per-shard write limits (1,000 records/s and 1 MiB/s) on the harness's clock;
   * an object changes the limits. @default false
   */
  readonly writeLimits?: boolean | Omit<ShardWriteLimitsOptions, 'clock'>;
}

export interface LocalDynamoDbOptions extends DynaliteOptions {
  /** Put DynamoDbTransactionProxy in front of dynalite so the client can run transactions. @default false */
  readonly transactions?: boolean;
}

export interface LocalAwsOptions {
  /** Kinesalite behind the Kinesis fault proxy; the client talks to the proxy. */
  readonly kinesis?: boolean | LocalKinesisOptions;
  /** Dynalite; with `transactions`, behind the project's transaction proxy (TransactWriteItems, TransactGetItems). */
  readonly dynamodb?: boolean | LocalDynamoDbOptions;
  readonly ssm?: boolean | Omit<LocalSsmServerOptions, 'clock' | 'region'>;
  /** The project's own SQS server. @default - not started */
  readonly sqs?: boolean | Omit<LocalSqsServerOptions, 'clock' | 'region'>;
  /** Shared by the servers that keep time (SSM, SQS, the proxy's NextToken expiry). @default systemClock */
  readonly clock?: Clock;
  /** @default 'us-east-1' */
  readonly region?: string;
  /**
   * SDK attempts per service for `clients`; tests that assert on single errors pass 1.
   * @default - AwsClientFactory's defaults
   */
  readonly maxAttempts?: Partial<Record<ServiceName, number>>;
}

/** The credentials every local server accepts: any signed request passes. */
export const LOCAL_CREDENTIALS = {
  provider: 'BASIC',
  accessKeyId: 'local',
  secretAccessKey: 'local',
} as const;

/**
 * Where a client for a service that was not started goes: a closed port on this machine, so a
 * missing option fails fast instead of reaching AWS.
 */
export const UNREACHABLE_ENDPOINT = 'http://127.0.0.1:1';

/** A running set of local AWS servers and a client factory pointed at them. */
export class LocalAws {
  private stopped = false;

  constructor(
    readonly region: string,
    readonly clock: Clock,
    /** Endpoint per started service. */
    readonly endpoints: Readonly<Partial<Record<ServiceName, string>>>,
    /** Settings for an AwsClientFactory of your own (e.g. in a child process or a handler under test). */
    readonly awsSettings: AwsSettings,
    readonly clients: AwsClientFactory,
    private readonly servers: {
      readonly kinesalite?: KinesaliteServer;
      readonly kinesis?: KinesisFaultProxy;
      readonly efo?: KinesisEfoServer;
      readonly dynamodb?: DynaliteServer;
      readonly transactions?: DynamoDbTransactionProxy;
      readonly ssm?: LocalSsmServer;
      readonly sqs?: LocalSqsServer;
    },
  ) {}

  /** The Kinesis fault proxy (kinesalite behind it). */
  get kinesis(): KinesisFaultProxy {
    return this.need(this.servers.kinesis, 'kinesis');
  }

  /** The EFO server in front of the proxy (started with `kinesis: { enhancedFanOut: true }`). */
  get efo(): KinesisEfoServer {
    return this.need(this.servers.efo, 'kinesis');
  }

  get dynamodb(): DynaliteServer {
    return this.need(this.servers.dynamodb, 'dynamodb');
  }

  /** The transaction proxy in front of dynalite (started with `dynamodb: { transactions: true }`). */
  get dynamodbTransactions(): DynamoDbTransactionProxy {
    return this.need(this.servers.transactions, 'dynamodb');
  }

  get ssm(): LocalSsmServer {
    return this.need(this.servers.ssm, 'ssm');
  }

  get sqs(): LocalSqsServer {
    return this.need(this.servers.sqs, 'sqs');
  }

  /** Removes every injected fault from every server. */
  resetFaults(): void {
    this.servers.kinesis?.clear();
    this.servers.ssm?.faults.clear();
    this.servers.sqs?.faults.clear();
  }

  /** Closes the clients and stops every server; safe to call twice. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.clients.destroy();
    const { efo, kinesis, kinesalite, dynamodb, transactions, ssm, sqs } = this.servers;
    await efo?.close();
    await transactions?.close();
    await Promise.all([kinesis?.close(), dynamodb?.close(), ssm?.close(), sqs?.close()]);
    await kinesalite?.close();
  }

  private need<T>(server: T | undefined, service: ServiceName): T {
    if (!server) {
      throw new ConfigurationError(
        `The local ${service} server was not started; pass ${service}: true to startLocalAws.`,
        service,
      );
    }
    return server;
  }
}

/**
 * Starts the chosen local servers in this process, each on a free port, and returns them with a
 * client factory pointed at them. Call `stop()` when done (per test file: jest workers run in parallel,
 * and each gets its own ports).
 */
export async function startLocalAws(options: LocalAwsOptions = {}): Promise<LocalAws> {
  const clock = options.clock ?? systemClock;
  const region = options.region ?? 'us-east-1';
  const context: ServerContext = { clock, region };
  const started: { close(): Promise<void> }[] = [];
  const track = <T extends { close(): Promise<void> }>(server: T): T => {
    started.push(server);
    return server;
  };

  try {
    const [kinesalite, dynamodb, ssm, sqs] = await Promise.all([
      options.kinesis ? startKinesalite(optionsOf(options.kinesis)).then(track) : undefined,
      options.dynamodb ? startDynalite(optionsOf(options.dynamodb)).then(track) : undefined,
      options.ssm
        ? startJsonServer(new LocalSsmServer({ ...optionsOf(options.ssm), ...context }), track)
        : undefined,
      options.sqs
        ? startJsonServer(new LocalSqsServer({ ...optionsOf(options.sqs), ...context }), track)
        : undefined,
    ]);
    let kinesis: KinesisFaultProxy | undefined;
    let efo: KinesisEfoServer | undefined;
    if (kinesalite) {
      const kinesisOptions = optionsOf(options.kinesis);
      kinesis = track(
        new KinesisFaultProxy({
          target: kinesalite.endpoint,
          clock,
          ...(kinesisOptions.listShardsPageSize !== undefined
            ? { listShardsPageSize: kinesisOptions.listShardsPageSize }
            : {}),
          ...(kinesisOptions.random ? { random: kinesisOptions.random } : {}),
          ...(kinesisOptions.writeLimits
            ? { writeLimits: new ShardWriteLimits({ ...optionsOf(kinesisOptions.writeLimits), clock }) }
            : {}),
        }),
      );
      await kinesis.listen();
      if (kinesisOptions.enhancedFanOut) {
        const proxy = kinesis;
        efo = track(
          new KinesisEfoServer({
            ...optionsOf(kinesisOptions.enhancedFanOut),
            upstream: proxy.endpoint,
            clock,
            region,
          }),
        );
        proxy.onWrite(() => efo?.writes.notify());
        await efo.listen();
      }
    }
    let transactions: DynamoDbTransactionProxy | undefined;
    if (dynamodb && optionsOf(options.dynamodb).transactions) {
      transactions = track(new DynamoDbTransactionProxy(dynamodb.endpoint));
      await transactions.listen();
    }

    const endpoints: Partial<Record<ServiceName, string>> = {
      ...(kinesis ? { kinesis: (efo ?? kinesis).endpoint } : {}),
      ...(dynamodb ? { dynamodb: transactions?.endpoint ?? dynamodb.endpoint } : {}),
      ...(ssm ? { ssm: ssm.endpoint } : {}),
      ...(sqs ? { sqs: sqs.endpoint } : {}),
    };
    const awsSettings: AwsSettings = {
      region,
      endpoint: UNREACHABLE_ENDPOINT,
      endpoints,
      credentials: LOCAL_CREDENTIALS,
      ...(options.maxAttempts ? { maxAttempts: options.maxAttempts } : {}),
    };
    return new LocalAws(region, clock, endpoints, awsSettings, new AwsClientFactory(awsSettings), {
      ...(kinesalite ? { kinesalite } : {}),
      ...(kinesis ? { kinesis } : {}),
      ...(efo ? { efo } : {}),
      ...(dynamodb ? { dynamodb } : {}),
      ...(transactions ? { transactions } : {}),
      ...(ssm ? { ssm: ssm.server } : {}),
      ...(sqs ? { sqs: sqs.server } : {}),
    });
  } catch (error) {
    await Promise.allSettled(started.map((server) => server.close()));
    throw error;
  }
}

async function startJsonServer<S extends LocalServer>(
  server: S,
  track: (server: S) => S,
): Promise<{ server: S; endpoint: string }> {
  const endpoint = await track(server).listen(0);
  return { server, endpoint };
}

function optionsOf<T extends object>(option: boolean | T | undefined): Partial<T> {
  return typeof option === 'object' ? option : {};
}
