import type { Logger } from 'pino';

/**
 * First SIGTERM/SIGINT: graceful shutdown, then exit 0 (1 if shutdown failed). A second signal exits at once:
 * an operator pressing Ctrl-C twice means it.
 */
export function onShutdownSignals(logger: Logger, shutdown: () => Promise<void>): void {
  let signalled = false;
  const handler = (signal: NodeJS.Signals) => {
    if (signalled) {
      logger.warn({ event: 'forcedExit', signal }, 'second signal: exiting now');
      process.exit(130);
    }
    signalled = true;
    logger.info({ event: 'signal', signal }, 'shutdown requested');
    shutdown().then(
      () => process.exit(0),
      (err: unknown) => {
        logger.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', handler);
  process.on('SIGINT', handler);
}
