import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';

/**
 * Closes a listener: no new connections, in-flight requests finish. At the deadline the remaining
 * connections are cut, so a stuck client cannot hold the process forever.
 */
export async function closeWithin(app: FastifyInstance, deadline: number, logger: Logger): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const cut = new Promise<void>((resolve) => {
    timer = setTimeout(() => {
      logger.warn({ event: 'shutdownDeadline' }, 'in-flight requests did not finish in time; closing connections');
      app.server.closeAllConnections();
      resolve();
    }, Math.max(0, deadline - Date.now()));
  });
  await Promise.race([app.close(), cut]);
  clearTimeout(timer);
}
