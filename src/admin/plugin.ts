import type { FastifyInstance } from 'fastify';
import { adminStores } from './admin-stores.js';
import { dashboardRoutes } from './dashboard.js';
import type { AdminDataDeps } from './deps.js';
import { eventRoutes } from './events-routes.js';
import { exportRoute } from './export-route.js';
import { liveRoute } from './live-route.js';
import { statsRoute } from './stats-route.js';
import { experimentsRoutes } from '../experiments/admin-routes.js';

/** "See your data": the event listing, live tail, stats, privacy requests and export, and the dashboard. */
export async function adminDataRoutes(app: FastifyInstance, deps: AdminDataDeps): Promise<void> {
  const stores = adminStores(deps);
  await eventRoutes(app, deps, stores);
  await liveRoute(app, deps);
  await statsRoute(app, deps, stores);
  await exportRoute(app, deps, stores);
  const { store, cassandra } = deps;
  const counts = store ? store.experimentCounts.bind(store) : cassandra?.experimentCounts.bind(cassandra);
  if (deps.experiments) await experimentsRoutes(app, { config: deps.experiments, ...(counts ? { counts } : {}) });
  await dashboardRoutes(app);
}
