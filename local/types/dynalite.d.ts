// dynalite ships no types; these cover what local/dynamodb uses.
declare module 'dynalite' {
  import type { Server } from 'node:http';

  interface DynaliteOptions {
    /** Milliseconds a table stays CREATING. @default 500 */
    createTableMs?: number;
    /** Milliseconds a table stays DELETING. @default 500 */
    deleteTableMs?: number;
    /** Milliseconds a table stays UPDATING. @default 500 */
    updateTableMs?: number;
    /** @default 400 */
    maxItemSizeKb?: number;
    /** A LevelDB directory; in memory when absent. */
    path?: string;
    ssl?: boolean;
    verbose?: boolean;
    debug?: boolean;
  }

  /** Makes (but does not start) an HTTP server; its `close` also closes the store. */
  function dynalite(options?: DynaliteOptions): Server;
  export = dynalite;
}
