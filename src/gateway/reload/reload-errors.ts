/** A reload that would change keys the running process cannot change; the running config stays. */
export class ConfigRefusedError extends Error {
  readonly code = 'CONFIG_RELOAD_REFUSED';
  constructor(readonly keys: readonly string[]) {
    super(`these keys cannot change while the server runs (restart to apply them): ${keys.join(', ')}; nothing was changed`);
    this.name = 'ConfigRefusedError';
  }
}

/** A valid config that could not be applied (a file it names, a worker); the running config stays where it can. */
export class ConfigReloadFailedError extends Error {
  readonly code = 'CONFIG_RELOAD_FAILED';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ConfigReloadFailedError';
  }
}
