import type { Logger } from 'pino';

/**
 * SIGHUP reloads the config, as nginx and Caddy do. The outcome is logged and counted by the reload itself
 * (`configReloaded`, `configReloadFailed`); a failed reload leaves the running config in place.
 */
export function onReloadSignal(logger: Logger, reload: () => Promise<unknown>): void {
  process.on('SIGHUP', () => {
    logger.info({ event: 'signal', signal: 'SIGHUP' }, 'config reload requested');
    reload().catch(() => undefined);
  });
}
