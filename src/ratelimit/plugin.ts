import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Telemetry } from '../telemetry/telemetry.js';
import { errorBody } from '../server/errors.js';
import { compileCidrs } from '../track/enrich/cidr.js';
import type { RateLimitConfig } from './config.js';
import { rateLimitEvents } from './events.js';
import { limitKey } from './keys.js';
import { buildLimiters, RateCounters, type ClassLimiter, type Decision } from './limiters.js';
import { buildLeaseLimiters, LeaseEntries } from './lease-limiter.js';
import type { LeaseCoordinator } from './leases.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** Over its class limit on a route that answers anyway (the pixel): serve, but record nothing. */
    rateLimited: boolean;
  }
}

export interface RateLimitPluginOptions {
  /** The decoded `rateLimit` config slice. */
  readonly config: RateLimitConfig;
  /** The client address as resolved through trusted proxies: the key of every `ip` rule. */
  readonly clientIp: (request: FastifyRequest) => string;
  readonly telemetry: Telemetry;
  /** Set in a worker process: the memory store's limits are shared with the other workers through the primary. */
  readonly leases?: LeaseCoordinator;
  /** The memory store's counts, kept across the apps of successive configs (one per process). */
  readonly state?: RateLimitState;
}

/**
 * What a process keeps of its rate limits from one config to the next (a reload): the memory store's counts in
 * one process, or this worker's side of the counts shared through the primary. Built once per process.
 */
export class RateLimitState {
  readonly counters = new RateCounters();
  readonly leases = new LeaseEntries();
}

// Routes whose reply must not change under a limit: a broken image in an email is worse than an unrecorded open.
const FLAG_ONLY = new Set(['pixel']);

/**
 * An `onRequest` hook limiting each client per route class (the route's `config.routeClass`, known before any
 * body is read). It decorates the instance it is given, so call it on the root app — directly, or through
 * `register` (it opts out of encapsulation like fastify-plugin does).
 */
export async function rateLimitPlugin(app: FastifyInstance, opts: RateLimitPluginOptions): Promise<void> {
  if (!app.hasRequestDecorator('rateLimited')) app.decorateRequest('rateLimited', false);
  const { config } = opts;
  if (!config.enabled) return;
  const events = rateLimitEvents(opts.telemetry);
  const allowed = compileCidrs(config.allowCidrs, 'rateLimit.allowCidrs');
  // ioredis is loaded only when the Redis store is configured.
  const store = config.store === 'redis' ? (await import('./redis-store.js')).connectRedisStore(config.redis.url, events) : undefined;
  const limiters = store || !opts.leases ? buildLimiters(config, store?.client, opts.state?.counters) : sharedLimiters(config, opts.leases, opts.state?.leases);
  if (store) {
    app.addHook('onReady', () => store.settled());
    app.addHook('onClose', () => store.close());
  }

  // Callback style: with the memory store the verdict is synchronous and no promise is made per request.
  app.addHook('onRequest', (request, reply, done) => {
    const cls = request.routeOptions.config?.routeClass;
    const limiter = cls === undefined ? undefined : limiters.get(cls);
    if (!limiter || !cls) return done();
    const ip = opts.clientIp(request);
    if (allowed.size > 0 && allowed.has(ip)) return done();
    const apply = (decision: Decision): void => {
      if (decision.allowed) return done();
      events.rateLimited({ class: cls }, { ip });
      if (FLAG_ONLY.has(cls)) {
        request.rateLimited = true;
        return done();
      }
      // Answered here: `done` is not called, so the request goes no further.
      tooManyRequests(reply, decision);
    };
    // Not a limit verdict but a fault (the insurance limiter makes store outages verdicts): let it through.
    const failed = (err: unknown): void => {
      request.log.error({ err }, 'rate limiter failed');
      done();
    };
    let verdict: Decision | Promise<Decision>;
    try {
      verdict = limiter.check(limitKey(limiter.rule, request, ip, config.ipv6Prefix));
    } catch (err) {
      return failed(err);
    }
    if (verdict instanceof Promise) verdict.then(apply, failed);
    else apply(verdict);
  });
}
/** The memory store across workers: leases of the primary's counts (the Redis store is shared already). */
function sharedLimiters(config: RateLimitConfig, coordinator: LeaseCoordinator, kept?: LeaseEntries): Map<string, ClassLimiter> {
  const shared = buildLeaseLimiters(config, coordinator, kept);
  coordinator.onReclaim((request) => shared.reclaim(request));
  return shared.limiters;
}

// Hooks must reach every route of the app, not only those registered inside this plugin.
Object.assign(rateLimitPlugin, { [Symbol.for('skip-override')]: true });

/**
 * 429 with Retry-After (RFC 9110 §10.2.3) and the RateLimit-* fields of draft-ietf-httpapi-ratelimit-headers
 * (Reset in seconds). Sent only on 429, so proxied and static responses reach clients unchanged.
 */
function tooManyRequests(reply: FastifyReply, d: Extract<Decision, { allowed: false }>): FastifyReply {
  return reply
    .code(429)
    .header('retry-after', String(d.resetS))
    .header('ratelimit-limit', String(d.limit))
    .header('ratelimit-remaining', String(d.remaining))
    .header('ratelimit-reset', String(d.resetS))
    .header('ratelimit-policy', d.policy)
    .send(errorBody('RATE_LIMITED', 'too many requests', { retryAfter: d.resetS }));
}
