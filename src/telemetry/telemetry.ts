import { Counter, Registry, collectDefaultMetrics } from 'prom-client';
import type { Logger } from 'pino';

type Level = 'debug' | 'info' | 'warn' | 'error';

/**
 * Metrics and logs for one process. Each app builds its own (no global registry), so tests can run several.
 * Components define their named internal events with `event()` in their own `events.ts`.
 */
export class Telemetry {
  readonly registry = new Registry();

  constructor(readonly log: Logger, options: { defaultMetrics?: boolean } = {}) {
    // The standard process_* and nodejs_* series, under their usual names, so stock Node.js dashboards work.
    if (options.defaultMetrics !== false) collectDefaultMetrics({ register: this.registry });
  }

  /**
   * A named internal event: one observable fact that both logs (at `level`) and counts
   * (`gatehouse_<name>_total{labels}`). `by` adds more than one at a time (a batch).
   */
  event<L extends string>(name: string, help: string, level: Level, labelNames: readonly L[] = []) {
    const metric = `gatehouse_${toSnake(name)}_total`;
    // A config reload builds the request handling again on the same registry: its events keep counting where
    // the previous build's left off (prom-client refuses a second metric of one name).
    const counter =
      (this.registry.getSingleMetric(metric) as Counter<L> | undefined) ??
      new Counter({ name: metric, help, labelNames: labelNames as L[], registers: [this.registry] });
    const log = this.log;
    return (labels: Record<L, string>, fields: Record<string, unknown> = {}, by = 1): void => {
      counter.inc(labels as Partial<Record<L, string>>, by);
      if (log.isLevelEnabled(level)) log[level]({ event: name, ...labels, ...fields });
    };
  }

  metrics(): Promise<string> {
    return this.registry.metrics();
  }
}

function toSnake(name: string): string {
  return name.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toLowerCase();
}
