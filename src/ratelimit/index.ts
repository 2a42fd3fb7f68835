export { RateLimitConfig, LIMITED_CLASSES, type LimitedClass, type RateLimitRule } from './config.js';
export { rateLimitPlugin, type RateLimitPluginOptions } from './plugin.js';
export { rateLimitIssues } from './checks.js';
