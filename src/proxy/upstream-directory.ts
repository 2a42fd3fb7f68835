import { Gauge } from 'prom-client';
import type { Telemetry } from '../telemetry/telemetry.js';
import type { HealthChecker, ProbeResult } from './health-checker.js';
import type { UpstreamPool } from './upstream-pool.js';

/** One upstream as the admin API shows it. */
export interface UpstreamStatus {
  readonly route: string;
  readonly url: string;
  readonly weight: number;
  /** In the rotation: healthy by its active check and not marked down after a failed connection. */
  readonly up: boolean;
  /** The active check's verdict (true when the route has none). */
  readonly healthy: boolean;
  /** Left out until this time after a failed connection (passive check), when it is. */
  readonly downUntil?: string;
  readonly inFlight: number;
  readonly lastCheck?: ProbeResult;
}

export const UP_METRIC = 'gatehouse_upstream_up';
export const IN_FLIGHT_METRIC = 'gatehouse_upstream_requests_in_flight';

interface Entry {
  readonly route: string;
  readonly pool: UpstreamPool;
  readonly checker?: HealthChecker;
}

/**
 * Every route's upstream pool, so their states can be read where the proxy does not live: `/metrics`
 * (`gatehouse_upstream_up{route,upstream}`, read at scrape time) and the admin API (`GET /admin/upstreams`).
 */
export class UpstreamDirectory {
  private readonly entries: Entry[] = [];

  add(route: string, pool: UpstreamPool, checker?: HealthChecker): void {
    this.entries.push({ route, pool, ...(checker ? { checker } : {}) });
  }

  /**
   * A config reload: from now on list the pools of `next` (the new app's) instead. The old pools' health checkers
   * stop when the old app closes, once its last proxied request has finished.
   */
  replaceWith(next: UpstreamDirectory): void {
    this.entries.splice(0, this.entries.length, ...next.entries);
  }

  snapshot(now = Date.now()): UpstreamStatus[] {
    return this.entries.flatMap(({ route, pool, checker }) =>
      pool.upstreams.map((u) => {
        const lastCheck = checker?.last.get(u);
        return {
          route,
          url: u.origin,
          weight: u.weight,
          up: pool.inRotation(u),
          healthy: u.healthy,
          ...(u.downUntil > now ? { downUntil: new Date(u.downUntil).toISOString() } : {}),
          inFlight: u.inFlight,
          ...(lastCheck ? { lastCheck } : {}),
        };
      }),
    );
  }

  /** Registers the gauges on this process's registry; their values are read from the pools at each scrape. */
  registerMetrics(telemetry: Telemetry): void {
    // With several workers the primary merges their registries: an upstream counts as up only when every worker
    // has it in the rotation (min); requests in flight add up (sum).
    this.gauge(
      telemetry,
      UP_METRIC,
      'Whether an upstream is in its route rotation (1) or out of it (0): failed active health check or failed connection.',
      'min',
      (s) => (s.up ? 1 : 0),
    );
    this.gauge(telemetry, IN_FLIGHT_METRIC, 'Proxied requests sent to an upstream that have not finished yet.', 'sum', (s) => s.inFlight);
  }

  private gauge(telemetry: Telemetry, name: string, help: string, aggregator: 'min' | 'sum', value: (s: UpstreamStatus) => number): void {
    // One gauge per registry: an app built again on the same telemetry keeps reading the first directory.
    if (telemetry.registry.getSingleMetric(name)) return;
    const snapshot = () => this.snapshot();
    new Gauge({
      name,
      help,
      aggregator,
      labelNames: ['route', 'upstream'],
      registers: [telemetry.registry],
      collect() {
        this.reset();
        for (const s of snapshot()) this.set({ route: s.route, upstream: s.url }, value(s));
      },
    });
  }
}
