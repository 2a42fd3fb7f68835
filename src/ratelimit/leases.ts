import type { LimitedClass } from './config.js';

/**
 * Limits shared by the worker processes of one host (`server.workers` > 1, memory store). The primary holds the
 * count of each client per window; workers spend leases of it locally, so a limit check costs no IPC until a
 * worker's lease of a client runs out. See docs/workers.md for the protocol and its bounds.
 */

/** One client's window of one class. `window` is `floor(epoch ms / duration)`: every process agrees on it. */
export interface LeaseRequest {
  readonly cls: LimitedClass;
  readonly key: string;
  readonly window: number;
}

/**
 * The primary's answer to a worker that ran out. `tokens`: of the sustained window (`points`); `burst`: of the burst
 * allowance, spendable after them until `burstEnd` (epoch ms; a burst window outlives sustained ones). When nothing
 * is leased, no token of this client can exist before `retryAt` (epoch ms), so the worker refuses locally until then.
 */
export interface LeaseGrant {
  readonly tokens: number;
  readonly burst: number;
  readonly burstEnd: number;
  readonly retryAt: number;
}

/** What a worker gives back when the primary reclaims a client's window: unspent sustained and burst tokens. */
export interface Returned {
  readonly tokens: number;
  readonly burst: number;
  readonly burstEnd: number;
}

export const NOTHING_RETURNED: Returned = Object.freeze({ tokens: 0, burst: 0, burstEnd: 0 });

/** A worker's link to the primary's ledger. */
export interface LeaseCoordinator {
  /** Worker processes sharing the limits (each starts a window with its share, `floor(points / workers)`). */
  readonly workers: number;
  lease(request: LeaseRequest): Promise<LeaseGrant>;
  /**
   * Sets what answers the primary's reclaims: the worker gives back what it has not spent of a client's window
   * (and spends nothing more of it without asking), with its burst lease.
   */
  onReclaim(handler: (request: LeaseRequest) => Returned): void;
}

/** The window a time falls in; aligned to the epoch, so all processes agree without talking. */
export const windowOf = (nowMs: number, durationMs: number): number => Math.floor(nowMs / durationMs);
