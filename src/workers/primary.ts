import cluster, { type Worker } from 'node:cluster';
import type { Config } from '../settings/schema.js';
import { clusterUpstreams } from '../proxy/index.js';
import { createBus, embeddedDeadLetterPath } from '../bus/index.js';
import { createConsumer } from '../consumer/consumer.js';
import { createDestinations } from '../destinations/index.js';
import type { Stores } from '../gateway/stores.js';
import { adminListener, ownedStores, retentionJob } from '../gateway/store-services.js';
import { createLinkResolver } from '../track/links/link-resolver.js';
import { createLogger } from '../telemetry/logger.js';
import { onShutdownSignals } from '../lifecycle/signals.js';
import { onReloadSignal } from '../lifecycle/reload-signal.js';
import { configHashOf } from '../settings/load.js';
import { createReloader, loadForReload } from '../gateway/reload/config-reload.js';
import { ConfigReloadFailedError } from '../gateway/reload/reload-errors.js';
import { reloadWorkers } from './reload-workers.js';
import { isProtocolMessage, type WorkerMessage } from './messages.js';
import { ClusterTelemetry } from './cluster-telemetry.js';
import { workerEvents } from './events.js';
import { announcingResolver, primaryServices } from './primary-services.js';
import { Supervisor } from './supervisor.js';
import { LeaseLedger } from '../ratelimit/index.js';

/** Time a worker gets beyond `server.shutdownTimeout` to flush its spool before it is killed. */
const SPOOL_FLUSH_GRACE_MS = 10_000;

/**
 * `gatehouse serve` with `server.workers` > 1: this process forks the workers (which share the listening ports)
 * and serves the admin listener with the metrics of all. In the embedded mode it also owns what only one process
 * may open: the in-process bus, the consumer and the DuckDB store; workers publish to it over IPC.
 */
export async function servePrimary(config: Readonly<Config>, version: string, count: number, origin?: { file: string; hash: string }): Promise<number> {
  const logger = createLogger(config.log.level).child({ role: 'primary' });
  // Closures below reach the supervisor, built once the services it answers with exist.
  const telemetry = new ClusterTelemetry(logger, (): Promise<unknown[][]> => supervisor.collectMetrics());
  const embedded = config.bus.kind === 'memory';
  const bus = embedded ? createBus({ config: config.bus, telemetry, deadLetterPath: embeddedDeadLetterPath(config.spool.dir) }) : undefined;
  // As in a single process: with NATS, short links live in Cassandra when it is configured.
  const stores: Stores = await ownedStores(config, telemetry, embedded);
  // Destinations are fed by the store consumer after its sinks, as in a single process.
  const destinations = bus ? createDestinations({ config, bus, telemetry }) : undefined;
  const consumerSinks = destinations?.sink ? [...stores.sinks, destinations.sink] : stores.sinks;
  const consumer = bus ? createConsumer({ config: config.consumer, bus, sinks: consumerSinks, telemetry, maxMessageBytes: config.spool.maxEventSize }) : undefined;
  const announce = (slug: string) => supervisor.broadcast({ gh: 'linkChanged', slug });
  const links = stores.links ? announcingResolver(createLinkResolver(stores.links), announce) : undefined;
  // Memory-store limits count here, leased to the workers, so a client's limit holds whatever worker it reaches.
  // There with any store: a reload may turn the memory store's limits on (the workers use it only for those).
  const leases = new LeaseLedger(config.rateLimit, count, (slot, request) => supervisor.reclaim(slot, request));
  const services = primaryServices({ ...(bus ? { bus } : {}), ...(consumer ? { consumer } : {}), ...(links ? { links } : {}), leases });
  const supervisor: Supervisor = new Supervisor({ count, logger, events: workerEvents(telemetry), handle: (call, slot) => services.handle(call, slot) });
  const retention = retentionJob(config, stores, telemetry, logger);
  const upstreams = async () => clusterUpstreams(await supervisor.collectMetrics());
  // A reload is validated here once, then applied by every serving worker; this process only keeps its log level.
  let running = config;
  const reloader = createReloader(telemetry, origin?.hash ?? configHashOf(config), {
    load: () => {
      if (!origin) throw new ConfigReloadFailedError('this server was not started from a config file: there is nothing to read again');
      return loadForReload(origin.file);
    },
    current: () => running,
    apply: async (next) => {
      const workers = await reloadWorkers(supervisor.readyWorkers(), next);
      running = next.config;
      leases.reconfigure(next.config.rateLimit);
      logger.level = next.config.log.level;
      return workers;
    },
  });
  const reload = () => reloader.reload();
  // A worker restarted after a reload has read config.json itself, which may have been edited since: once it
  // serves, it is sent the running config (a no-op when the file still holds it). Between reloads, never during one.
  let serving = false;
  cluster.on('message', (worker: Worker, message: unknown) => {
    if (!serving || !isProtocolMessage(message) || (message as WorkerMessage).gh !== 'ready') return;
    reloader
      .exclusive(() => reloadWorkers([{ index: worker.id, worker }], { config: running, hash: reloader.hash }))
      .catch((err: Error) => logger.warn({ event: 'workerConfigSyncFailed', pid: worker.process.pid, error: err.message }, 'a restarted worker could not take the running config'));
  });
  const admin = await adminListener(config, {
    logger,
    telemetry,
    stores,
    upstreams,
    reload,
    ...(links ? { links } : {}),
    ...(embedded ? { live: services.live } : {}),
  });

  let stopping: Promise<void> | undefined;
  const shutdown = () =>
    (stopping ??= (async () => {
      logger.info({ event: 'shutdownStarted', workers: count }, 'shutting down');
      // Workers first: they finish their requests and flush their spools through this process's bus.
      await supervisor.stop(config.server.shutdownTimeout + SPOOL_FLUSH_GRACE_MS);
      if (admin) await admin.close().catch(() => undefined);
      retention?.stop();
      await consumer?.close();
      await destinations?.close();
      await bus?.close();
      for (const sink of stores.sinks) await sink.close();
      logger.info({ event: 'shutdownFinished' }, 'stopped');
    })());
  onShutdownSignals(logger, shutdown);
  onReloadSignal(logger, reload);

  try {
    for (const sink of stores.sinks) await sink.start();
    await bus?.start();
    await destinations?.start();
    await consumer?.start();
    await retention?.start();
    const adminAddress = admin ? await admin.listen({ host: config.admin.listen.host, port: config.admin.listen.port }) : undefined;
    const addresses = await supervisor.start();
    serving = true;
    logger.info(
      { event: 'started', ...addresses, admin: adminAddress, workers: count, pids: supervisor.pids(), bus: config.bus.kind, version },
      'gatehouse is serving',
    );
  } catch (err) {
    logger.fatal({ err }, 'could not start');
    await shutdown().catch(() => undefined);
    return 1;
  }
  return new Promise<number>(() => undefined); // runs until a signal ends the process
}
