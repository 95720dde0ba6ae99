import type { Server } from 'node:http';
import kinesalite from 'kinesalite';
import { closeServer, listenOnLoopback } from '../shared/node-server';

export interface KinesaliteOptions {
  /**
   * Milliseconds a stream stays CREATING (also DELETING and UPDATING). Kinesalite's own default is
   * 500; tests want it immediate.
   * @default 0
   */
  readonly streamTransitionMillis?: number;
  /** Open shards allowed across all streams, as the account's shard quota. @default 1000 */
  readonly shardLimit?: number;
}

/** Kinesalite running in this process. */
export interface KinesaliteServer {
  readonly endpoint: string;
  close(): Promise<void>;
}

/** Starts kinesalite in this process, in memory, on 127.0.0.1 (port 0 picks a free port). */
export async function startKinesalite(options: KinesaliteOptions = {}, port = 0): Promise<KinesaliteServer> {
  const transition = options.streamTransitionMillis ?? 0;
  const server: Server = kinesalite({
    createStreamMs: transition,
    deleteStreamMs: transition,
    updateStreamMs: transition,
    shardLimit: options.shardLimit ?? 1000,
  });
  const endpoint = await listenOnLoopback(server, port);
  return { endpoint, close: () => closeServer(server) };
}
