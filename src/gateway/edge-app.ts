import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { Config } from '../settings/schema.js';
import type { Telemetry } from '../telemetry/telemetry.js';
import type { Readiness } from '../server/readiness.js';
import type { EventPipeline } from '../track/pipeline.js';
import type { LinkResolver } from '../track/links/link-resolver.js';
import type { TlsServerOptions } from '../tls/server-options.js';
import type { UpstreamDirectory } from '../proxy/index.js';
import type { LeaseCoordinator, RateLimitState } from '../ratelimit/index.js';
import type { Tracing } from '../telemetry/tracing/index.js';
import { createTrustedProxies } from '../track/enrich/index.js';
import { createRequestClient } from '../track/request-client.js';
import { buildTrackContext } from './track-context.js';
import { buildMainApp } from './main-app.js';

/** What the request handling of every config shares: built once per process, kept across reloads. */
export interface EdgeDeps {
  readonly logger: Logger;
  readonly telemetry: Telemetry;
  readonly readiness: Readiness;
  readonly pipeline: EventPipeline;
  readonly version: string;
  readonly links?: LinkResolver;
  readonly tls?: TlsServerOptions;
  /** Set in a worker process: memory-store rate limits shared with the other workers through the primary. */
  readonly rateLimitLeases?: LeaseCoordinator;
  /** The memory store's rate-limit counts, kept from one config's app to the next (built once per process). */
  readonly rateLimitState?: RateLimitState;
  /** Set when tracing.enabled: built once per process (a reload cannot change `tracing`). */
  readonly tracing?: Tracing;
}

/**
 * The request handling of one config: the client-IP resolver (trusted proxies), the tracking context (enricher,
 * GeoIP databases, salt) and the main app with its routes, hooks and upstream pools (listed in `upstreams`).
 * Not ready yet: its onReady hooks (health checkers) run when it is about to serve.
 */
export async function buildEdgeApp(config: Readonly<Config>, deps: EdgeDeps, upstreams: UpstreamDirectory): Promise<FastifyInstance> {
  // One compiled trusted-proxy list for every reader of the client IP and of HTTPS-ness.
  const client = createRequestClient(createTrustedProxies(config.server.trustedProxies, { header: config.server.forwardedHeader }));
  const track = await buildTrackContext(config, { pipeline: deps.pipeline, telemetry: deps.telemetry, client, ...(deps.links ? { links: deps.links } : {}) });
  return buildMainApp({
    config,
    upstreams,
    logger: deps.logger,
    telemetry: deps.telemetry,
    readiness: deps.readiness,
    track,
    client,
    version: deps.version,
    ...(deps.tls ? { tls: deps.tls } : {}),
    ...(deps.rateLimitLeases ? { rateLimitLeases: deps.rateLimitLeases } : {}),
    ...(deps.rateLimitState ? { rateLimitState: deps.rateLimitState } : {}),
    ...(deps.tracing ? { tracing: deps.tracing } : {}),
  });
}
