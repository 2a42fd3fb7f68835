import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { Config } from '../settings/schema.js';
import { configHashOf, type LoadedConfig } from '../settings/load.js';
import { Telemetry } from '../telemetry/telemetry.js';
import { Readiness, type Check } from '../server/readiness.js';
import { createSpool } from '../spool/index.js';
import { drainStraySpools, type StrayDrain } from '../spool/strays.js';
import { createConsumer, type Consumer } from '../consumer/consumer.js';
import { createEventPipeline, type EventPipeline } from '../track/pipeline.js';
import { createLinkResolver, type LinkResolver } from '../track/links/link-resolver.js';
import { createBus, embeddedDeadLetterPath, type Bus } from '../bus/index.js';
import type { Stores } from './stores.js';
import { adminListener, ownedStores, retentionJob } from './store-services.js';
import { down, up } from '../lifecycle/health.js';
import { createCertificateManager, tlsServerOptions, type CertificateManager } from '../tls/index.js';
import { plainListener } from '../server/plain-listener.js';
import { limitConnections } from '../server/connection-limit.js';
import { AppSwitch } from '../server/app-switch.js';
import { listen, closeServer } from './listen.js';
import { startBusInBackground, type BusStarter } from '../bus/bus-starter.js';
import { createDestinations } from '../destinations/index.js';
import { UpstreamDirectory } from '../proxy/index.js';
import { RateLimitState, type LeaseCoordinator } from '../ratelimit/index.js';
import { buildEdgeApp, type EdgeDeps } from './edge-app.js';
import { mainListener } from './main-listener.js';
import { createReloader, loadForReload, type ReloadOutcome } from './reload/config-reload.js';
import { ConfigReloadFailedError } from './reload/reload-errors.js';
import { applyEdgeConfig, type LiveEdge } from './reload/apply-edge.js';
import { createTracing, traceExportFailed } from '../telemetry/tracing/index.js';

export interface Gateway {
  /** Starts every component, then the listeners; resolves with their addresses. */
  start(): Promise<{ main: string; https?: string; admin?: string }>;
  /** Graceful: not ready → stop accepting → finish in-flight requests → flush the spool → close. */
  shutdown(): Promise<void>;
  readonly telemetry: Telemetry;
  readonly readiness: Readiness;
  readonly pipeline: EventPipeline;
  readonly stores: Stores;
  /** The app of the running config (a reload replaces it; the listener stays). */
  readonly main: FastifyInstance;
  readonly admin?: FastifyInstance;
  /**
   * Applies a new config without closing the listeners: `next` when given (a worker gets it from the primary),
   * else config.json read again (`configFile`). Rejects, changing nothing, with ConfigError (invalid),
   * ConfigRefusedError (keys that cannot change live) or ConfigReloadFailedError.
   */
  reload(next?: LoadedConfig): Promise<ReloadOutcome>;
}

export interface GatewayOptions {
  readonly logger: Logger;
  readonly version: string;
  /**
   * Set in a worker process of the embedded mode (src/workers): the bus to the primary, which owns the consumer
   * and the DuckDB store, and short links resolved through it. The worker then builds no store of its own.
   */
  readonly primary?: { readonly bus: Bus; readonly links?: LinkResolver };
  /**
   * Spool directories left by a run with another `server.workers` (see straySpoolDirs): forwarded through this
   * gateway's bus in the background once it serves, then removed.
   */
  readonly strays?: readonly string[];
  /** Set in a worker process: memory-store rate limits shared with the other workers through the primary. */
  readonly rateLimitLeases?: LeaseCoordinator;
  /** The file the config came from: a reload reads it again. */
  readonly configFile?: string;
  /** The SHA-256 of that file (`/readyz` and `gatehouse_config_info` show it). */
  readonly configHash?: string;
}

/**
 * The `serve` process. With the memory bus it is the whole pipeline in one process (spool → in-process bus →
 * consumer → DuckDB); with NATS the consumer runs separately (`gatehouse consume`).
 */
