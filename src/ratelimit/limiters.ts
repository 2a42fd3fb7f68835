import { BurstyRateLimiter, RateLimiterMemory, RateLimiterRedis, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import type { Redis } from 'ioredis';
import { LIMITED_CLASSES, type LimitedClass, type RateLimitConfig, type RateLimitRule } from './config.js';

/** The outcome for one request, with what the RateLimit-* headers report. */
export type Decision =
  | { readonly allowed: true }
  | { readonly allowed: false; readonly limit: number; readonly remaining: number; readonly resetS: number; readonly policy: string };

export interface ClassLimiter {
  readonly rule: RateLimitRule;
  check(key: string): Promise<Decision>;
}

/**
 * Sustained rate + burst as two fixed-window counters (rate-limiter-flexible's BurstyRateLimiter): a request
 * is taken from the `points`-per-`duration` window first, and only once that is spent from the `burst`
 * allowance, which refills over the longer `burstWindow`. So a client may exceed its rate briefly but not keep
 * doing it. (`blockDuration` was not used: it punishes a burst instead of allowing it.)
 *
 * With Redis each counter is a RateLimiterRedis whose `insuranceLimiter` is an in-memory one: while Redis is
 * unreachable the limits still apply, per instance. Failing open would lift every limit in an outage; failing
 * closed would turn a Redis outage into a site outage.
 */
export function buildLimiters(config: RateLimitConfig, redis?: Redis): Map<string, ClassLimiter> {
  const limiters = new Map<string, ClassLimiter>();
  for (const cls of LIMITED_CLASSES) {
    const rule = config.rules[cls];
    if (rule.points === 0) continue;
    limiters.set(cls, classLimiter(cls, rule, config.redis.keyPrefix, redis));
  }
  return limiters;
}

function classLimiter(cls: LimitedClass, rule: RateLimitRule, prefix: string, redis?: Redis): ClassLimiter {
  const counter = (suffix: string, points: number, durationMs: number): RateLimiterAbstract => {
    // rate-limiter-flexible counts in seconds (Redis EX); the config check keeps durations whole seconds.
    const opts = { keyPrefix: `${prefix}:${cls}${suffix}`, points, duration: Math.max(1, Math.round(durationMs / 1000)) };
    if (!redis) return new RateLimiterMemory(opts);
    return new RateLimiterRedis({ ...opts, storeClient: redis, insuranceLimiter: new RateLimiterMemory(opts) });
  };
  const main = counter('', rule.points, rule.duration);
  const limiter = rule.burst > 0 ? new BurstyRateLimiter(main, counter(':burst', rule.burst, rule.burstWindow)) : main;
  const policy = `${rule.points};w=${main.duration}`;
  return {
    rule,
    check: async (key) => {
      try {
        await limiter.consume(key);
        return { allowed: true };
      } catch (rejection) {
        if (!(rejection instanceof RateLimiterRes)) throw rejection;
        const resetS = Math.max(1, Math.ceil(rejection.msBeforeNext / 1000));
        return { allowed: false, limit: rule.points, remaining: Math.max(0, rejection.remainingPoints), resetS, policy };
      }
    },
  };
}
