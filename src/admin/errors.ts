import { SinkQueryError } from '../sinks/errors.js';
import { HttpError, badRequest } from '../server/errors.js';

/** No store here can answer: neither DuckDB (embedded mode) nor the Cassandra sink (cluster mode) is configured. */
export const unsupported = (what: string, details?: Record<string, unknown>) =>
  new HttpError('NOT_SUPPORTED_BY_STORE',
    `${what} needs a store to read: the embedded DuckDB store, or in cluster mode the Cassandra sink (sinks.cassandra.contactPoints); this gateway has neither`,
    details,
  );

/** The configured store cannot do this one thing; `message` says what instead. */
export const unsupportedBy = (message: string, details?: Record<string, unknown>) => new HttpError('NOT_SUPPORTED_BY_STORE', message, details);

/** An invalid filter (bad time, cursor or limit) is the client's mistake: 400, not 500. */
export async function asClientError<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (err) {
    if (err instanceof SinkQueryError && !err.cause) throw badRequest('INVALID_FILTER', err.message);
    throw err;
  }
}
