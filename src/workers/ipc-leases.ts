import type { LeaseCoordinator, LeaseGrant } from '../ratelimit/index.js';
import type { PrimaryChannel } from './primary-channel.js';

/** A lease request waits at most this long; then the worker limits on its own for the window (lease-limiter.ts). */
const LEASE_TIMEOUT_MS = 1_000;

/** The primary's rate-limit ledger, seen from a worker: lease requests out, reclaims in. */
export function ipcLeaseCoordinator(channel: PrimaryChannel, workers: number): LeaseCoordinator {
  return {
    workers,
    lease: async (request) => (await channel.call({ gh: 'lease', request }, LEASE_TIMEOUT_MS)) as LeaseGrant,
    onReclaim(handler) {
      channel.on((message) => {
        if (message.gh === 'reclaim') channel.notify({ gh: 'reclaimed', id: message.id, returned: handler(message.request) });
      });
    },
  };
}
