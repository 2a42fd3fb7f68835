import { Gauge } from 'prom-client';
import type { Telemetry } from '../telemetry/telemetry.js';
import { ScrapeReading } from '../telemetry/scrape-reading.js';

/** How far a destination is behind: events waiting for it, and the age of the oldest event in hand. */
export interface LagProbe {
  pending(): Promise<number>;
  oldestInHandMs(): number;
}

function build(t: Telemetry) {
  // With NATS, pending is a JetStream API call: across an outage a scrape waits for it only briefly.
  const probes = new Map<string, { probe: LagProbe; pending: ScrapeReading<number> }>();
  const pendingGauge = new Gauge({
    name: 'gatehouse_destination_pending_events',
    help: 'Events waiting for a destination in embedded mode (its spool); with NATS, messages (packs of events) its JetStream consumer has not taken.',
    labelNames: ['destination'],
    registers: [t.registry],
    async collect() {
      const read = await Promise.all([...probes].map(async ([name, { pending }]) => [name, await pending.current()] as const));
      for (const [name, n] of read) if (n !== undefined && Number.isFinite(n)) this.set({ destination: name }, n);
    },
  });
  const lagGauge = new Gauge({
    name: 'gatehouse_destination_lag_seconds',
    help: 'Age of the oldest event a destination is working on (0 when idle).',
    labelNames: ['destination'],
    registers: [t.registry],
    collect() {
      for (const [name, { probe }] of probes) this.set({ destination: name }, probe.oldestInHandMs() / 1000);
    },
  });
  return {
    sent: t.event('destinationSent', 'Events delivered to a destination.', 'debug', ['destination']),
    retried: t.event('destinationRetried', 'Events whose delivery failed and will be retried.', 'warn', ['destination']),
    failed: t.event('destinationFailed', 'Events a destination refused for good (or gave up on), moved to its dead letters.', 'error', ['destination', 'reason']),
    probe(name: string, probe: LagProbe): () => void {
      probes.set(name, { probe, pending: new ScrapeReading(() => probe.pending()) });
      return () => {
        probes.delete(name);
        pendingGauge.remove({ destination: name });
        lagGauge.remove({ destination: name });
      };
    },
  };
}

export type DestinationMetrics = ReturnType<typeof build>;

const cache = new WeakMap<Telemetry, DestinationMetrics>();

/** Built once per Telemetry: a registry refuses a metric name twice. */
export function destinationMetrics(telemetry: Telemetry): DestinationMetrics {
  let metrics = cache.get(telemetry);
  if (!metrics) {
    metrics = build(telemetry);
    cache.set(telemetry, metrics);
  }
  return metrics;
}
