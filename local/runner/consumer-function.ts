import { fork, type ChildProcess } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import * as path from 'node:path';
import { randomUUID } from 'node:crypto';
import { ALLOCATOR_ENVIRONMENT } from '../../functions/core/allocator-environment';
import { ENV_PREFIX, envVarName } from '../../functions/core/config';
import { CONSUMER_DEFAULTS, CONSUMER_SETTINGS } from '../../functions/core/config/consumer-settings';
import { LOCAL_FUNCTION_MEMORY_MB, lambdaProcessEnvironment, lambdaRuntimeNodeFlags } from './lambda-runtime';
import {
  WORKER_SETTINGS_VARIABLE,
  type ConsumerEvent,
  type DeliveredBatch,
  type FromWorker,
  type InvocationReport,
  type ToWorker,
  type WorkerSettings,
} from './consumer-protocol';

const ROOT = path.join(__dirname, '..', '..');
// The worker beside this file: TypeScript run through tsx from the sources, JavaScript once built.
const WORKER = path.join(__dirname, `consumer-worker${path.extname(__filename)}`);
// Started as Lambda's Node.js runtime starts a function of the modelled memory size (its V8 heap limits).
const WORKER_EXEC_ARGV = [
  ...(WORKER.endsWith('.ts') ? ['--import', 'tsx'] : []),
  ...lambdaRuntimeNodeFlags(LOCAL_FUNCTION_MEMORY_MB),
];
// IPC and timer slack before an invocation past its timeout counts as timed out.
const TIMEOUT_SLACK_MILLIS = 500;
// A cold start (node, tsx, the SDK, the handler module) that takes longer than this is a failure.
const INIT_TIMEOUT_MILLIS = 60_000;

export interface ConsumerFunctionOptions {
  /** The function's environment: its `SKC_*` settings and deployment variables. */
  readonly environment: Readonly<Record<string, string>>;
  readonly settings: WorkerSettings;
  readonly functionTimeoutMillis: number;
  /** Where the worker's stdout and stderr (the consumer's logs) are appended. */
  readonly logFile: string;
  /** Every batch the processor received, in the order the worker reported them. */
  readonly onBatch: (batch: DeliveredBatch) => void;
  /** Each time a new sandbox is ready, with its cold start time (fork to ready). */
  readonly onColdStart?: (millis: number) => void;
}

/** How an invocation ended when the sandbox did not return a result. */
export interface LostInvocation {
  /** `stopped`: still running when the run ended the sandbox. */
  readonly status: 'timed-out' | 'crashed' | 'stopped';
  readonly subtaskIndex: number;
}

export interface ConsumerFunctionStats {
  coldStarts: number;
  /** Fork to ready, per cold start. */
  coldStartMillis: number[];
  invocations: number;
  completed: number;
  skipped: number;
  failed: number;
  timedOut: number;
  crashed: number;
  /** Still running when the run ended. */
  stopped: number;
  checkpointWrites: number;
}

interface Sandbox {
  readonly child: ChildProcess;
  readonly ready: Promise<void>;
  readonly pending: Map<
    number,
    { readonly subtaskIndex: number; settle(result: InvocationReport | LostInvocation): void }
  >;
  killedFor?: 'crash' | 'timeout' | 'stop';
}

/**
 * The consumer function on this machine: one worker process (its sandbox) that runs invocations
 * concurrently, started on the first invocation after none is alive, as Lambda starts a sandbox on
 * demand. An invocation still running at its timeout ends the sandbox, as Lambda ends it.
 * `crashInNextBatch` kills the sandbox inside a batch, before that batch is checkpointed.
 */
export class ConsumerFunction {
  readonly stats: ConsumerFunctionStats = {
    coldStarts: 0,
    coldStartMillis: [],
    invocations: 0,
    completed: 0,
    skipped: 0,
    failed: 0,
    timedOut: 0,
    crashed: 0,
    stopped: 0,
    checkpointWrites: 0,
  };
  private sandbox: Sandbox | undefined;
  private nextId = 0;
  private stopped = false;
  private crash: { resolve: (batch: DeliveredBatch) => void } | undefined;

  constructor(private readonly options: ConsumerFunctionOptions) {}

  /** Starts a sandbox now, so the first invocation does not wait for it. */
  async warm(): Promise<void> {
    await this.live().ready;
  }

  /** One invocation with the schedule's event; resolves when it returns, times out or dies with its sandbox. */
  async invoke(event: ConsumerEvent): Promise<InvocationReport | LostInvocation> {
    if (this.stopped) throw new Error('The consumer function is stopped.');
    const sandbox = this.live();
    await sandbox.ready;
    const id = this.nextId++;
    this.stats.invocations++;
    const deadline = Date.now() + this.options.functionTimeoutMillis;
    const result = await new Promise<InvocationReport | LostInvocation>((resolve) => {
      const timer = setTimeout(() => {
        if (!sandbox.pending.has(id)) return;
        this.kill(sandbox, 'timeout');
      }, this.options.functionTimeoutMillis + TIMEOUT_SLACK_MILLIS);
      sandbox.pending.set(id, {
        subtaskIndex: event.subtaskIndex,
        settle: (value) => {
          clearTimeout(timer);
          resolve(value);
        },
      });
      const message: ToWorker = { type: 'invoke', id, event, deadline, requestId: randomUUID() };
      sandbox.child.send(message);
    });
    this.count(result);
    return result;
  }

