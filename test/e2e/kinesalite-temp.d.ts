// MERGE: delete once local/types/kinesalite.d.ts is on this branch.
declare module 'kinesalite' {
  import type { Server } from 'node:http';
  function kinesalite(options?: Record<string, unknown>): Server;
  export = kinesalite;
}
