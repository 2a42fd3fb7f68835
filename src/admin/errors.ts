import { SinkQueryError } from '../sinks/errors.js';
import { HttpError, badRequest } from '../server/errors.js';

/** A report or operation the configured stores cannot give (cluster mode has no DuckDB to read from). */
export const unsupported = (what: string, details?: Record<string, unknown>) =>
  new HttpError(
    501,
    'NOT_SUPPORTED_BY_STORE',
    `${what} needs the embedded DuckDB store; this gateway runs in cluster mode (NATS + Cassandra), where the Cassandra sink has no reads yet`,
    details,
  );

/** An invalid filter (bad time, cursor or limit) is the client's mistake: 400, not 500. */
export async function asClientError<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (err) {
    if (err instanceof SinkQueryError && !err.cause) throw badRequest('INVALID_FILTER', err.message);
    throw err;
  }
}
