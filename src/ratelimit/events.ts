import type { Telemetry } from '../telemetry/telemetry.js';

/** The rate limiter's named internal events. Limited requests log at debug only: they can come in floods. */
export function rateLimitEvents(t: Telemetry) {
  return {
    rateLimited: t.event('rateLimited', 'Requests over their class limit (answered 429; pixels served but not recorded).', 'debug', ['class']),
    storeUnavailable: t.event(
      'rateLimitStoreUnavailable',
      'Times the shared Redis store became unreachable; limits then apply per instance, in memory.',
      'warn',
    ),
    storeAvailable: t.event('rateLimitStoreAvailable', 'Times the shared Redis store (re)connected.', 'info'),
  };
}

export type RateLimitEvents = ReturnType<typeof rateLimitEvents>;
