export { RateLimitConfig, LIMITED_CLASSES, type LimitedClass, type RateLimitRule } from './config.js';
export { rateLimitPlugin, RateLimitState, type RateLimitPluginOptions } from './plugin.js';
export { rateLimitIssues } from './checks.js';
export { LeaseLedger, type Reclaim } from './lease-ledger.js';
export { NOTHING_RETURNED, type LeaseCoordinator, type LeaseGrant, type LeaseRequest, type Returned } from './leases.js';
