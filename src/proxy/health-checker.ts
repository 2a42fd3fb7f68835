import type { Agent } from 'undici';
import { undici } from '../server/undici.js';
import type { HealthCheck } from './config.js';
import type { ProxyEvents } from './events.js';
import type { Upstream } from './upstream.js';
import type { UpstreamPool } from './upstream-pool.js';

/** The last probe of one upstream, for the admin API. */
export interface ProbeResult {
  readonly at: string;
  readonly status?: number;
  readonly error?: string;
}

/**
 * Active health checks of one route: each upstream is probed with `GET path` every `interval`, and leaves the
 * rotation after `unhealthyThreshold` failed probes in a row, coming back after `healthyThreshold` passed ones
 * (Caddy's `health_uri`, `health_passes`, `health_fails`). Probes use their own agent, so they neither wait
 * behind user requests nor count against `maxConnectionsPerUpstream`.
 */
export class HealthChecker {
  private readonly agent: Agent;
  private readonly timers = new Map<Upstream, NodeJS.Timeout>();
  private readonly streak = new Map<Upstream, number>();
  readonly last = new Map<Upstream, ProbeResult>();
  private stopped = false;

  constructor(
    private readonly pool: UpstreamPool,
    private readonly config: HealthCheck,
    private readonly events: ProxyEvents,
  ) {
    this.agent = new (undici().Agent)({ connect: { timeout: config.timeout, rejectUnauthorized: true }, headersTimeout: config.timeout, bodyTimeout: config.timeout });
  }

  start(): void {
    for (const upstream of this.pool.upstreams) void this.probe(upstream);
  }

  async close(): Promise<void> {
    this.stopped = true;
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
    await this.agent.destroy();
  }

  private async probe(upstream: Upstream): Promise<void> {
    const result = await this.request(upstream.origin);
    if (this.stopped) return;
    this.last.set(upstream, result);
    this.record(upstream, result.status !== undefined && statusMatches(result.status, this.config.expectStatus), result);
    const timer = setTimeout(() => void this.probe(upstream), this.config.interval);
    timer.unref();
    this.timers.set(upstream, timer);
  }

  private async request(origin: string): Promise<ProbeResult> {
    const at = new Date().toISOString();
    try {
      const res = await undici().request(`${origin}${this.config.path}`, {
        dispatcher: this.agent,
        headers: { 'user-agent': 'gatehouse-health-check' },
        signal: AbortSignal.timeout(this.config.timeout),
      });
      // Read to the end so the connection is reused by the next probe.
      await res.body.dump();
      return { at, status: res.statusCode };
    } catch (err) {
      return { at, error: errorCode(err) };
    }
  }

  /** Counts passes (positive) or failures (negative) in a row and flips the state at the thresholds. */
  private record(upstream: Upstream, passed: boolean, result: ProbeResult): void {
    const previous = this.streak.get(upstream) ?? 0;
    const streak = passed ? Math.max(previous, 0) + 1 : Math.min(previous, 0) - 1;
    this.streak.set(upstream, streak);
    const labels = { upstream: upstream.origin };
    if (passed && !upstream.healthy && streak >= this.config.healthyThreshold) {
      if (this.pool.setHealthy(upstream, true)) this.events.upstreamHealthy(labels, { passes: streak });
    } else if (!passed && upstream.healthy && -streak >= this.config.unhealthyThreshold) {
      if (this.pool.setHealthy(upstream, false)) this.events.upstreamUnhealthy(labels, { fails: -streak, status: result.status, error: result.error });
    }
  }
}

/** "200" matches exactly; "2xx" matches the class. */
export function statusMatches(status: number, expect: string): boolean {
  return expect.endsWith('xx') ? Math.floor(status / 100) === Number(expect[0]) : status === Number(expect);
}

function errorCode(err: unknown): string {
  let current = err;
  for (let depth = 0; depth < 4; depth++) {
    const code = (current as { code?: unknown } | null)?.code;
    if (typeof code === 'string') return code;
    if (!(current instanceof Error) || current.cause === undefined) break;
    current = current.cause;
  }
  return current instanceof Error ? current.name : 'UNKNOWN';
}
