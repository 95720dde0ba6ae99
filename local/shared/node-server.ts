import type { Server } from 'node:http';
import type { AddressInfo, Server as NetServer } from 'node:net';

/** Starts `server` on 127.0.0.1 (port 0 picks a free port) and returns its endpoint URL. */
export async function listenOnLoopback(server: NetServer, port = 0): Promise<string> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  return endpointOf(server);
}

/** The endpoint URL of a listening server. */
export function endpointOf(server: NetServer): string {
  const address = server.address() as AddressInfo | string | null;
  if (!address || typeof address === 'string') {
    throw new Error('The server is not listening on a TCP port; call listen() first.');
  }
  return `http://127.0.0.1:${address.port}`;
}

/**
 * Stops `server`, dropping idle keep-alive connections first: the SDK clients keep sockets open,
 * and `close` alone would wait for them to time out.
 */
export async function closeServer(server: Server): Promise<void> {
  if (!server.listening) return;
  server.closeAllConnections();
  await new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve())));
}
