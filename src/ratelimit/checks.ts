import type { ConfigIssue } from '../config/errors.js';
import { LIMITED_CLASSES, type RateLimitConfig } from './config.js';

/**
 * What the schema cannot say about `rateLimit`, for the config cross-checks: a Redis store needs a URL, and
 * windows are whole seconds because Redis expires counters in seconds.
 */
export function rateLimitIssues(config: RateLimitConfig, base = '/rateLimit'): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  if (config.enabled && config.store === 'redis' && !/^rediss?:\/\//.test(config.redis.url)) {
    issues.push({ path: `${base}/redis/url`, message: 'store "redis" needs a redis:// or rediss:// URL', value: config.redis.url });
  }
  for (const cls of LIMITED_CLASSES) {
    const rule = config.rules[cls];
    for (const field of ['duration', 'burstWindow'] as const) {
      if (rule[field] < 1000 || rule[field] % 1000 !== 0) {
        issues.push({ path: `${base}/rules/${cls}/${field}`, message: 'must be a whole number of seconds ("1s", "10s", "1m")' });
      }
    }
  }
  return issues;
}
