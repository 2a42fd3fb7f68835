import { AggregatorRegistry } from 'prom-client';
import type { Logger } from 'pino';
import { Telemetry } from '../telemetry/telemetry.js';

/**
 * The primary's telemetry: its own registry (consumer, store, admin listener, supervisor) plus every worker's,
 * merged by prom-client's AggregatorRegistry (counters and histograms summed, process gauges by their own
 * aggregators), so `/metrics` describes the whole server as one target.
 *
 * The primary asks the workers itself rather than through `AggregatorRegistry.clusterMetrics()`, which returns
 * only the workers' metrics as text and so cannot be merged with the primary's own without duplicate families.
 */
export class ClusterTelemetry extends Telemetry {
  constructor(
    log: Logger,
    private readonly workerMetrics: () => Promise<unknown[][]>,
  ) {
    super(log);
  }

  override async metrics(): Promise<string> {
    const [own, workers] = await Promise.all([this.registry.getMetricsAsJSON(), this.workerMetrics()]);
    return AggregatorRegistry.aggregate([own, ...workers]).metrics();
  }
}