  /**
   * Makes the processor hang inside its next batch and kills the sandbox there; resolves with that
   * batch (already handled by the processor, never checkpointed) once the process is gone.
   */
  crashInNextBatch(): Promise<DeliveredBatch> {
    const sandbox = this.live();
    return new Promise((resolve) => {
      this.crash = { resolve };
      void sandbox.ready.then(() => sandbox.child.send({ type: 'crash-in-next-batch' } satisfies ToWorker));
    });
  }

  /** Ends the sandbox; invocations in flight are lost. */
  async stop(): Promise<void> {
    this.stopped = true;
    const sandbox = this.sandbox;
    if (!sandbox) return;
    const exited = new Promise<void>((resolve) => {
      if (sandbox.child.exitCode !== null || sandbox.child.signalCode !== null) resolve();
      else sandbox.child.once('exit', () => resolve());
    });
    this.kill(sandbox, 'stop');
    await exited;
  }

  private count(result: InvocationReport | LostInvocation): void {
    switch (result.status) {
      case 'completed':
        this.stats.completed++;
        break;
      case 'skipped':
        this.stats.skipped++;
        break;
      case 'failed':
        this.stats.failed++;
        break;
      case 'timed-out':
        this.stats.timedOut++;
        break;
      case 'crashed':
        this.stats.crashed++;
        break;
      case 'stopped':
        this.stats.stopped++;
        break;
    }
    if ('checkpointWrites' in result) this.stats.checkpointWrites += result.checkpointWrites;
  }

  private live(): Sandbox {
    if (this.sandbox && this.sandbox.child.exitCode === null && !this.sandbox.killedFor) return this.sandbox;
    this.sandbox = this.spawn();
    return this.sandbox;
  }

  /** The function's name, as the worker's Lambda context gives it: the consumer's name. */
  private functionName(): string {
    return (
      this.options.environment[envVarName(CONSUMER_SETTINGS.consumerName.key)] ??
      CONSUMER_DEFAULTS.consumerName
    );
  }

  private spawn(): Sandbox {
    const started = Date.now();
    const log = openSync(this.options.logFile, 'a');
    let child: ChildProcess;
    try {
      child = fork(WORKER, [], {
        cwd: ROOT,
        execArgv: WORKER_EXEC_ARGV,
        env: {
          ...inheritedEnvironment(),
          // As Lambda and the constructs set them on the deployed function.
          ...lambdaProcessEnvironment(this.functionName(), LOCAL_FUNCTION_MEMORY_MB),
          ...ALLOCATOR_ENVIRONMENT,
          ...this.options.environment,
          [WORKER_SETTINGS_VARIABLE]: JSON.stringify(this.options.settings),
        },
        stdio: ['ignore', log, log, 'ipc'],
      });
    } finally {
      closeSync(log);
    }
    this.stats.coldStarts++;
    let markReady: () => void = () => undefined;
    let failReady: (error: Error) => void = () => undefined;
    const ready = new Promise<void>((resolve, reject) => {
      markReady = resolve;
      failReady = reject;
    });
    // A rejection is seen by whoever awaits `ready`; none must go unhandled when nobody does.
    ready.catch(() => undefined);
    const sandbox: Sandbox = { child, ready, pending: new Map() };
    const timer = setTimeout(() => {
      failReady(new Error(`The consumer function did not start within ${INIT_TIMEOUT_MILLIS} ms.`));
      this.kill(sandbox, 'stop');
    }, INIT_TIMEOUT_MILLIS);
    child.on('message', (message: FromWorker) => {
      if (message.type !== 'ready') {
        this.receive(sandbox, message);
        return;
      }
      clearTimeout(timer);
      const millis = Date.now() - started;
      this.stats.coldStartMillis.push(millis);
      this.options.onColdStart?.(millis);
      markReady();
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      failReady(
        new Error(
          `The consumer function exited (code ${String(code)}, signal ${String(signal)}) before it was ready; ` +
            `see ${this.options.logFile}.`,
        ),
      );
      const status =
        sandbox.killedFor === 'timeout' ? 'timed-out' : sandbox.killedFor === 'stop' ? 'stopped' : 'crashed';
      for (const { subtaskIndex, settle } of sandbox.pending.values()) settle({ status, subtaskIndex });
      sandbox.pending.clear();
    });
    return sandbox;
  }

  private receive(sandbox: Sandbox, message: FromWorker): void {
    switch (message.type) {
      case 'batch':
        this.options.onBatch(message.batch);
        return;
      case 'crash-point': {
        this.options.onBatch(message.batch);
        const crash = this.crash;
        this.crash = undefined;
        sandbox.child.once('exit', () => crash?.resolve(message.batch));
        this.kill(sandbox, 'crash');
        return;
      }
      case 'result': {
        const invocation = sandbox.pending.get(message.id);
        sandbox.pending.delete(message.id);
        invocation?.settle(message.report);
        return;
      }
      case 'ready':
        return;
    }
  }

  private kill(sandbox: Sandbox, reason: NonNullable<Sandbox['killedFor']>): void {
    sandbox.killedFor ??= reason;
    if (sandbox.child.exitCode === null && sandbox.child.signalCode === null) sandbox.child.kill('SIGKILL');
  }
}

/** This process's environment without anything the function's own environment must decide. */
function inheritedEnvironment(): NodeJS.ProcessEnv {
  return Object.fromEntries(
    Object.entries(process.env).filter(
      ([name]) =>
        !name.startsWith(ENV_PREFIX) &&
        // The SDK's own switches (AWS_SDK_JS_*) pass; credentials, region and profile do not.
        (!name.startsWith('AWS_') || name.startsWith('AWS_SDK_JS_')),
    ),
  );
}
