import type { Telemetry } from '../telemetry/telemetry.js';

/**
 * The static file server's named internal events. `variant` is "identity", "br" or "gzip": bounded, so safe
 * as a label. Logged at debug only: these happen on every request.
 */
export function staticEvents(t: Telemetry) {
  return {
    cacheHit: t.event('staticCacheHit', 'Static files answered from the in-memory cache.', 'debug', ['variant']),
    cacheMiss: t.event('staticCacheMiss', 'Static files read from disk (or compressed) because the cache held no current copy.', 'debug', ['variant']),
  };
}

export type StaticEvents = ReturnType<typeof staticEvents>;
