import { BurstyRateLimiter, RateLimiterMemory, RateLimiterRedis, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import type { Redis } from 'ioredis';
import { LIMITED_CLASSES, type LimitedClass, type RateLimitConfig, type RateLimitRule } from './config.js';

/** The outcome for one request, with what the RateLimit-* headers report. */
export type Decision =
  | { readonly allowed: true }
  | { readonly allowed: false; readonly limit: number; readonly remaining: number; readonly resetS: number; readonly policy: string };

export interface ClassLimiter {
  readonly rule: RateLimitRule;
  /** Synchronous with the in-memory store (no promise on the hot path); a promise with Redis. */
  check(key: string): Decision | Promise<Decision>;
}

export const ALLOWED: Decision = Object.freeze({ allowed: true });

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
export function buildLimiters(config: RateLimitConfig, redis?: Redis, counters = new RateCounters()): Map<string, ClassLimiter> {
  const limiters = new Map<string, ClassLimiter>();
  const used: string[] = [];
  for (const cls of LIMITED_CLASSES) {
    const rule = config.rules[cls];
    if (rule.points === 0) continue;
    limiters.set(cls, redis ? redisLimiter(cls, rule, config.redis.keyPrefix, redis) : memoryLimiter(cls, rule, counters, used));
  }
  counters.keepOnly(used);
  return limiters;
}

/**
 * The memory store's counting windows of one process, kept from one config to the next (a reload), so a
 * reload does not give every client its limit afresh. A class keeps its counts while its window lengths stay
 * the same (a new `points` applies to the count so far); a changed window, or a limit turned off, starts anew.
 */
export class RateCounters {
  private readonly counters = new Map<string, WindowCounter>();

  counter(cls: LimitedClass, kind: 'main' | 'burst', durationMs: number, used: string[]): WindowCounter {
    const key = `${cls}:${kind}:${durationMs}`;
    used.push(key);
    let counter = this.counters.get(key);
    if (!counter) {
      counter = new WindowCounter(durationMs);
      this.counters.set(key, counter);
    }
    return counter;
  }

  /** Drops the counters the newest config does not use. */
  keepOnly(keys: readonly string[]): void {
    const keep = new Set(keys);
    for (const key of this.counters.keys()) if (!keep.has(key)) this.counters.delete(key);
  }
}

/** Whether two configs' rules for a class count alike (so counts kept across a reload stay right). */
export function sameRule(a: RateLimitRule | undefined, b: RateLimitRule | undefined): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** rate-limiter-flexible counts in seconds (Redis EX); the config check keeps durations whole seconds. */
export const seconds = (ms: number) => Math.max(1, Math.round(ms / 1000));

function redisLimiter(cls: LimitedClass, rule: RateLimitRule, prefix: string, redis: Redis): ClassLimiter {
  const counter = (suffix: string, points: number, durationMs: number): RateLimiterAbstract => {
    const opts = { keyPrefix: `${prefix}:${cls}${suffix}`, points, duration: seconds(durationMs) };
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
        return ALLOWED;
      } catch (rejection) {
        if (!(rejection instanceof RateLimiterRes)) throw rejection;
        const resetS = Math.max(1, Math.ceil(rejection.msBeforeNext / 1000));
        return { allowed: false, limit: rule.points, remaining: Math.max(0, rejection.remainingPoints), resetS, policy };
      }
    },
  };
}

/**
 * The same two fixed windows in this process, counted synchronously: rate-limiter-flexible's memory limiter
 * answers through a promise, a result object and a timer per key, which was ~4-6% of the CPU of every request.
 * Semantics are those of BurstyRateLimiter over RateLimiterMemory: a window opens at a key's first request and
 * lasts `duration`; a request over `points` is taken from the burst window instead; a refused one still counts.
 */
function memoryLimiter(cls: LimitedClass, rule: RateLimitRule, counters: RateCounters, used: string[]): ClassLimiter {
  const main = counters.counter(cls, 'main', seconds(rule.duration) * 1000, used);
  const burst = rule.burst > 0 ? counters.counter(cls, 'burst', seconds(rule.burstWindow) * 1000, used) : undefined;
  const policy = `${rule.points};w=${seconds(rule.duration)}`;
  return {
    rule,
    check: (key) => {
      const now = Date.now();
      const m = main.take(key, now);
      if (m.count <= rule.points) return ALLOWED;
      let msBeforeNext = m.resetAt - now;
      if (burst) {
        const b = burst.take(key, now);
        if (b.count <= rule.burst) return ALLOWED;
        msBeforeNext = Math.min(msBeforeNext, b.resetAt - now);
      }
      return { allowed: false, limit: rule.points, remaining: 0, resetS: Math.max(1, Math.ceil(msBeforeNext / 1000)), policy };
    },
  };
}

interface Window {
  count: number;
  readonly resetAt: number;
}

/** Fixed windows per key. Expired windows are swept at most once per window length, when a new one opens. */
export class WindowCounter {
  private readonly windows = new Map<string, Window>();
  private nextSweep = 0;

  constructor(private readonly durationMs: number) {}

  get size(): number {
    return this.windows.size;
  }

  /** Counts one request of `key` at `now`; returns its window with the count including this request. */
  take(key: string, now: number): Window {
    let w = this.windows.get(key);
    if (w === undefined || w.resetAt <= now) {
      if (now >= this.nextSweep) this.sweep(now);
      w = { count: 0, resetAt: now + this.durationMs };
      this.windows.set(key, w);
    }
    w.count += 1;
    return w;
  }

  private sweep(now: number): void {
    for (const [key, w] of this.windows) if (w.resetAt <= now) this.windows.delete(key);
    this.nextSweep = now + this.durationMs;
  }
}
