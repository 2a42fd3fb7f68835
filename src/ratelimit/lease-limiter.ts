import { LIMITED_CLASSES, type LimitedClass, type RateLimitConfig, type RateLimitRule } from './config.js';
import { ALLOWED, sameRule, seconds, type ClassLimiter, type Decision } from './limiters.js';
import { windowOf, type LeaseCoordinator, type LeaseRequest, type Returned } from './leases.js';

interface Entry {
  window: number;
  /** Requests this worker allowed from the sustained window. */
  used: number;
  /** What it may allow without asking: its share at first, then what the primary leased it. */
  allowance: number;
  /** Burst tokens leased and not spent, valid until `burstEnd` (they outlive the sustained window). */
  burstLeft: number;
  burstEnd: number;
  /** Refused by the primary: nothing can be allowed before this (epoch ms). */
  refusedUntil: number;
  /** The lease request in flight; requests of the same client wait for it instead of asking again. */
  pending?: Promise<void>;
}

export interface LeaseLimiters {
  readonly limiters: Map<string, ClassLimiter>;
  /** Answers the primary's reclaim of one client's window: what is given back. */
  reclaim(request: LeaseRequest): Returned;
}

/**
 * A worker's side of the shared counts, kept from one config's limiters to the next (a reload) for each class
 * whose rule is unchanged, as the primary keeps its accounts (LeaseLedger.reconfigure).
 */
export class LeaseEntries {
  private readonly byClass = new Map<LimitedClass, { rule: RateLimitRule; clients: Map<string, Entry> }>();

  clients(cls: LimitedClass, rule: RateLimitRule): Map<string, Entry> {
    const kept = this.byClass.get(cls);
    if (kept && sameRule(kept.rule, rule)) return kept.clients;
    const clients = new Map<string, Entry>();
    this.byClass.set(cls, { rule, clients });
    return clients;
  }

  /** Drops the classes the newest config does not limit. */
  keepOnly(used: ReadonlyMap<LimitedClass, unknown>): void {
    for (const cls of this.byClass.keys()) if (!used.has(cls)) this.byClass.delete(cls);
  }
}

/** A client's entry for `window`, carrying a burst lease that is still valid from the one it replaces. */
function freshEntry(window: number, allowance: number, old: Entry | undefined, now: number): Entry {
  const carry = old !== undefined && old.burstEnd > now;
  return { window, used: 0, allowance, burstLeft: carry ? old.burstLeft : 0, burstEnd: carry ? old.burstEnd : 0, refusedUntil: 0 };
}

/**
 * The limiters of a worker whose limits are shared through the primary (see leases.ts). Each worker starts a
 * client's window with a share, `floor(points / workers)`, spent without IPC: a client that stays under its share
 * on every worker (nearly all of them) never costs a message. A worker that runs out asks the primary
 * (lease-ledger.ts), which leases what is left in decreasing chunks. So the workers together allow `points` per
 * window and `burst` per burst window, as one process would.
 */
export function buildLeaseLimiters(config: RateLimitConfig, coordinator: LeaseCoordinator, kept = new LeaseEntries()): LeaseLimiters {
  const entries = new Map<LimitedClass, Map<string, Entry>>();
  const limiters = new Map<string, ClassLimiter>();
  for (const cls of LIMITED_CLASSES) {
    const rule = config.rules[cls];
    if (rule.points === 0) continue;
    const clients = kept.clients(cls, rule);
    entries.set(cls, clients);
    limiters.set(cls, leaseLimiter(cls, rule, clients, coordinator));
  }
  kept.keepOnly(entries);
  return {
    limiters,
    reclaim(request) {
      const clients = entries.get(request.cls);
      if (!clients) return { tokens: 0, burst: 0, burstEnd: 0 };
      const share = Math.floor(config.rules[request.cls].points / coordinator.workers);
      let e = clients.get(request.key);
      let tokens = 0;
      if (!e || e.window < request.window) {
        // Not seen in that window yet: its whole share goes back, and it asks before allowing any request there.
        e = freshEntry(request.window, 0, e, Date.now());
        clients.set(request.key, e);
        tokens = share;
      } else if (e.window === request.window) {
        tokens = Math.max(0, e.allowance - e.used);
        e.allowance = e.used;
      }
      const returned = { tokens, burst: e.burstLeft, burstEnd: e.burstEnd };
      e.burstLeft = 0;
      return returned;
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
        if (grant.tokens > 0 && e.window === window) e.allowance = e.used + grant.tokens;
        if (grant.burst > 0) {
          e.burstLeft = grant.burst;
          e.burstEnd = grant.burstEnd;
        }
        if (grant.tokens === 0 && grant.burst === 0) e.refusedUntil = grant.retryAt;
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
        for (const [k, old] of clients) if (old.window < window && old.burstEnd <= now && old.pending === undefined) clients.delete(k);
        nextSweep = now + durationMs;
      }
      e = freshEntry(window, share, e, now);
      clients.set(key, e);
    }
    if (e.used < e.allowance) {
      e.used += 1;
      return ALLOWED;
    }
    if (e.burstLeft > 0 && now < e.burstEnd) {
      e.burstLeft -= 1;
      return ALLOWED;
    }
    if (now < e.refusedUntil) return refusal(e.refusedUntil, now);
    const entry = e;
    // One request asks; those of the same client arriving meanwhile wait for its answer, then check again.
    entry.pending ??= ask(key, entry).finally(() => {
      entry.pending = undefined;
    });
    return entry.pending.then(() => check(key));
  }

  return { rule, check };
}
