import Fastify, { type FastifyInstance } from 'fastify';
import { fastifyBaseOptions } from '../server/fastify-base.js';
import type { Logger } from 'pino';
import type { Config } from '../settings/schema.js';
import type { Telemetry } from '../telemetry/telemetry.js';
import type { TrackContext } from '../track/context.js';
import type { Readiness } from '../server/readiness.js';
import { installErrorHandlers } from '../server/error-handler.js';
import { httpMetrics } from '../server/http-metrics.js';
import { accessLog } from '../server/access-log.js';
import { traceRequests } from '../server/request-tracing.js';
import type { Tracing } from '../telemetry/tracing/index.js';
import { opsRoutes } from '../server/ops-routes.js';
import { REQUEST_ID_HEADER } from '../server/request-id.js';
import { detachedServerFactory } from '../server/server-factory.js';
import { hstsHeader } from '../tls/http-redirect.js';
import type { TlsServerOptions } from '../tls/server-options.js';
import { trackingPlugin } from '../track/plugin.js';
import { allRoutePrefixes } from '../track/routes/layout.js';
import { pageViewHook, pageViewRecorder } from '../track/pageviews.js';
import { tryShortLink } from '../track/routes/short-link.js';
import { staticPlugin } from '../static/plugin.js';
import { proxyClaimsRoot, proxyPlugin, type UpstreamDirectory } from '../proxy/index.js';
import type { RootFallback } from '../server/root-fallback.js';
import { rateLimitPlugin, type LeaseCoordinator, type RateLimitState } from '../ratelimit/index.js';
import type { RequestClient } from '../track/request-client.js';
import { protocolsPlugin } from '../protocols/index.js';
import { installExperiments } from '../experiments/plugin.js';

export interface MainAppDeps {
  readonly config: Pick<Config, 'server' | 'tracking' | 'static' | 'tls' | 'proxy' | 'rateLimit'> & Partial<Pick<Config, 'protocols' | 'log' | 'enrich' | 'experiments'>>;
  /** Set when TLS is on: the app then serves HTTPS requests (and HTTP/2 ones when configured). */
  readonly tls?: TlsServerOptions;
  readonly logger: Logger;
  readonly telemetry: Telemetry;
  readonly readiness: Readiness;
  readonly track?: TrackContext;
  /** The gateway's one client-IP resolver (server.trustedProxies, built once), shared with tracking. */
  readonly client: RequestClient;
  readonly version: string;
  /** Lists the proxy routes' upstream pools for the admin API. */
  readonly upstreams?: UpstreamDirectory;
  /** Set in a worker process: memory-store rate limits shared through the primary. */
  readonly rateLimitLeases?: LeaseCoordinator;
  readonly rateLimitState?: RateLimitState;
  /** Set when tracing.enabled: a span per request, continued by the proxy and the spool commit. */
  readonly tracing?: Tracing;
}

/**
 * The public listener. Route order is the precedence: ops endpoints, then tracking (tracking paths always
 * win), then reverse-proxy routes, then the site-root fallback (static files, then root short links).
 */
export async function buildMainApp(deps: MainAppDeps): Promise<FastifyInstance> {
  const { server } = deps.config;
  const app = Fastify({
    ...fastifyBaseOptions(deps.logger, 'main'),
    bodyLimit: server.bodyLimit,
    // The listener is built once (mainListener) and hands requests to this app: a reload swaps apps, not sockets.
    serverFactory: detachedServerFactory(deps.tls?.allowHTTP1 === true),
    // Fastify must know the requests are HTTP/2 (no connection-specific headers in replies).
    ...(deps.tls?.allowHTTP1 ? { http2: true as unknown as false } : {}),
    // Fastify's own hostname/ip logic is not used: the client IP comes from the trusted-proxy resolver.
    trustProxy: false,
  });
  installErrorHandlers(app);
  // First of the request hooks, so the span covers the others (rate limit, experiments) too.
  if (deps.tracing) traceRequests(app, deps.tracing);
  httpMetrics(app, deps.telemetry, 'main');
  const hsts = deps.tls ? hstsHeader(deps.config.tls.hsts) : undefined;
  app.addHook('onRequest', (request, reply, done) => {
    reply.header(REQUEST_ID_HEADER, request.id);
    if (hsts && request.protocol === 'https') reply.header('strict-transport-security', hsts);
    done();
  });

  // Before every route: a hook added later would not reach plugins registered earlier.
  deps.client.decorate(app);
  const clientIp = deps.client.ip;
  const access = deps.config.log?.access;
  if (access) {
    const enrich = deps.config.enrich;
    const format = access === true ? 'json' : access;
    accessLog(app, { logger: deps.logger, clientIp, ip: enrich?.ip ?? 'keep', salt: enrich?.salt ?? '', format });
  }
  await app.register(rateLimitPlugin, {
    config: deps.config.rateLimit,
    clientIp,
    telemetry: deps.telemetry,
    ...(deps.rateLimitLeases ? { leases: deps.rateLimitLeases } : {}),
    ...(deps.rateLimitState ? { state: deps.rateLimitState } : {}),
  });

  await app.register(opsRoutes, { healthPath: server.healthPath, readyPath: server.readyPath, readiness: deps.readiness, version: deps.version });
  const track = deps.track;
  if (track && deps.config.tracking.enabled) await app.register(async (scope) => trackingPlugin(scope, track));
  const protocols = deps.config.protocols;
  if (track && protocols && deps.config.tracking.enabled) await app.register(protocolsPlugin, { config: protocols, track });
  if (track && deps.config.tracking.pageViews.enabled) app.addHook('onSend', pageViewHook(track));
  const t = deps.config.tracking.routes;
  // Reserved prefixes keep every method of a tracking path away from a catch-all proxy (the router keeps one
  // tree per method, so registering GET /tr/v1/* alone would let PUT /tr/v1/x through).
  // Proxied responses skip onSend (they are written straight from the upstream), so page views are passed in.
  const answered = track && deps.config.tracking.pageViews.enabled ? pageViewRecorder(track) : undefined;
  // Before the proxy and static routes (and only them): their first response is already the variant's.
  const experiments = deps.config.experiments;
  if (track && experiments?.list.length) installExperiments(app, { config: experiments, track, errorPages: deps.config.proxy.errorPages, clientIp, answered });
  const rootLinks = track && deps.config.tracking.routes.shortLinks === '/' && track.links ? track : undefined;
  const shortLink: RootFallback | undefined = rootLinks ? (req, reply, slug) => tryShortLink(rootLinks, req, reply, slug) : undefined;
  await app.register(proxyPlugin, {
    config: deps.config.proxy,
    ...(shortLink ? { shortLink } : {}),
    clientIp,
    telemetry: deps.telemetry,
    reservedPrefixes: allRoutePrefixes(t),
    answered,
    ...(deps.upstreams ? { directory: deps.upstreams } : {}),
  });
  // A proxy on `/` for every host asks about links itself (and its `/*` leaves no room for another).
  const linksAfterFiles = shortLink && !proxyClaimsRoot(deps.config.proxy) ? shortLink : undefined;
  await app.register(staticPlugin, {
    config: deps.config.static,
    telemetry: deps.telemetry,
    ...(linksAfterFiles ? { shortLink: linksAfterFiles } : {}),
  });
  return app;
}
