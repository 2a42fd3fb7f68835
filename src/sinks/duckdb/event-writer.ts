import type { DuckDBConnection } from '@duckdb/node-api';
import { EVENT_COLUMNS, columnValue, type ColumnKind, type ColumnValue } from '../event-columns.js';
import type { TrackEvent } from '../../track/event.js';
import { appendValue } from './values.js';

/** The `events` columns in table order, each with its kind (undefined: a column this code does not know). */
export type EventLayout = readonly { name: string; kind: ColumnKind | undefined }[];

const KINDS = new Map(EVENT_COLUMNS.map((c) => [c.name, c.kind]));

/** Reads the table's column order: the appender writes whole rows in that order. */
export async function readEventLayout(conn: DuckDBConnection): Promise<EventLayout> {
  const rows = (
    await conn.runAndReadAll(
      `SELECT column_name FROM information_schema.columns
       WHERE table_name = 'events' AND table_schema = 'main' ORDER BY ordinal_position`,
    )
  ).getRowObjectsJS();
  return rows.map((r) => {
    const name = String(r.column_name);
    return { name, kind: KINDS.get(name) };
  });
}

export interface WriteResult {
  stored: number;
  duplicates: number;
}

/**
 * Writes a batch in one transaction, idempotent by eid. Fast path: the Appender straight into `events`
 * (no per-row SQL). A redelivered batch trips the primary key, and the appender cannot skip rows, so the
 * batch is then rolled back and replayed through a temporary staging table with INSERT OR IGNORE. Redelivery
 * is rare, so the common case pays nothing for idempotency beyond the primary-key check itself.
 */
export async function writeEvents(conn: DuckDBConnection, layout: EventLayout, batch: readonly TrackEvent[]): Promise<WriteResult> {
  const rows = toRows(layout, batch); // before BEGIN: an invalid event fails the batch without touching the file
  if (rows.length === 0) return { stored: 0, duplicates: batch.length };
  try {
    await inTransaction(conn, () => appendRows(conn, layout, rows, 'events'));
    return { stored: rows.length, duplicates: batch.length - rows.length };
  } catch {
    // Most likely a duplicate eid; if it was anything else, the slow path fails too and reports it.
  }
  const stored = await inTransaction(conn, async () => {
    await conn.run('CREATE OR REPLACE TEMP TABLE events_staging AS SELECT * FROM main.events LIMIT 0');
    await appendRows(conn, layout, rows, 'events_staging', 'temp');
    const result = await conn.run('INSERT OR IGNORE INTO main.events SELECT * FROM temp.main.events_staging');
    await conn.run('DROP TABLE temp.main.events_staging');
    return result.rowsChanged;
  });
  return { stored, duplicates: batch.length - stored };
}

/** One row per distinct eid (the first wins), values in table order. */
function toRows(layout: EventLayout, batch: readonly TrackEvent[]): ColumnValue[][] {
  const seen = new Set<string>();
  const rows: ColumnValue[][] = [];
  for (const event of batch) {
    if (seen.has(event.eid)) continue;
    seen.add(event.eid);
    rows.push(layout.map(({ name, kind }) => (kind ? columnValue(event, { name, kind }) : null)));
  }
  return rows;
}

async function appendRows(conn: DuckDBConnection, layout: EventLayout, rows: ColumnValue[][], table: string, catalog?: string) {
  const appender = await conn.createAppender(table, 'main', catalog ?? null);
  try {
    for (const row of rows) {
      for (let i = 0; i < layout.length; i++) appendValue(appender, layout[i]?.kind, row[i] ?? null);
      appender.endRow();
    }
    appender.flushSync();
  } finally {
    try {
      appender.closeSync();
    } catch {
      // Closing flushes again; after a failed flush it repeats the same error, already thrown above.
    }
  }
}

export async function inTransaction<T>(conn: DuckDBConnection, fn: () => Promise<T>): Promise<T> {
  await conn.run('BEGIN TRANSACTION');
  try {
    const result = await fn();
    await conn.run('COMMIT');
    return result;
  } catch (err) {
    await conn.run('ROLLBACK').catch(() => undefined);
    throw err;
  }
}
