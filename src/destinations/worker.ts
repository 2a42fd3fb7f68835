import type { BatchHandler, Delivery } from '../bus/bus.js';
import { decodeEvent } from '../track/codec.js';
import type { TrackEvent } from '../track/event.js';
import type { Destination } from './destination.js';
import { deliver, retryDelay } from './deliver.js';
import type { DestinationMetrics } from './metrics.js';
import { compileRoute } from './routing.js';

/** Where a destination's refused events go: the NATS dead-letter subject, or embedded mode's file. */
export type DeadLetterFn = (delivery: Delivery, reason: string, event: TrackEvent | undefined) => Promise<void>;

export interface WorkerOptions {
  readonly destination: Destination;
  readonly metrics: DestinationMetrics;
  readonly deadLetter: DeadLetterFn;
  /** Aborted at shutdown: an HTTP request in flight is cancelled and its events redelivered later. */
  readonly signal: AbortSignal;
}

export interface Worker {
  readonly handle: BatchHandler;
  /** Age of the oldest event in the batch in hand, 0 when idle. */
  oldestInHandMs(): number;
}

/**
 * One destination's consumer: decode → route → deliver → settle each message. Sent events are acked; refused
 * ones dead-lettered with the vendor's answer; retryable failures nak'd with Retry-After or backoff, until
 * `maxAttempts` deliveries, after which they too are dead-lettered. Events the rules do not send here are acked.
 */
export function createWorker({ destination, metrics, deadLetter, signal }: WorkerOptions): Worker {
  const route = compileRoute(destination.settings.match);
  const labels = { destination: destination.name };
  let oldestReceived: number | undefined;

  const bury = async (d: Delivery, reason: string, event: TrackEvent | undefined, why: string) => {
    metrics.failed({ ...labels, reason: why }, { id: d.id, why: reason });
    await deadLetter(d, `destination ${destination.name}: ${reason}`, event);
  };

  const handle: BatchHandler = async (batch) => {
    const routed: { d: Delivery; e: TrackEvent }[] = [];
    for (const d of batch) {
      let event: TrackEvent;
      try {
        event = decodeEvent(d.data);
      } catch (err) {
        await bury(d, `undecodable: ${(err as Error).message}`, undefined, 'invalid');
        continue;
      }
      if (route(event)) routed.push({ d, e: event });
      else await d.ack();
    }
    if (routed.length === 0) return;
    oldestReceived = Math.min(...routed.map((r) => Date.parse(r.e.received)));
    try {
      const outcomes = await deliver(destination, routed.map((r) => r.e), signal);
      let sent = 0;
      const retries: { why: string; delay: number }[] = [];
      await Promise.all(
        routed.map(async ({ d, e }, i) => {
          const outcome = outcomes[i] ?? { kind: 'retry' as const, reason: 'not attempted' };
          if (outcome.kind === 'sent') {
            await d.ack();
            sent++;
          } else if (outcome.kind === 'dead') {
            await bury(d, outcome.reason, e, 'rejected');
          } else if (d.deliveries >= destination.settings.maxAttempts) {
            await bury(d, `gave up after ${d.deliveries} attempts: ${outcome.reason}`, e, 'attempts');
          } else {
            const delay = retryDelay(destination.settings, d.deliveries, outcome.retryAfterMs);
            retries.push({ why: outcome.reason, delay });
            d.nak(delay);
          }
        }),
      );
      // Counted per batch, so an outage logs one line per attempt rather than one per event.
      if (sent > 0) metrics.sent(labels, { count: sent }, sent);
      const first = retries[0];
      if (first) metrics.retried(labels, { count: retries.length, why: first.why, retryInMs: first.delay }, retries.length);
    } finally {
      oldestReceived = undefined;
    }
  };

  return {
    handle,
    oldestInHandMs: () => (oldestReceived === undefined ? 0 : Math.max(0, Date.now() - oldestReceived)),
  };
}
