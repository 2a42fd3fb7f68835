export { adminDataRoutes } from './plugin.js';
export type { AdminDataDeps } from './deps.js';
export { createRetentionJob, type RetentionJob } from './retention.js';
export { ROWS_HEADER } from './export-route.js';
export { REPORTS } from './stats-route.js';
export type { AdminStore, EventPage, StatsParts } from './admin-store.js';
