import { join } from 'node:path';
import type { Bus, Subscription } from '../bus/bus.js';
import type { BusConfig } from '../bus/config.js';
import type { SpoolConfig } from '../spool/config.js';
import type { DestinationsConfig } from './config.js';
import type { Sink } from '../sinks/sink.js';
import type { Telemetry } from '../telemetry/telemetry.js';
import { buildDestinations } from './build.js';
import type { Destination } from './destination.js';
import { createEmbeddedLane, type EmbeddedLane } from './embedded.js';
import { fanoutSink } from './fanout-sink.js';
import { destinationMetrics } from './metrics.js';
import { createWorker } from './worker.js';

export interface Destinations {
  readonly names: readonly string[];
  /**
   * Embedded mode: the sink that queues stored events for each destination. The store consumer writes it
   * after its own sinks, so destinations only ever see stored events. Undefined with NATS or no destinations.
   */
  readonly sink?: Sink;
  start(): Promise<void>;
  close(): Promise<void>;
}

export interface DestinationsOptions {
  readonly config: { readonly destinations: DestinationsConfig; readonly spool: SpoolConfig; readonly bus: BusConfig };
  readonly bus: Bus;
  readonly telemetry: Telemetry;
}

/**
 * Every enabled destination, each consuming on its own so none holds back storage or the others. With NATS, a
 * durable JetStream consumer per destination on the event subject (dead letters to the dead-letter subject, with
 * the vendor's answer in the reason header); in embedded mode, a spool per destination (see embedded.ts).
 */
export function createDestinations({ config, bus, telemetry }: DestinationsOptions): Destinations {
  const destinations = buildDestinations(config.destinations);
  const names = destinations.map((d) => d.name);
  if (destinations.length === 0) return { names, start: async () => {}, close: async () => {} };
  if (bus.kind === 'nats') return natsDestinations(destinations, config, bus, telemetry);

  const base = config.destinations.dir || join(config.spool.dir, 'destinations');
  const metrics = destinationMetrics(telemetry);
  const lanes: EmbeddedLane[] = destinations.map((destination) =>
    createEmbeddedLane({ destination, spool: config.spool, dir: join(base, destination.name), maxBytes: config.destinations.spoolMaxBytes, telemetry, metrics }),
  );
  return {
    names,
    sink: fanoutSink(lanes),
    async start() {
      for (const lane of lanes) await lane.start();
    },
    async close() {
      await Promise.all(lanes.map((lane) => lane.close()));
    },
  };
}

function natsDestinations(destinations: Destination[], config: DestinationsOptions['config'], bus: Bus, telemetry: Telemetry): Destinations {
  const metrics = destinationMetrics(telemetry);
  const abort = new AbortController();
  let subscriptions: Subscription[] = [];
  const unprobes: (() => void)[] = [];
  return {
    names: destinations.map((d) => d.name),
    async start() {
      for (const destination of destinations) {
        const durable = `${config.destinations.durablePrefix}${destination.name}`;
        const worker = createWorker({
          destination,
          metrics,
          signal: abort.signal,
          deadLetter: (delivery, reason) => delivery.deadLetter(reason),
        });
        const { settings } = destination;
        subscriptions.push(
          bus.subscribe(
            { durable, subject: config.bus.nats.subject, batchSize: settings.batchSize, batchWaitMs: settings.batchWait, maxDeliver: settings.maxAttempts },
            worker.handle,
          ),
        );
        const pending = async () => {
          const lag = await bus.lag?.(durable);
          return lag ? lag.pending + lag.ackPending : NaN;
        };
        unprobes.push(metrics.probe(destination.name, { pending, oldestInHandMs: worker.oldestInHandMs }));
      }
    },
    async close() {
      abort.abort();
      for (const unprobe of unprobes.splice(0)) unprobe();
      const subs = subscriptions;
      subscriptions = [];
      await Promise.all(subs.map((s) => s.close().catch(() => undefined)));
    },
  };
}
