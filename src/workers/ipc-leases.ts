import { NOTHING_RETURNED, type LeaseCoordinator, type LeaseGrant, type LeaseRequest, type Returned } from '../ratelimit/index.js';
import type { PrimaryChannel } from './primary-channel.js';

/** A lease request waits at most this long; then the worker limits on its own for the window (lease-limiter.ts). */
const LEASE_TIMEOUT_MS = 1_000;

/** The primary's rate-limit ledger, seen from a worker: lease requests out, reclaims in. */
export function ipcLeaseCoordinator(channel: PrimaryChannel, workers: number): LeaseCoordinator {
  // The limiters of the running config answer; an app built by a reload replaces the handler (its counts start
  // afresh, as the primary's do).
  let answer: ((request: LeaseRequest) => Returned) | undefined;
  channel.on((message) => {
    if (message.gh === 'reclaim') channel.notify({ gh: 'reclaimed', id: message.id, returned: answer?.(message.request) ?? NOTHING_RETURNED });
  });
  return {
    workers,
    lease: async (request) => (await channel.call({ gh: 'lease', request }, LEASE_TIMEOUT_MS)) as LeaseGrant,
    onReclaim(handler) {
      answer = handler;
    },
  };
}
