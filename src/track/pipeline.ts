import type { Spool } from '../spool/spool.js';
import { SpoolFullError } from '../spool/spool.js';
import type { Telemetry } from '../telemetry/telemetry.js';
import { encodeEvent } from './codec.js';
import type { TrackEvent } from './event.js';
import { serviceUnavailable } from '../server/errors.js';
import type { RequestTrace } from '../telemetry/tracing/index.js';

export type AcceptedListener = (events: readonly TrackEvent[]) => void;

/** The hand-off from the tracking surface to delivery: events are durable when `accept` resolves. */
export interface EventPipeline {
  /** `trace`: the request's, when tracing is on; the spool commit becomes a span of it. */
  accept(events: readonly TrackEvent[], trace?: RequestTrace | null): Promise<void>;
  /** Live view of accepted events (admin tail). Listeners must not block; returns an unsubscribe. */
  onAccepted(listener: AcceptedListener): () => void;
}

export function createEventPipeline(options: { spool: Spool; telemetry: Telemetry; retryAfterMs: number }): EventPipeline {
  const { spool, telemetry } = options;
  const accepted = telemetry.event('eventAccepted', 'Events durably accepted (spooled) and answered 2xx.', 'debug', ['origin']);
  const listeners = new Set<AcceptedListener>();
  const retryAfter = Math.max(1, Math.ceil(options.retryAfterMs / 1000));

  return {
    async accept(events, trace) {
      if (events.length === 0) return;
      const span = trace?.child('spool commit', 'internal', { 'gatehouse.events': events.length });
      try {
        await spool.append(events.map((e) => ({ id: e.eid, data: encodeEvent(e) })));
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
