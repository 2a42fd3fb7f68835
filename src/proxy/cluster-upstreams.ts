import { IN_FLIGHT_METRIC, UP_METRIC } from './upstream-directory.js';

/** One upstream as seen across the worker processes (`server.workers` > 1). */
export interface ClusterUpstreamStatus {
  readonly route: string;
  readonly url: string;
  /** In the rotation of every worker. */
  readonly up: boolean;
  /** How many workers have it in their rotation, of how many report it. */
  readonly upIn: number;
  readonly workers: number;
  readonly inFlight: number;
}

interface MetricJson {
  readonly name?: unknown;
  readonly values?: readonly { readonly labels?: Record<string, unknown>; readonly value?: unknown }[];
}

/**
 * With several workers each one balances and health-checks on its own and the primary serves the admin API: the
 * primary reads the upstream gauges from each worker's metrics (`registry.getMetricsAsJSON()`, the same
 * collection that feeds `/metrics`) and answers `GET /admin/upstreams` from them.
 */
export function clusterUpstreams(perWorker: readonly (readonly unknown[])[]): ClusterUpstreamStatus[] {
  const byKey = new Map<string, { route: string; url: string; upIn: number; workers: number; inFlight: number }>();
  const row = (labels: Record<string, unknown> | undefined) => {
    const route = String(labels?.route ?? '');
    const url = String(labels?.upstream ?? '');
    const key = `${route} ${url}`;
    let entry = byKey.get(key);
    if (!entry) byKey.set(key, (entry = { route, url, upIn: 0, workers: 0, inFlight: 0 }));
    return entry;
  };
  for (const metrics of perWorker) {
    for (const metric of metrics as readonly MetricJson[]) {
      if (metric.name !== UP_METRIC && metric.name !== IN_FLIGHT_METRIC) continue;
      for (const v of metric.values ?? []) {
        const entry = row(v.labels);
        const value = Number(v.value ?? 0);
        if (metric.name === UP_METRIC) {
          entry.workers++;
          if (value > 0) entry.upIn++;
        } else entry.inFlight += value;
      }
    }
  }
  return [...byKey.values()].map((e) => ({ ...e, up: e.workers > 0 && e.upIn === e.workers }));
}
