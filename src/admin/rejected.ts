import type { Telemetry } from '../telemetry/telemetry.js';

export interface RejectedCount {
  reason: string;
  route: string;
  count: number;
}

const METRIC = 'gatehouse_event_rejected_total';

/**
 * Events refused by reason and route, from the process's own counter (`eventRejected`). Rejected events are
 * never stored, so this is the only source: it counts since this process started, whatever range was asked.
 */
export async function rejectedCounts(telemetry: Telemetry): Promise<RejectedCount[]> {
  const metric = telemetry.registry.getSingleMetric(METRIC);
  if (!metric) return [];
  const { values } = await metric.get();
  return values
    .filter((v) => v.value > 0)
    .map((v) => ({ reason: String(v.labels.reason ?? ''), route: String(v.labels.route ?? ''), count: v.value }))
    .sort((a, b) => b.count - a.count || a.reason.localeCompare(b.reason));
}
