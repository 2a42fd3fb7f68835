import type { Telemetry } from '../telemetry/telemetry.js';

/**
 * The proxy's named internal events. An upstream label is bounded by the configured upstream list, so it is
 * safe as a metric label.
 */
export function proxyEvents(t: Telemetry) {
  return {
    upstreamFailed: t.event('upstreamFailed', 'Proxied requests that failed at the upstream (answered 502/504).', 'warn', ['upstream']),
    upstreamDown: t.event(
      'upstreamDown',
      'Upstreams taken out of the rotation after a connection failure (for retryAfterFailure).',
      'warn',
      ['upstream'],
    ),
  };
}

export type ProxyEvents = ReturnType<typeof proxyEvents>;
