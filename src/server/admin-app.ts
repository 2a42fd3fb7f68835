import Fastify, { type FastifyInstance } from 'fastify';
import { fastifyBaseOptions } from './fastify-base.js';
import type { Logger } from 'pino';
import type { AdminConfig } from './config.js';
import type { Telemetry } from '../telemetry/telemetry.js';
import type { LinkResolver } from '../track/links/link-resolver.js';
import { adminAuth } from './admin-auth.js';
import { adminLinkRoutes } from './admin-links.js';
import { installErrorHandlers } from './error-handler.js';
import { httpMetrics } from './http-metrics.js';
import { REQUEST_ID_HEADER } from './request-id.js';

export interface AdminAppDeps {
  readonly config: AdminConfig;
  readonly logger: Logger;
  readonly telemetry: Telemetry;
  readonly links?: LinkResolver;
  readonly signingKey: string;
  readonly redirectPrefix: string;
}

/** The admin listener (127.0.0.1:9100 by default): `/metrics` and the admin API under `/admin/`. */
export async function buildAdminApp(deps: AdminAppDeps): Promise<FastifyInstance> {
  const app = Fastify(fastifyBaseOptions(deps.logger, 'admin'));
  installErrorHandlers(app);
  httpMetrics(app, deps.telemetry, 'admin');
  app.addHook('onSend', async (request, reply) => {
    reply.header(REQUEST_ID_HEADER, request.id);
  });
  const auth = adminAuth(deps.config.token);
  app.addHook('onRequest', auth);

  app.get(deps.config.metricsPath, { config: { routeClass: 'ops' } }, async (_req, reply) => {
    reply.type(deps.telemetry.registry.contentType);
    return deps.telemetry.metrics();
  });
  await adminLinkRoutes(app, { links: deps.links, signingKey: deps.signingKey, redirectPrefix: deps.redirectPrefix });
  return app;
}
