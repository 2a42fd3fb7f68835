import { pickByPolicy, stickyId, type Policy } from './balancer.js';
import type { PickContext, Upstream } from './upstream.js';

export type { PickContext, Upstream } from './upstream.js';

export interface PoolOptions {
  readonly retryAfterMs: number;
  readonly policy?: Policy;
  /** Per-upstream cap on requests in flight (0: none); the forwarder's agent holds the same cap on sockets. */
  readonly maxConnections?: number;
  readonly now?: () => number;
}

/**
 * The upstreams of one route: which are in the rotation (not passively marked down after a failed connection,
 * not failed by the active health check), how many requests each has in flight, and the choice among them by
 * the route's policy.
 */
export class UpstreamPool {
  readonly upstreams: readonly Upstream[];
  private readonly now: () => number;

  constructor(
    upstreams: readonly (string | { readonly origin: string; readonly weight?: number })[],
    private readonly options: PoolOptions,
  ) {
    this.now = options.now ?? Date.now;
    this.upstreams = upstreams.map((u) => {
      const origin = typeof u === 'string' ? u : u.origin;
      const weight = typeof u === 'string' ? 1 : (u.weight ?? 1);
      return { origin, weight, id: stickyId(origin), inFlight: 0, downUntil: 0, healthy: true, current: 0 };
    });
  }

  /** The upstream for a request by the route's policy, or undefined when none is in the rotation. */
  pick(context: PickContext = {}): Upstream | undefined {
    const now = this.now();
    const all = this.upstreams;
    // The common single-upstream route: no policy to apply, no list to build.
    if (all.length === 1) {
      const only = all[0] as Upstream;
      return only.healthy && only.downUntil <= now && !context.exclude?.has(only.origin) ? only : undefined;
    }
    const candidates = all.filter((u) => u.healthy && u.downUntil <= now && !context.exclude?.has(u.origin));
    if (candidates.length === 0) return undefined;
    return pickByPolicy(this.options.policy ?? 'round_robin', candidates, context, this.options.maxConnections ?? 0);
  }

  find(origin: string): Upstream | undefined {
    return this.upstreams.find((u) => u.origin === origin);
  }

  /** Takes `origin` out of the rotation for retryAfterMs; true when it was in until now (reported once). */
  markDown(origin: string): boolean {
    const upstream = this.find(origin);
    if (!upstream) return false;
    const now = this.now();
    const wasUp = upstream.downUntil <= now;
    upstream.downUntil = now + this.options.retryAfterMs;
    return wasUp;
  }

  /** Records the active check's verdict; true when it changed. */
  setHealthy(upstream: Upstream, healthy: boolean): boolean {
    if (upstream.healthy === healthy) return false;
    upstream.healthy = healthy;
    return true;
  }

  /** Whether `upstream` may be given requests now. */
  inRotation(upstream: Upstream): boolean {
    return upstream.healthy && upstream.downUntil <= this.now();
  }

  /** How many upstreams are currently in the rotation. */
  available(): number {
    return this.upstreams.filter((u) => this.inRotation(u)).length;
  }
}
