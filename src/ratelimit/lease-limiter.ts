import { LIMITED_CLASSES, type LimitedClass, type RateLimitConfig, type RateLimitRule } from './config.js';
import { ALLOWED, seconds, type ClassLimiter, type Decision } from './limiters.js';
import { windowOf, type LeaseCoordinator, type LeaseRequest } from './leases.js';

interface Entry {
  window: number;
  /** Requests this worker allowed in the window. */
  used: number;
  /** What it may allow without asking: its share at first, then what the primary leased it. */
  allowance: number;
  /** Refused by the primary: nothing can be allowed before this (epoch ms). */
  refusedUntil: number;
  /** The lease request in flight; requests of the same client wait for it instead of asking again. */
  pending?: Promise<void>;
}

export interface LeaseLimiters {
  readonly limiters: Map<string, ClassLimiter>;
  /** Answers the primary's reclaim of one client's window: the tokens given back. */
  reclaim(request: LeaseRequest): number;
}

/**
 * The limiters of a worker whose limits are shared through the primary (see leases.ts). Each worker starts a
 * client's window with a share, `floor(points / workers)`, spent without IPC: a client that stays under its share
 * on every worker (nearly all of them) never costs a message. A worker that runs out asks the primary, which
 * first takes back the other workers' unspent shares, then leases out what is left in decreasing chunks; near the
 * limit a lease is the one token the asking request spends. So the workers together allow `points` (+ `burst`)
 * per window, as one process would.
 */
export function buildLeaseLimiters(config: RateLimitConfig, coordinator: LeaseCoordinator): LeaseLimiters {
  const entries = new Map<LimitedClass, Map<string, Entry>>();
  const limiters = new Map<string, ClassLimiter>();
  for (const cls of LIMITED_CLASSES) {
    const rule = config.rules[cls];
    if (rule.points === 0) continue;
    const clients = new Map<string, Entry>();
    entries.set(cls, clients);
    limiters.set(cls, leaseLimiter(cls, rule, clients, coordinator));
  }
  return {
    limiters,
    reclaim(request) {
      const rule = config.rules[request.cls];
      const clients = entries.get(request.cls);
      if (!clients) return 0;
      const share = Math.floor(rule.points / coordinator.workers);
      const e = clients.get(request.key);
      if (!e || e.window < request.window) {
        // Not seen in that window yet: its whole share goes back, and it asks before allowing any request there.
        clients.set(request.key, { window: request.window, used: 0, allowance: 0, refusedUntil: 0 });
        return share;
      }
      if (e.window > request.window) return 0; // that window is over here
      const left = Math.max(0, e.allowance - e.used);
      e.allowance = e.used;
      return left;
    },
  };
}

function leaseLimiter(cls: LimitedClass, rule: RateLimitRule, clients: Map<string, Entry>, coordinator: LeaseCoordinator): ClassLimiter {
  const durationMs = seconds(rule.duration) * 1000;
  const share = Math.floor(rule.points / coordinator.workers);
  const policy = `${rule.points};w=${seconds(rule.duration)}`;
  let nextSweep = 0;

  const refusal = (retryAt: number, now: number): Decision => ({
    allowed: false,
    limit: rule.points,
    remaining: 0,
    resetS: Math.max(1, Math.ceil((retryAt - now) / 1000)),
    policy,
  });

  function ask(key: string, e: Entry): Promise<void> {
    const window = e.window;
    return coordinator.lease({ cls, key, window }).then(
      (grant) => {
        if (e.window !== window) return;
        if (grant.tokens > 0) e.allowance = e.used + grant.tokens;
        else e.refusedUntil = grant.retryAt;
      },
      () => {
        // The primary is unreachable (stopping, restarting): limit in this process alone, as with Redis down.
        if (e.window !== window) return;
        if (e.used < rule.points) e.allowance = rule.points;
        else e.refusedUntil = (window + 1) * durationMs;
      },
    );
  }

  function check(key: string): Decision | Promise<Decision> {
    const now = Date.now();
    const window = windowOf(now, durationMs);
    let e = clients.get(key);
    if (e === undefined || e.window < window) {
      if (now >= nextSweep) {
        for (const [k, old] of clients) if (old.window < window && old.pending === undefined) clients.delete(k);
        nextSweep = now + durationMs;
      }
      e = { window, used: 0, allowance: share, refusedUntil: 0 };
      clients.set(key, e);
    }
    if (e.used < e.allowance) {
      e.used += 1;
      return ALLOWED;
    }
    if (now < e.refusedUntil) return refusal(e.refusedUntil, now);
    const entry = e;
    // One request asks; those of the same client arriving meanwhile wait for its answer, then check again.
    entry.pending ??= ask(key, entry).finally(() => {
      entry.pending = undefined;
    });
    // The asking request spends one token of the grant: the allowance is checked again against the lease.
    return entry.pending.then(() => check(key));
  }

  return { rule, check };
}
