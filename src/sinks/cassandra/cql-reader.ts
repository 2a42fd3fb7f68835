import { errors, types, type Client } from 'cassandra-driver';
import { SinkQueryError, reasonOf } from '../errors.js';

/** One bound statement (always prepared). */
export interface Statement {
  query: string;
  params: unknown[];
}

export type CqlRow = Readonly<Record<string, unknown>>;

export interface CqlPage {
  rows: CqlRow[];
  /** Where the next page starts; absent on the last page. */
  pageState?: string;
}

/**
 * The slice of the driver the reads use: one page at a time (so paging state can become an API cursor) and
 * plain statements for deletes. An interface so the read logic is tested without a cluster.
 */
export interface CqlReader {
  page(statement: Statement, options: { fetchSize: number; pageState?: string }): Promise<CqlPage>;
  execute(statement: Statement): Promise<void>;
}

/** Every row of a statement, page by page. */
export async function* allRows(reader: CqlReader, statement: Statement, fetchSize = 1000): AsyncGenerator<CqlRow> {
  let pageState: string | undefined;
  do {
    const page = await reader.page(statement, { fetchSize, ...(pageState ? { pageState } : {}) });
    yield* page.rows;
    pageState = page.pageState;
  } while (pageState);
}

const NAME = 'cassandra';

/**
 * The driver-backed reader: every statement prepared, at the configured consistency. A paging state the
 * cluster refuses came from a client (a stale or edited cursor): that is a client error (no `cause`), the
 * rest are failures of the store.
 */
export function driverReader(client: () => Client, consistency: types.consistencies): CqlReader {
  const options = { prepare: true, consistency, isIdempotent: true };
  return {
    async page(statement, { fetchSize, pageState }) {
      try {
        const rs = await client().execute(statement.query, statement.params, { ...options, fetchSize, ...(pageState ? { pageState } : {}) });
        const rows = rs.rows.map((row) => Object.fromEntries(row.keys().map((k) => [k, row.get(k) as unknown])));
        return { rows, ...(rs.pageState ? { pageState: rs.pageState } : {}) };
      } catch (err) {
        if (pageState && err instanceof errors.ResponseError && (err.code === types.responseErrorCodes.invalid || err.code === types.responseErrorCodes.protocolError)) {
          throw new SinkQueryError(NAME, 'the "before" cursor is not valid for this query');
        }
        throw failure(err);
      }
    },
    async execute(statement) {
      try {
        await client().execute(statement.query, statement.params, options);
      } catch (err) {
        throw failure(err);
      }
    },
  };
}

function failure(err: unknown): SinkQueryError {
  return err instanceof SinkQueryError ? err : new SinkQueryError(NAME, `Cassandra read failed: ${reasonOf(err)}`, { cause: err });
}
