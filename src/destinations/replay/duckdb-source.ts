import type { DuckDBValue } from '@duckdb/node-api';
import { openDatabase, type Database } from '../../sinks/duckdb/database.js';
import { timestamp } from '../../sinks/duckdb/values.js';
import { eventFromColumns } from '../../sinks/event-columns.js';
import type { TrackEvent } from '../../track/event.js';
import { ReplayError } from './replay.js';

export interface StoreHistory {
  readonly total: number;
  readonly pages: AsyncIterable<TrackEvent[]>;
  close(): Promise<void>;
}

/**
 * Embedded mode's history: the DuckDB file, read directly, oldest first, in keyset pages of (received, eid).
 * DuckDB lets one process hold the file, so this needs the gateway stopped; the lock error says so.
 */
export async function storeHistory(path: string, since: Date, until: Date | undefined, pageSize = 500): Promise<StoreHistory> {
  let db: Database;
  try {
    db = await openDatabase(path);
  } catch (err) {
    throw new ReplayError('STORE_BUSY', `cannot open ${path}; in embedded mode replay reads the store directly, so stop the gateway first (${(err as Error).message})`, { cause: err });
  }
  const range = until ? 'received >= ? AND received < ?' : 'received >= ?';
  const rangeParams: DuckDBValue[] = until ? [timestamp(since), timestamp(until)] : [timestamp(since)];
  let total: number;
  try {
    const rows = await db.exclusive(async (conn) => (await conn.runAndReadAll(`SELECT count(*) AS n FROM events WHERE ${range}`, rangeParams)).getRowObjectsJS());
    total = Number(rows[0]?.n ?? 0);
  } catch (err) {
    await db.release();
    throw new ReplayError('SOURCE_FAILED', `cannot read events from ${path}: ${(err as Error).message}`, { cause: err });
  }

  async function* pages(): AsyncGenerator<TrackEvent[]> {
    let after: { received: string; eid: string } | undefined;
    for (;;) {
      const cursor = after ? ' AND (received > ? OR (received = ? AND eid > ?))' : '';
      const params = after ? [...rangeParams, timestamp(new Date(after.received)), timestamp(new Date(after.received)), after.eid] : rangeParams;
      const sql = `SELECT * FROM events WHERE ${range}${cursor} ORDER BY received, eid LIMIT ${pageSize}`;
      const rows = await db.exclusive(async (conn) => (await conn.runAndReadAll(sql, params)).getRowObjectsJS());
      const events = rows.map((row) => eventFromColumns(row));
      if (events.length > 0) yield events;
      const last = events[events.length - 1];
      if (!last || events.length < pageSize) return;
      after = { received: last.received, eid: last.eid };
    }
  }

  return { total, pages: pages(), close: () => db.release() };
}
