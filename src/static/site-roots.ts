import { resolve } from 'node:path';
import { hostConstraint } from '../proxy/host-match.js';

export interface SiteRoots {
  /** The absolute root directory for a request's Host header (`host`, port included or not). */
  rootFor(host: string | undefined): string;
  /** Every distinct root, for start-up checks. */
  readonly all: readonly string[];
}

/**
 * Per-host document roots, matched like proxy routes (exact or one-label wildcard, any port, case-insensitive),
 * first match wins; every other host, or a request without Host, gets the default root.
 */
export function siteRoots(defaultRoot: string, hosts: readonly { host: string; root: string }[]): SiteRoots {
  const fallback = resolve(defaultRoot);
  const table = hosts.map((h) => ({ match: hostConstraint(h.host), root: resolve(h.root) }));
  return {
    rootFor(host) {
      if (host === undefined) return fallback;
      return table.find((t) => t.match.test(host))?.root ?? fallback;
    },
    all: [...new Set([fallback, ...table.map((t) => t.root)])],
  };
}
