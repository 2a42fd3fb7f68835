import type { FastifyInstance } from 'fastify';
import type { ClusterUpstreamStatus } from './cluster-upstreams.js';
import type { UpstreamStatus } from './upstream-directory.js';

/** Where the admin API reads upstream states: this process's pools, or the workers' (through the primary). */
export type UpstreamSource = () => readonly UpstreamStatus[] | readonly ClusterUpstreamStatus[] | Promise<readonly ClusterUpstreamStatus[]>;

/** `GET /admin/upstreams`: every proxy route's upstreams, whether each is in the rotation and why not. */
export function upstreamAdminRoutes(app: FastifyInstance, source: UpstreamSource): void {
  app.get('/admin/upstreams', { config: { routeClass: 'admin' } }, async () => ({ upstreams: await source() }));
}
