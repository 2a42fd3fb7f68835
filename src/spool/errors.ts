/**
 * Spool failures other than SpoolFullError (which lives beside the interface in spool.ts). Each has a stable `code`;
 * the tracking surface maps all of them to 503, never to a 2xx.
 */

/** `append` after `close` began: the gateway is shutting down. */
export class SpoolClosedError extends Error {
  readonly code = 'SPOOL_CLOSED';
  constructor(message = 'spool is closed', options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'SpoolClosedError';
  }
}

/** `append` before `start` resolved. */
export class SpoolNotStartedError extends Error {
  readonly code = 'SPOOL_NOT_STARTED';
  constructor(message = 'spool is not started', options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'SpoolNotStartedError';
  }
}

/** A record the log cannot frame (an id longer than 65535 UTF-8 bytes). */
export class SpoolRecordError extends Error {
  readonly code = 'SPOOL_INVALID_RECORD';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'SpoolRecordError';
  }
}

/** The group write or its fdatasync failed (disk full, I/O error): the records are not durable. */
export class SpoolWriteError extends Error {
  readonly code = 'SPOOL_WRITE_FAILED';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'SpoolWriteError';
  }
}

/** The directory cannot be opened or recovered at start. */
export class SpoolRecoveryError extends Error {
  readonly code = 'SPOOL_RECOVERY_FAILED';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'SpoolRecoveryError';
  }
}
