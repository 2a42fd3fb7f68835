import type { BusMessage } from '../bus/bus.js';
import type { Spool } from '../spool/spool.js';
import { SpoolFullError } from '../spool/spool.js';
import type { Telemetry } from '../telemetry/telemetry.js';
import { encodeEvent } from './codec.js';
import type { TrackEvent } from './event.js';
import { HttpError, serviceUnavailable } from '../server/errors.js';
import type { RequestTrace } from '../telemetry/tracing/index.js';

export type AcceptedListener = (events: readonly TrackEvent[]) => void;

/** A request's events encoded as the spool stores them, every one within the size limit. */
export interface PreparedEvents {
  readonly events: readonly TrackEvent[];
  readonly records: readonly BusMessage[];
}

/** The hand-off from the tracking surface to delivery: events are durable when `accept` resolves. */
export interface EventPipeline {
  /**
   * Encodes the events for the spool. Throws 413 EVENT_TOO_LARGE when one is larger than `spool.maxEventSize`: a
   * check that can fail, so it runs before anything of the request is stored (and before its cookies are set).
   */
  prepare(events: readonly TrackEvent[]): PreparedEvents;
  /** `trace`: the request's, when tracing is on; the spool commit becomes a span of it. */
  accept(prepared: PreparedEvents, trace?: RequestTrace | null): Promise<void>;
  /** Live view of accepted events (admin tail). Listeners must not block; returns an unsubscribe. */
  onAccepted(listener: AcceptedListener): () => void;
}

/**
 * `maxEventBytes`: the largest encoded event accepted (`spool.maxEventSize`). Past the spool every event must be
 * deliverable and storable: one NATS message holds it (max_payload, 1 MB by default), and DuckDB's checkpoint and
 * exports hold a vector of 2,048 such events in its memory limit (docs/input-limits.md, "Event size").
 */
export function createEventPipeline(options: { spool: Spool; telemetry: Telemetry; retryAfterMs: number; maxEventBytes: number }): EventPipeline {
  const { spool, telemetry, maxEventBytes } = options;
  const accepted = telemetry.event('eventAccepted', 'Events durably accepted (spooled) and answered 2xx.', 'debug', ['origin']);
  const listeners = new Set<AcceptedListener>();
  const retryAfter = Math.max(1, Math.ceil(options.retryAfterMs / 1000));

  return {
    prepare(events) {
      const records = events.map((e, index) => {
        const data = encodeEvent(e);
        if (data.byteLength > maxEventBytes) {
          throw new HttpError(
            'EVENT_TOO_LARGE',
            `event ${index} is ${data.byteLength} bytes as stored, more than the ${maxEventBytes} accepted (spool.maxEventSize); nothing was stored`,
            { limit: maxEventBytes, size: data.byteLength, index },
          );
        }
        return { id: e.eid, data };
      });
      return { events, records };
    },
    async accept({ events, records }, trace) {
      if (events.length === 0) return;
      const span = trace?.child('spool commit', 'internal', { 'gatehouse.events': events.length });
      try {
        await spool.append(records);
        span?.end();
      } catch (err) {
        span?.end({ error: err instanceof SpoolFullError ? 'spool_full' : 'spool_write_failed' });
        if (err instanceof SpoolFullError) {
          throw serviceUnavailable('SPOOL_FULL', 'events cannot be stored right now; retry later', retryAfter);
        }
        throw serviceUnavailable('NOT_ACCEPTING', 'the gateway is not accepting events right now; retry later', retryAfter);
      }
      for (const e of events) accepted({ origin: e.origin });
      for (const l of listeners) l(events);
    },
    onAccepted(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}
