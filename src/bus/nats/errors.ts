/** Errors of the NATS bus. Each has a stable `code`; the client or server error is the `cause`. */

/** The NATS slice of the config cannot be used as is (unreadable file, conflicting auth methods). */
export class NatsConfigError extends Error {
  readonly code = 'NATS_CONFIG';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'NatsConfigError';
  }
}

/** `start()` could not reach any server (refused, TLS verification, authentication). */
export class NatsConnectError extends Error {
  readonly code = 'NATS_CONNECT';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'NatsConnectError';
  }
}

/** The stream exists with settings that differ from the config and cannot be updated in place. */
export class StreamConfigError extends Error {
  readonly code = 'NATS_STREAM_CONFIG';
  constructor(
    readonly stream: string,
    readonly differences: readonly string[],
    options?: { cause?: unknown },
  ) {
    super(`JetStream stream "${stream}" differs from the config: ${differences.join('; ')}`, options);
    this.name = 'StreamConfigError';
  }
}
