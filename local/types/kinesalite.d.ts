// kinesalite ships no types; these cover what local/kinesis uses.
declare module 'kinesalite' {
  import type { Server } from 'node:http';

  interface KinesaliteOptions {
    /** Milliseconds a stream stays CREATING. @default 500 */
    createStreamMs?: number;
    /** Milliseconds a stream stays DELETING. @default 500 */
    deleteStreamMs?: number;
    /** Milliseconds a stream stays UPDATING. @default 500 */
    updateStreamMs?: number;
    /** Open shards allowed across all streams. @default 10 */
    shardLimit?: number;
    /** A LevelDB directory; in memory when absent. */
    path?: string;
    ssl?: boolean;
  }

  /** Makes (but does not start) an HTTP server; its `close` also closes the store. */
  function kinesalite(options?: KinesaliteOptions): Server;
  export = kinesalite;
}

declare module 'kinesalite/db' {
  /** The AES-256-CBC key and IV kinesalite encrypts its shard iterators with. */
  export const ITERATOR_PWD_KEY: Buffer;
  export const ITERATOR_PWD_IV: Buffer;
}
