import type { FastifyInstance } from 'fastify';
import type { UpstreamSource } from '../proxy/index.js';
import type { Logger } from 'pino';
import type { Config } from '../settings/schema.js';
import type { Telemetry } from '../telemetry/telemetry.js';
import type { EventPipeline } from '../track/pipeline.js';
import type { LinkResolver } from '../track/links/link-resolver.js';
import { buildAdminApp } from './admin-app.js';
import { createRetentionJob } from '../admin/index.js';
import { buildStores, type Stores } from './stores.js';
import type { ReloadOutcome } from './reload/config-reload.js';

/**
 * The stores the process that owns them builds: in embedded mode every configured sink (the consumer runs here);
 * with NATS only Cassandra, when configured, for short links and the admin API.
 * Shared by the single-process gateway and the primary of the multi-process mode.
 */
export async function ownedStores(config: Readonly<Config>, telemetry: Telemetry, embedded: boolean): Promise<Stores> {
  if (embedded) return buildStores(config, telemetry);
  return config.sinks.cassandra.contactPoints.length > 0 ? buildStores(config, telemetry, ['cassandra']) : { sinks: [] };
}

/** The admin listener over the stores this process owns (undefined when the admin listener is off). */
export async function adminListener(
  config: Readonly<Config>,
  deps: {
    logger: Logger;
    telemetry: Telemetry;
    stores: Stores;
    links?: LinkResolver;
    live?: EventPipeline;
    upstreams?: UpstreamSource;
    reload?: () => Promise<ReloadOutcome>;
  },
): Promise<FastifyInstance | undefined> {
  if (!config.admin.enabled) return undefined;
  const { stores } = deps;
  return buildAdminApp({
    config: config.admin,
    logger: deps.logger,
    telemetry: deps.telemetry,
    ...(deps.links ? { links: deps.links } : {}),
    ...(deps.upstreams ? { upstreams: deps.upstreams } : {}),
    ...(deps.reload ? { reload: deps.reload } : {}),
    signingKey: config.tracking.redirects.signingKey,
    redirectPrefix: config.tracking.routes.redirect,
    data: {
      ...(deps.live ? { pipeline: deps.live } : {}),
      ...(stores.duckdb ? { store: stores.duckdb } : {}),
      ...(stores.cassandra ? { cassandra: stores.cassandra.reads } : {}),
      experiments: config.experiments,
      readOnlySinks: stores.sinks.map((s) => s.name).filter((n) => n !== 'duckdb'),
    },
  });
}

/** The DuckDB retention prune job, when a retention is configured. */
export function retentionJob(config: Readonly<Config>, stores: Stores, telemetry: Telemetry, logger: Logger) {
  return stores.duckdb && config.sinks.duckdb.retention > 0
    ? createRetentionJob({ store: stores.duckdb, retentionMs: config.sinks.duckdb.retention, telemetry, logger })
    : undefined;
}
