import type { DuckDBConnection } from '@duckdb/node-api';
import type { ExportFormat } from './export-formats.js';
import { buildWhere, type EventFilter } from './filter.js';

const COPY_OPTIONS: Record<ExportFormat, string> = {
  parquet: 'FORMAT parquet, COMPRESSION zstd',
  ndjson: 'FORMAT json',
  csv: 'FORMAT csv, HEADER true',
};

/**
 * Writes the events of a time range to `path` with DuckDB's COPY, oldest first; returns the rows written.
 * `path` is made by the caller (never client text): it becomes SQL text, as COPY takes no parameter there.
 */
export async function copyEvents(
  conn: DuckDBConnection,
  filter: Pick<EventFilter, 'since' | 'until'>,
  format: ExportFormat,
  path: string,
): Promise<number> {
  const where = buildWhere({ ...(filter.since ? { since: filter.since } : {}), ...(filter.until ? { until: filter.until } : {}) }, false);
  const target = `'${path.replaceAll("'", "''")}'`;
  const sql = `COPY (SELECT * FROM events ${where.sql} ORDER BY received, eid) TO ${target} (${COPY_OPTIONS[format]})`;
  return (await conn.run(sql, where.params)).rowsChanged;
}
