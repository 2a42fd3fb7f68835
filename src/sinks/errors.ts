/**
 * Errors of the sinks besides `SinkWriteError` (declared with the Sink interface in ./sink.ts).
 * Each carries a stable `code` and the underlying driver error as `cause`.
 */

/** The store could not be opened, connected or migrated; the component must not report itself up. */
export class SinkStartError extends Error {
  readonly code = 'SINK_START';
  constructor(
    readonly sink: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'SinkStartError';
  }
}

/** A read (admin API, tests) failed or was given an invalid filter. */
export class SinkQueryError extends Error {
  readonly code = 'SINK_QUERY';
  constructor(
    readonly sink: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'SinkQueryError';
  }
}

/** The message of an unknown thrown value, for logs and wrapped errors. */
export function reasonOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
