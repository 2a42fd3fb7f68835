import { Histogram } from 'prom-client';
import type { Bus, Delivery, Subscription } from '../bus/bus.js';
import type { Sink } from '../sinks/sink.js';
import type { Telemetry } from '../telemetry/telemetry.js';
import type { TrackEvent } from '../track/event.js';
import { decodeEvent, EventDecodeError } from '../track/codec.js';
import { subscribeOptions, type ConsumerConfig } from './config.js';
import { consumerLagMetrics } from './lag-metrics.js';
import { serviceSubscriptions } from './service-messages.js';
import { down, up, type Health } from '../lifecycle/health.js';
import { redeliveryDelay } from './redelivery.js';
import { tooLarge } from './message-size.js';

export interface Consumer {
  start(): Promise<void>;
  healthcheck(): Promise<Health>;
  close(): Promise<void>;
}

export interface ConsumerOptions {
  readonly config: ConsumerConfig;
  readonly bus: Bus;
  readonly sinks: readonly Sink[];
  readonly telemetry: Telemetry;
  /** The subject events arrive on (for NATS: the stream's event subject). */
  readonly subject?: string;
  /**
   * The largest message stored (`spool.maxEventSize`): a larger one, which no gateway of this config accepts (another
   * producer's, or a gateway's with a larger limit), is dead-lettered rather than written, as a store could not hold
   * it (docs/input-limits.md, "Event size"). Absent: no bound.
   */
  readonly maxMessageBytes?: number;
}

/**
 * bus → decode+validate → every sink → ack. A message is acked only once every sink holds it; sinks are
 * idempotent by id, so a redelivery after a partial failure doubles nothing. A message that cannot be
 * decoded, or keeps failing past maxDeliver, goes to the dead-letter subject with the reason.
 */
export function createConsumer(options: ConsumerOptions): Consumer {
  const { config, bus, sinks, telemetry } = options;
  const written = telemetry.event('consumerEventsStored', 'Events written to every sink and acked.', 'debug');
  const sinkFailed = telemetry.event('sinkWriteFailed', 'A batch write to a sink failed; the batch is retried.', 'warn', ['sink']);
  const deadLettered = telemetry.event('consumerDeadLettered', 'Messages sent to the dead-letter subject.', 'error', ['reason']);
  const batchSizes = new Histogram({
    name: 'gatehouse_consumer_batch_size',
    help: 'Events per batch handed to the sinks (a NATS message may be a pack of several).',
    buckets: [1, 10, 50, 100, 250, 500, 1000, 5000],
    registers: [telemetry.registry],
  });
  const writeLatency = new Histogram({
    name: 'gatehouse_sink_write_duration_seconds',
    help: 'Time to write one batch, by sink.',
    labelNames: ['sink'],
    buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5],
    registers: [telemetry.registry],
  });
  const readLag = bus.lag?.bind(bus);
  if (readLag) consumerLagMetrics(telemetry.registry, () => readLag(config.durable));
  let subscriptions: Subscription[] = [];
  let lastError: string | undefined;

  const writeAll = async (events: TrackEvent[]) => {
    for (const sink of sinks) {
      const stop = writeLatency.startTimer({ sink: sink.name });
      try {
        await sink.write(events);
      } catch (err) {
        sinkFailed({ sink: sink.name }, { err: (err as Error).message, batch: events.length });
        throw err;
      } finally {
        stop();
      }
    }
  };

  const handle = async (batch: Delivery[]) => {
    batchSizes.observe(batch.length);
    const events: TrackEvent[] = [];
    const valid: Delivery[] = [];
    for (const d of batch) {
      const large = tooLarge(d.data, options.maxMessageBytes);
      if (large) {
        deadLettered({ reason: 'too_large' }, { id: d.id, why: large });
        await d.deadLetter(large);
        continue;
      }
      try {
        events.push(decodeEvent(d.data));
        valid.push(d);
      } catch (err) {
        const reason = err instanceof EventDecodeError ? err.message : 'undecodable';
        deadLettered({ reason: 'invalid' }, { id: d.id, why: reason });
        await d.deadLetter(reason);
      }
    }
    if (valid.length === 0) return;
    try {
      await writeAll(events);
      lastError = undefined;
    } catch (err) {
      lastError = (err as Error).message;
      await settleFailure(valid, lastError, config, deadLettered);
      return;
    }
    await Promise.all(valid.map((d) => d.ack()));
    written({}, { count: valid.length }, valid.length);
  };

  return {
    async start() {
      subscriptions = [bus.subscribe(subscribeOptions(config, config.durable, options.subject), handle)];
      if (config.serviceSubjects.enabled && bus.capabilities.foreignSubjects) {
        subscriptions.push(...serviceSubscriptions({ config, bus, sinks, telemetry, maxMessageBytes: options.maxMessageBytes }));
      }
    },
    async healthcheck() {
      const results = await Promise.all(sinks.map(async (s) => [s.name, await s.healthcheck()] as const));
      const bad = results.find(([, h]) => h.status === 'down');
      if (bad) return down(`sink ${bad[0]}: ${(bad[1] as { reason: string }).reason}`);
      return lastError ? down(`last write failed: ${lastError}`) : up();
    },
    async close() {
      const subs = subscriptions;
      subscriptions = [];
      await Promise.all(subs.map((s) => s.close().catch(() => undefined)));
    },
  };
}

/** Exponential backoff per delivery, capped; the last allowed delivery goes to the dead-letter subject. */
async function settleFailure(
  batch: Delivery[],
  reason: string,
  config: ConsumerConfig,
  deadLettered: (labels: { reason: string }, fields?: Record<string, unknown>) => void,
): Promise<void> {
  for (const d of batch) {
    if (d.deliveries >= config.maxDeliver) {
      deadLettered({ reason: 'sink_failed' }, { id: d.id, why: reason });
      await d.deadLetter(`sink write failed after ${d.deliveries} deliveries: ${reason}`);
    } else {
      d.nak(redeliveryDelay(config.retryBackoff, d.deliveries));
    }
  }
}

