import type { FastifyInstance } from 'fastify';
import type { UpstreamDirectory } from './upstream-directory.js';

/** `GET /admin/upstreams`: every proxy route's upstreams, whether each is in the rotation and why not. */
export function upstreamAdminRoutes(app: FastifyInstance, directory: UpstreamDirectory): void {
  app.get('/admin/upstreams', { config: { routeClass: 'admin' } }, async () => ({ upstreams: directory.snapshot() }));
}
