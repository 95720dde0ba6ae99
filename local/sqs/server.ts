import { systemClock, type Clock, type Random } from '../../functions/core/time/clock';
import type { FaultSwitch } from '../shared/faults';
import { JsonServiceServer } from '../shared/json-server';
import { SQS_LIMITS } from './limits';
import type { MessageCounts } from './queue';
import { SqsService } from './service';

export interface LocalSqsServerOptions {
  /**
   * Time for visibility timeouts, delays, retention, deduplication, SentTimestamp and long polls.
   * @default systemClock
   */
  readonly clock?: Clock;
  /** Region in queue ARNs. @default 'us-east-1' */
  readonly region?: string;
  /**
   * In-flight messages a standard queue allows before ReceiveMessage fails with OverLimit; tests lower it
   * to reach the limit without 120,000 messages.
   * @default 120000
   */
  readonly maxInflightMessages?: number;
  /** Random source for the fault switch's fail fraction. @default Math.random */
  readonly random?: Random;
}

/**
 * A local Amazon SQS speaking the AWS JSON 1.0 protocol (as SDK v3 does) for the operations this project
 * uses, with SQS's semantics, limits and error names; state is in memory.
 *
 * ```ts
 * const sqs = new LocalSqsServer({ clock: new FakeClock() });
 * const endpoint = await sqs.listen();
 * ```
 */
export class LocalSqsServer {
  /** Throttle (RequestThrottled), fail (InternalFailure) or slow down calls. */
  readonly faults: FaultSwitch;
  private readonly service: SqsService;
  private readonly http: JsonServiceServer;

  constructor(options: LocalSqsServerOptions = {}) {
    this.service = new SqsService({
      clock: options.clock ?? systemClock,
      region: options.region ?? 'us-east-1',
      endpoint: () => this.http.endpoint,
      maxInflightMessages: options.maxInflightMessages ?? SQS_LIMITS.maxInflightStandard,
    });
    this.http = new JsonServiceServer({
      targetPrefix: 'AmazonSQS',
      contentType: 'application/x-amz-json-1.0',
      operations: this.service.operations,
      throttlingCode: 'RequestThrottled',
      throttlingStatus: 403,
      errorNamespace: 'com.amazonaws.sqs',
      queryCompatible: true,
      random: options.random,
    });
    this.faults = this.http.faults;
  }

  /** Starts listening on 127.0.0.1 (port 0 picks a free port) and returns the endpoint URL. */
  listen(port = 0): Promise<string> {
    return this.http.listen(port);
  }

  get endpoint(): string {
    return this.http.endpoint;
  }

  /** Ends pending long polls and stops the server. */
  async close(): Promise<void> {
    this.service.reset();
    await this.http.close();
  }

  /** Names of the existing queues, sorted. */
  queueNames(): string[] {
    return this.service.queueNames();
  }

  /** Visible, in-flight and delayed messages of a queue, counted exactly. */
  messageCounts(queueName: string): MessageCounts {
    return this.queue(queueName).counts();
  }

  /** How many ReceiveMessage calls are long-polling the queue now. */
  pollerCount(queueName: string): number {
    return this.queue(queueName).pollerCount;
  }

  /**
   * Resolves once at least `count` ReceiveMessage calls are long-polling the queue, so a test can send
   * or advance its FakeClock knowing the poll is waiting.
   */
  whenPolling(queueName: string, count = 1): Promise<void> {
    return this.queue(queueName).whenPollers((n) => n >= count);
  }

  /** Resolves once exactly `count` ReceiveMessage calls are long-polling the queue (0: all have ended). */
  whenPollerCount(queueName: string, count: number): Promise<void> {
    return this.queue(queueName).whenPollers((n) => n === count);
  }

  /** Deletes every queue at once, without the 60-second wait before a name can be reused. */
  reset(): void {
    this.service.reset();
  }

  private queue(name: string) {
    const queue = this.service.queue(name);
    if (!queue)
      throw new Error(
        `Queue ${name} does not exist on this server; it has: ${this.queueNames().join(', ') || 'none'}.`,
      );
    return queue;
  }
}
