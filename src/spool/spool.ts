import type { BusMessage } from '../bus/bus.js';

export interface SpoolStats {
  /** Bytes not yet forwarded. */
  readonly pendingBytes: number;
  readonly pendingRecords: number;
  /** Age of the oldest unforwarded record, 0 when empty. */
  readonly oldestAgeMs: number;
  readonly maxBytes: number;
  /**
   * The spool refuses appends: it is at maxBytes, or an append of the size it last refused would still not fit.
   * (Appends are refused before pendingBytes reaches maxBytes, so pendingBytes alone never says "full".)
   */
  readonly full: boolean;
  /**
   * Why group writes are failing (disk full, I/O error), while they are: appends are then refused (503) until a
   * write succeeds again, which the spool itself retries every `retryAfter`.
   */
  readonly writeError?: string;
}

/** The durable local log in front of the bus (see DESIGN.md, Pipeline). */
export interface Spool {
  start(): Promise<void>;
  /**
   * Appends durably (per the fsync policy) before resolving; many concurrent calls share one write.
   * Throws SpoolFullError when the records do not fit: the caller answers 503, never 2xx.
   */
  append(records: readonly BusMessage[]): Promise<void>;
  stats(): SpoolStats;
  /** Stops accepting, lets the forwarder publish what it can until `deadlineMs`, then closes files. */
  close(deadlineMs?: number): Promise<void>;
}

export class SpoolFullError extends Error {
  readonly code = 'SPOOL_FULL';
  constructor(message = 'spool is full') {
    super(message);
    this.name = 'SpoolFullError';
  }
}
