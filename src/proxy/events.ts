import type { Telemetry } from '../telemetry/telemetry.js';

/**
 * The proxy's named internal events. An upstream label is bounded by the configured upstream list, so it is
 * safe as a metric label.
 */
export function proxyEvents(t: Telemetry) {
  return {
    upstreamFailed: t.event('upstreamFailed', 'Attempts that failed at an upstream (no connection, reset, timeout); a retried request may still be answered by another upstream.', 'warn', ['upstream']),
    upstreamDown: t.event(
      'upstreamDown',
      'Upstreams taken out of the rotation after a connection failure (for retryAfterFailure).',
      'warn',
      ['upstream'],
    ),
    upstreamUnhealthy: t.event('upstreamUnhealthy', 'Upstreams taken out of the rotation by their active health check.', 'warn', ['upstream']),
    upstreamHealthy: t.event('upstreamHealthy', 'Upstreams brought back into the rotation by their active health check.', 'info', ['upstream']),
    upstreamRetried: t.event('upstreamRetried', 'Proxied requests sent again to another upstream after the first could not be reached.', 'debug', ['upstream']),
  };
}

export type ProxyEvents = ReturnType<typeof proxyEvents>;
