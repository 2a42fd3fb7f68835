import type { Telemetry } from '../telemetry/telemetry.js';

/** The named internal events of TLS, one counter and one log line each. */
export interface TlsEvents {
  certIssued: (labels: { name: string }, fields?: Record<string, unknown>) => void;
  certRenewed: (labels: { name: string }, fields?: Record<string, unknown>) => void;
  certRenewFailed: (labels: { name: string; code: string }, fields?: Record<string, unknown>) => void;
  certReloaded: (labels: { name: string }, fields?: Record<string, unknown>) => void;
  certReloadFailed: (labels: { name: string }, fields?: Record<string, unknown>) => void;
  /** Labels are bounded (never the name: a flood of random names must not grow the registry). */
  onDemandAsked: (labels: { result: 'allowed' | 'refused' | 'error' }, fields?: Record<string, unknown>) => void;
  onDemandRefused: (labels: { reason: 'invalid' | 'cached' | 'ask' | 'rate' }, fields?: Record<string, unknown>) => void;
  onDemandOrdered: (labels: Record<never, string>, fields?: Record<string, unknown>) => void;
}

// prom-client refuses a second counter of the same name in one registry, so a Telemetry defines these once.
const cache = new WeakMap<Telemetry, TlsEvents>();

export function tlsEvents(telemetry: Telemetry): TlsEvents {
  let events = cache.get(telemetry);
  if (!events) {
    events = {
      certIssued: telemetry.event('certIssued', 'ACME certificates obtained for a name that had none.', 'info', ['name']),
      certRenewed: telemetry.event('certRenewed', 'ACME certificates replaced before expiry.', 'info', ['name']),
      certRenewFailed: telemetry.event(
        'certRenewFailed',
        'Failed ACME issuances or renewals; the name is retried with backoff.',
        'warn',
        ['name', 'code'],
      ),
      certReloaded: telemetry.event('certReloaded', 'Static certificates loaded again after their files changed.', 'info', ['name']),
      certReloadFailed: telemetry.event(
        'certReloadFailed',
        'Changed static certificate files that did not load; the old certificate is kept.',
        'warn',
        ['name'],
      ),
      onDemandAsked: telemetry.event('tlsOnDemandAsked', 'Calls of the on-demand ask URL, by answer.', 'debug', ['result']),
      onDemandRefused: telemetry.event(
        'tlsOnDemandRefused',
        'On-demand handshakes refused without an order: invalid name, refused by ask (now or cached), order rate limit.',
        'debug',
        ['reason'],
      ),
      onDemandOrdered: telemetry.event('tlsOnDemandOrdered', 'On-demand certificate orders started (each allowed by ask).', 'info', []),
    };
    cache.set(telemetry, events);
  }
  return events;
}