export async function createGateway(config: Readonly<Config>, options: GatewayOptions): Promise<Gateway> {
  const { logger, version, primary } = options;
  const telemetry = new Telemetry(logger);
  const tracing = await createTracing(config.tracing, { version, exportFailed: traceExportFailed(telemetry) });
  const bus = primary?.bus ?? createBus({ config: config.bus, telemetry, deadLetterPath: embeddedDeadLetterPath(config.spool.dir) });
  const embedded = config.bus.kind === 'memory' && !primary;
  // In NATS mode the gateway stores nothing itself; it only needs Cassandra for short links, when configured.
  // A worker of the embedded mode stores nothing either: the primary owns DuckDB (one process can open it).
  const stores: Stores = primary ? { sinks: [] } : await ownedStores(config, telemetry, embedded);
  // Embedded mode: destinations are fed by the store consumer after its sinks (with NATS, `consume` runs them).
  const destinations = embedded ? createDestinations({ config, bus, telemetry }) : undefined;
  const consumerSinks = destinations?.sink ? [...stores.sinks, destinations.sink] : stores.sinks;
  const consumer: Consumer | undefined = embedded ? createConsumer({ config: config.consumer, bus, sinks: consumerSinks, telemetry, maxMessageBytes: config.spool.maxEventSize }) : undefined;
  const spool = createSpool({ config: config.spool, bus, telemetry });
  const pipeline = createEventPipeline({ spool, telemetry, retryAfterMs: config.spool.retryAfter, maxEventBytes: config.spool.maxEventSize });
  const links = primary ? primary.links : stores.links ? createLinkResolver(stores.links) : undefined;

  const checks: Check[] = [
    { name: 'bus', check: () => bus.healthcheck() },
    {
      name: 'spool',
      check: async () => {
        const s = spool.stats();
        if (s.writeError) return down(`spool writes are failing: ${s.writeError}`);
        return s.full ? down('spool is full') : up(`${s.pendingRecords} pending`);
      },
    },
  ];
  if (consumer) checks.push({ name: 'store', check: () => consumer.healthcheck() });
  else for (const sink of stores.sinks) checks.push({ name: sink.name, check: () => sink.healthcheck() });
  const readiness = new Readiness(checks);

  // The request handling of the running config; a reload replaces all of it at once (apply-edge.ts).
  const certs: CertificateManager | undefined = config.tls.enabled ? createCertificateManager({ config: config.tls, telemetry }) : undefined;
  const upstreams = new UpstreamDirectory();
  const live: LiveEdge = { config, ...(certs ? { certs } : {}) };
  if (certs) checks.push({ name: 'tls', check: () => (live.certs as CertificateManager).healthcheck() });
  // The listener reads the certificates of the running config at each handshake.
  const tls = certs ? tlsServerOptions(config.tls, (name, cb) => (live.certs as CertificateManager).sniCallback(name, cb)) : undefined;
  const edge: EdgeDeps = {
    logger,
    telemetry,
    readiness,
    pipeline,
    version,
    ...(links ? { links } : {}),
    ...(tls ? { tls } : {}),
    ...(options.rateLimitLeases ? { rateLimitLeases: options.rateLimitLeases } : {}),
    rateLimitState: new RateLimitState(),
    ...(tracing ? { tracing } : {}),
  };
  const apps = new AppSwitch(await buildEdgeApp(config, edge, upstreams));
  const server = mainListener(config.server, apps, telemetry, tls);
  // With TLS the app listens on HTTPS; the plain listener answers ACME challenges and redirects.
  const plain = certs
    ? plainListener({ server: config.server, current: () => ({ tls: live.config.tls, certs: live.certs as CertificateManager }), routing: apps.handle })
    : undefined;
  if (plain) limitConnections(plain, config.server.maxConnections, telemetry, 'http');

  const reloader = createReloader(telemetry, options.configHash ?? configHashOf(config), {
    load: () => {
      if (!options.configFile) throw new ConfigReloadFailedError('this gateway was not started from a config file: there is nothing to read again');
      return loadForReload(options.configFile);
    },
    current: () => live.config,
    apply: async (next, changed) => {
      // Nothing to rebuild for the same config (a reload sent again): limiter counters and pools stay as they are.
      if (changed.length > 0) await applyEdgeConfig(next.config, { live, apps, upstreams, edge, telemetry, logger });
      readiness.setConfigHash(next.hash);
      return undefined;
    },
  });
  readiness.setConfigHash(reloader.hash);
  const admin = await adminListener(config, {
    logger,
    telemetry,
    stores,
    live: pipeline,
    upstreams: () => upstreams.snapshot(),
    reload: () => reloader.reload(),
    ...(links ? { links } : {}),
  });
  const retention = retentionJob(config, stores, telemetry, logger);

  let stopping: Promise<void> | undefined;
  let busStarter: BusStarter | undefined;
  let strayDrain: StrayDrain | undefined;
  const shutdown = async () => {
    readiness.markStopping();
    const timeout = live.config.server.shutdownTimeout;
    const deadline = Date.now() + timeout;
    logger.info({ event: 'shutdownStarted', deadlineMs: timeout }, 'shutting down');
    apps.stop();
    if (plain) await closeServer(plain, deadline);
    await closeServer(server, deadline);
    await apps.close(Math.max(0, deadline - Date.now()));
    if (admin) await admin.close().catch(() => undefined);
    retention?.stop();
    // Stray spools get a second at most; what is left of them is found again at the next start.
    await strayDrain?.stop(Math.min(1_000, Math.max(0, deadline - Date.now())));
    // The spool flushes to the bus until the deadline; what it cannot forward stays on disk for the next start.
    await spool.close(Math.max(1_000, deadline - Date.now()));
    await consumer?.close();
    await destinations?.close();
    busStarter?.stop();
    await bus.close();
    for (const sink of stores.sinks) await sink.close();
    await live.certs?.close();
    // Last: the spans of the requests finished above are flushed to the collector (within tracing.exportTimeout).
    await tracing?.close().catch(() => undefined);
    logger.info({ event: 'shutdownFinished', stats: spool.stats() }, 'stopped');
  };

  return {
    telemetry,
    readiness,
    pipeline,
    stores,
    get main() {
      return apps.current;
    },
    ...(admin ? { admin } : {}),
    reload: (next?: LoadedConfig) => reloader.reload(next),
    async start() {
      for (const sink of stores.sinks) await sink.start();
      // With a bus that can be down (NATS), a gateway must serve from its spool even when started during an outage.
      if (bus.capabilities.remote) busStarter = await startBusInBackground(bus, logger);
      else await bus.start();
      await destinations?.start();
      await consumer?.start();
      await retention?.start();
      await spool.start();
      await certs?.start();
      await apps.current.ready();
      let mainAddress: string;
      let httpsAddress: string | undefined;
      if (plain) {
        httpsAddress = (await listen(server, config.tls.listen.host, config.tls.listen.port)).replace(/^http:/, 'https:');
        mainAddress = await listen(plain, config.server.listen.host, config.server.listen.port);
      } else {
        mainAddress = await listen(server, config.server.listen.host, config.server.listen.port);
      }
      const adminAddress = admin ? await admin.listen({ host: config.admin.listen.host, port: config.admin.listen.port }) : undefined;
      readiness.markRunning();
      if (options.strays?.length) strayDrain = drainStraySpools(options.strays, { config: config.spool, bus, logger });
      logger.info({ event: 'started', main: mainAddress, https: httpsAddress, admin: adminAddress, bus: bus.kind, version }, 'gatehouse is serving');
      return { main: mainAddress, ...(httpsAddress ? { https: httpsAddress } : {}), ...(adminAddress ? { admin: adminAddress } : {}) };
    },
    shutdown() {
      stopping ??= shutdown();
      return stopping;
    },
  };
}
