import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** Listens and resolves with the URL of the bound address (port 0 resolved). */
export function listen(server: Server, host: string, port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      const a = server.address() as AddressInfo;
      resolve(`http://${a.family === 'IPv6' ? `[${a.address}]` : a.address}:${a.port}`);
    });
  });
}

/**
 * Stops accepting, closes idle keep-alive connections, and cuts the rest at the deadline. Resolves when the server
 * has closed, or at the deadline: a TLS socket still in its handshake is not a connection Node can cut, and must
 * not hold a shutdown.
 */
export async function closeServer(server: Server, deadline: number): Promise<void> {
  if (!server.listening) return;
  let timer: NodeJS.Timeout | undefined;
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  const cut = new Promise<void>((resolve) => {
    timer = setTimeout(() => {
      server.closeAllConnections();
      resolve();
    }, Math.max(0, deadline - Date.now()));
  });
  server.closeIdleConnections();
  await Promise.race([closed, cut]);
  clearTimeout(timer);
}
