import type { Server } from 'node:http';
import dynalite from 'dynalite';
import { closeServer, listenOnLoopback } from '../shared/node-server';

export interface DynaliteOptions {
  /**
   * Milliseconds a table stays CREATING (also DELETING and UPDATING). Dynalite's own default is
   * 500; tests want it immediate.
   * @default 0
   */
  readonly tableTransitionMillis?: number;
}

/** Dynalite running in this process. */
export interface DynaliteServer {
  readonly endpoint: string;
  close(): Promise<void>;
}

/** Starts dynalite in this process, in memory, on 127.0.0.1 (port 0 picks a free port). */
export async function startDynalite(options: DynaliteOptions = {}, port = 0): Promise<DynaliteServer> {
  const transition = options.tableTransitionMillis ?? 0;
  const server: Server = dynalite({
    createTableMs: transition,
    deleteTableMs: transition,
    updateTableMs: transition,
  });
  const endpoint = await listenOnLoopback(server, port);
  return { endpoint, close: () => closeServer(server) };
}
