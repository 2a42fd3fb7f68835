import { up } from '../lifecycle/health.js';
import type { Sink } from '../sinks/sink.js';
import type { EmbeddedLane } from './embedded.js';

/**
 * The embedded store consumer's last sink: hands each stored batch to every destination's spool. Appends are
 * local and fast; a destination that is behind only fills its own spool, and a full one dead-letters rather
 * than failing this write, so storage is never held back by a destination.
 */
export function fanoutSink(lanes: readonly EmbeddedLane[]): Sink {
  return {
    name: 'destinations',
    start: async () => {},
    async write(batch) {
      await Promise.all(lanes.map((lane) => lane.enqueue(batch)));
    },
    // No writeRecords: service records (logs, counters) are not events; destinations do not receive them.
    healthcheck: async () => up(`${lanes.length} destinations`),
    close: async () => {},
  };
}
