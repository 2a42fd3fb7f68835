import type { Logger } from 'pino';

/** How often a gateway started by an npm script checks that its parent is still there. */
const PARENT_CHECK_MS = 1_000;

/**
 * First SIGTERM/SIGINT: graceful shutdown, then exit 0 (1 if shutdown failed). A second signal exits at once:
 * an operator pressing Ctrl-C twice means it.
 *
 * Started by an npm script (`npm start`: npm, then a shell, then this process), the process also shuts down
 * gracefully once its parent is gone. npm exits on a SIGTERM sent to it alone without passing it on, and its
 * shell goes with it; without this check the gateway would keep running, holding its ports and the DuckDB file.
 */
export function onShutdownSignals(logger: Logger, shutdown: () => Promise<void>, env: NodeJS.ProcessEnv = process.env): void {
  let stopping = false;
  const stop = (fields: Record<string, unknown>, message: string) => {
    stopping = true;
    logger.info(fields, message);
    shutdown().then(
      () => process.exit(0),
      (err: unknown) => {
        logger.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  const handler = (signal: NodeJS.Signals) => {
    if (stopping) {
      logger.warn({ event: 'forcedExit', signal }, 'second signal: exiting now');
      process.exit(130);
    }
    stop({ event: 'signal', signal }, 'shutdown requested');
  };
  process.on('SIGTERM', handler);
  process.on('SIGINT', handler);

  if (!env.npm_lifecycle_event) return;
  const parent = process.ppid;
  const timer = setInterval(() => {
    if (process.ppid === parent) return;
    clearInterval(timer);
    if (!stopping) stop({ event: 'parentExited', parent }, 'the npm script that started the gateway is gone: shutting down');
  }, PARENT_CHECK_MS);
  timer.unref();
}
