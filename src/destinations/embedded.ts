import { join } from 'node:path';
import { LRUCache } from 'lru-cache';
import { createMemoryBus } from '../bus/memory.js';
import type { Subscription } from '../bus/bus.js';
import { createSpool, SpoolFullError, type SpoolConfig } from '../spool/index.js';
import { Telemetry } from '../telemetry/telemetry.js';
import { encodeEvent } from '../track/codec.js';
import type { TrackEvent } from '../track/event.js';
import type { Destination } from './destination.js';
import { deadLetterFile } from './dead-letter-file.js';
import type { DestinationMetrics } from './metrics.js';
import { compileRoute } from './routing.js';
import { createWorker } from './worker.js';

export interface EmbeddedLaneOptions {
  readonly destination: Destination;
  readonly spool: SpoolConfig;
  /** This destination's directory: its spool and its dead-letter file. */
  readonly dir: string;
  readonly maxBytes: number;
  readonly telemetry: Telemetry;
  readonly metrics: DestinationMetrics;
}

/** One destination in embedded mode: a durable spool of its own, drained by its worker. */
export interface EmbeddedLane {
  readonly name: string;
  start(): Promise<void>;
  /** Durably queues the events this destination routes to itself. A full spool dead-letters them instead. */
  enqueue(events: readonly TrackEvent[]): Promise<void>;
  close(): Promise<void>;
}

/** Time a closing lane lets its spool forward; the rest stays on disk for the next start. */
const CLOSE_BUDGET_MS = 500;

/**
 * Why a spool per destination: the in-process bus's publish waits for every subscriber group, so a destination
 * subscribed to the gateway's bus would hold back storage. Here the store consumer hands stored events to each
 * lane's spool (a local append), and the lane's forwarder feeds a private in-process bus read by the worker: a
 * slow or failing destination only grows its own spool.
 */
export function createEmbeddedLane(options: EmbeddedLaneOptions): EmbeddedLane {
  const { destination, metrics } = options;
  const name = destination.name;
  // Its own registry: the spool and bus define fixed metric names, one set per registry.
  const telemetry = new Telemetry(options.telemetry.log.child({ destination: name }), { defaultMetrics: false });
  const settings = destination.settings;
  const bus = createMemoryBus({ telemetry, ackWaitMs: Math.max(60_000, settings.timeout * 6) });
  const spool = createSpool({
    config: { ...options.spool, dir: join(options.dir, 'spool'), maxBytes: options.maxBytes, publishBatch: settings.batchSize },
    bus,
    telemetry,
  });
  const deadLetters = deadLetterFile(join(options.dir, 'dead-letter.jsonl'));
  const route = compileRoute(settings.match);
  // A store batch redelivered after a partial failure must not queue its events here twice.
  const recent = new LRUCache<string, true>({ max: 100_000 });
  const abort = new AbortController();
  const worker = createWorker({
    destination,
    metrics,
    signal: abort.signal,
    deadLetter: async (delivery, reason, event) => {
      await deadLetters.append({ at: new Date().toISOString(), destination: name, id: delivery.id, reason, event: event ?? Buffer.from(delivery.data).toString('utf8') });
      await delivery.ack();
    },
  });
  let subscription: Subscription | undefined;
  let unprobe: (() => void) | undefined;

  return {
    name,
    async start() {
      await spool.start();
      subscription = bus.subscribe(
        { durable: 'destination', batchSize: settings.batchSize, batchWaitMs: settings.batchWait, maxDeliver: settings.maxAttempts },
        worker.handle,
      );
      unprobe = metrics.probe(name, { pending: async () => spool.stats().pendingRecords, oldestInHandMs: worker.oldestInHandMs });
    },
    async enqueue(events) {
      const fresh = events.filter((e) => route(e) && !recent.has(e.eid));
      if (fresh.length === 0) return;
      try {
        await spool.append(fresh.map((e) => ({ id: e.eid, data: encodeEvent(e) })));
      } catch (err) {
        if (!(err instanceof SpoolFullError)) throw err;
        metrics.failed({ destination: name, reason: 'spool_full' }, { count: fresh.length }, fresh.length);
        for (const e of fresh) {
          await deadLetters.append({ at: new Date().toISOString(), destination: name, id: e.eid, reason: `destination ${name}: its spool is full`, event: e });
        }
      }
      for (const e of fresh) recent.set(e.eid, true);
    },
    async close() {
      abort.abort();
      unprobe?.();
      await subscription?.close();
      await bus.close();
      await spool.close(CLOSE_BUDGET_MS);
      await deadLetters.close();
    },
  };
}
