import Fastify, { type FastifyInstance } from 'fastify';
import { fastifyBaseOptions } from '../server/fastify-base.js';
import type { Logger } from 'pino';
import type { AdminConfig } from '../server/config.js';
import type { Telemetry } from '../telemetry/telemetry.js';
import type { LinkResolver } from '../track/links/link-resolver.js';
import { createServer } from 'node:http';
import { adminAuth } from '../server/admin-auth.js';
import { adminHostCheck } from '../server/admin-host-check.js';
import { GUARDED_SERVER_OPTIONS, guardRequests } from '../server/request-guard.js';
import { adminLinkRoutes } from './admin-links.js';
import { installErrorHandlers } from '../server/error-handler.js';
import { httpMetrics } from '../server/http-metrics.js';
import { REQUEST_ID_HEADER } from '../server/request-id.js';
import { adminDataRoutes, type AdminDataDeps } from '../admin/index.js';
import { upstreamAdminRoutes, type UpstreamSource } from '../proxy/index.js';
import { adminReloadRoute } from './admin-reload.js';
import type { ReloadOutcome } from './reload/config-reload.js';

export interface AdminAppDeps {
  readonly config: AdminConfig;
  readonly logger: Logger;
  readonly telemetry: Telemetry;
  readonly links?: LinkResolver;
  /** The proxy routes' upstream states (`GET /admin/upstreams`). */
  readonly upstreams?: UpstreamSource;
  readonly signingKey: string;
  readonly redirectPrefix: string;
  /** Event listing, live tail, stats, privacy requests, export and the dashboard (src/admin). */
  readonly data?: Omit<AdminDataDeps, 'telemetry' | 'logger'>;
  /** `POST /admin/config/reload`: reads config.json again and applies it. */
  readonly reload?: () => Promise<ReloadOutcome>;
}

/** The admin listener (127.0.0.1:9100 by default): `/metrics` and the admin API under `/admin/`. */
export async function buildAdminApp(deps: AdminAppDeps): Promise<FastifyInstance> {
  const app = Fastify({
    ...fastifyBaseOptions(deps.logger, 'admin'),
    // The Host check below relies on there being one Host: the request guard refuses two.
    serverFactory: (handler) => createServer(GUARDED_SERVER_OPTIONS, guardRequests(handler)),
  });
  installErrorHandlers(app);
  httpMetrics(app, deps.telemetry, 'admin');
  app.addHook('onSend', async (request, reply) => {
    reply.header(REQUEST_ID_HEADER, request.id);
  });
  const auth = adminAuth(deps.config.token);
  const hostCheck = adminHostCheck(deps.config.token, deps.config.hosts);
  // The dashboard's own files are public (they hold no data; their API calls carry the token).
  app.addHook('onRequest', async (request) => {
    hostCheck?.(request);
    if (request.routeOptions.config?.publicAsset !== true) await auth(request);
  });

  app.get(deps.config.metricsPath, { config: { routeClass: 'ops' } }, async (_req, reply) => {
    reply.type(deps.telemetry.registry.contentType);
    return deps.telemetry.metrics();
  });
  await adminLinkRoutes(app, { links: deps.links, signingKey: deps.signingKey, redirectPrefix: deps.redirectPrefix });
  if (deps.upstreams) upstreamAdminRoutes(app, deps.upstreams);
  if (deps.reload) adminReloadRoute(app, deps.reload);
  await adminDataRoutes(app, { ...deps.data, telemetry: deps.telemetry, logger: deps.logger });
  return app;
}
