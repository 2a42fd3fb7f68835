import { AggregatorRegistry } from 'prom-client';
import type { Config } from '../settings/schema.js';
import { createGateway, type GatewayOptions } from '../gateway/gateway.js';
import { createLogger } from '../telemetry/logger.js';
import { onShutdownSignals } from '../lifecycle/signals.js';
import { createIpcBus } from './ipc-bus.js';
import { ipcLinkResolver } from './ipc-links.js';
import { PrimaryChannel } from './primary-channel.js';
import { straySpoolDirs } from '../spool/strays.js';
import { workerConfig, workerIndex, workerTotal } from './worker-config.js';
import { ipcLeaseCoordinator } from './ipc-leases.js';

/**
 * `gatehouse serve` in a worker process: a gateway on the shared listening ports with its own spool. In the
 * embedded mode it stores nothing itself: its bus and short links go to the primary over IPC. With NATS it is a
 * full gateway. It stops gracefully when the primary asks, on SIGTERM/SIGINT, or when the primary is gone.
 */
export async function serveWorker(config: Readonly<Config>, version: string, configHash?: string): Promise<number> {
  const index = workerIndex();
  const count = workerTotal();
  const logger = createLogger(config.log.level).child({ worker: index });
  const channel = new PrimaryChannel();
  const primary: GatewayOptions['primary'] =
    config.bus.kind === 'memory' ? { bus: createIpcBus(channel), links: ipcLinkResolver(channel) } : undefined;
  // Worker 0 forwards what spools of slots this run does not have (or of a single-process run) still hold.
  const strays = index === 0 ? await straySpoolDirs(config.spool.dir, count) : [];
  // Always there with several workers: a reload may turn the memory store's limits on, and they are shared.
  const rateLimitLeases = count > 1 ? ipcLeaseCoordinator(channel, count) : undefined;
  const gateway = await createGateway(workerConfig(config, index), {
    logger,
    version,
    strays,
    ...(configHash ? { configHash } : {}),
    ...(primary ? { primary } : {}),
    ...(rateLimitLeases ? { rateLimitLeases } : {}),
  });
  // The primary aggregates this registry with every other worker's (AggregatorRegistry.aggregate).
  AggregatorRegistry.setRegistries([gateway.telemetry.registry]);

  const stop = () =>
    gateway.shutdown().then(
      () => process.exit(0),
      (err: unknown) => {
        logger.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  channel.on((message) => {
    if (message.gh === 'shutdown') void stop();
    else if (message.gh === 'reload') {
      // Validated by the primary; this worker's view of it (its own spool, no admin listener), as at start.
      gateway.reload({ config: workerConfig(message.config, index), hash: message.hash }).then(
        () => channel.notify({ gh: 'reloaded', id: message.id }),
        (err: Error) => channel.notify({ gh: 'reloaded', id: message.id, error: err.message }),
      );
    }
    else if (message.gh === 'metrics') {
      gateway.telemetry.registry.getMetricsAsJSON().then(
        (metrics) => channel.notify({ gh: 'metrics', id: message.id, metrics }),
        (err: Error) => channel.notify({ gh: 'metrics', id: message.id, error: err.message }),
      );
    }
  });
  // Without the primary nothing can be forwarded: stop taking events; the spool keeps what is not yet stored.
  const primaryGone = () => {
    logger.warn({ event: 'primaryGone' }, 'the primary closed the channel; shutting down');
    void stop();
  };
  process.once('disconnect', primaryGone);
  // The primary may have gone while this worker was still being built (the event came before the listener).
  if (!process.connected) primaryGone();
  onShutdownSignals(logger, () => gateway.shutdown());
  // A reload goes through the primary, which sends it to every worker; a SIGHUP sent to one worker alone (a
  // terminal's process group) must not end it, which is what Node does by default.
  process.on('SIGHUP', () => logger.warn({ event: 'signal', signal: 'SIGHUP' }, 'ignored by a worker: send SIGHUP to the primary to reload'));

  try {
    const addresses = await gateway.start();
    channel.notify({ gh: 'ready', main: addresses.main, ...(addresses.https ? { https: addresses.https } : {}) });
  } catch (err) {
    logger.fatal({ err }, 'could not start');
    await gateway.shutdown().catch(() => undefined);
    // The open IPC channel would keep this process alive; the primary sees the exit code.
    process.exit(1);
  }
  return new Promise<number>(() => undefined); // runs until the primary or a signal ends the process
}
