import type { FastifyInstance } from 'fastify';
import { dashboardRoutes } from './dashboard.js';
import type { AdminDataDeps } from './deps.js';
import { eventRoutes } from './events-routes.js';
import { exportRoute } from './export-route.js';
import { liveRoute } from './live-route.js';
import { statsRoute } from './stats-route.js';

/** "See your data": the event listing, live tail, stats, privacy requests and export, and the dashboard. */
export async function adminDataRoutes(app: FastifyInstance, deps: AdminDataDeps): Promise<void> {
  await eventRoutes(app, deps);
  await liveRoute(app, deps);
  await statsRoute(app, deps);
  await exportRoute(app, deps);
  await dashboardRoutes(app);
}
