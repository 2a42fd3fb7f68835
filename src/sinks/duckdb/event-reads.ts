import type { DuckDBConnection } from '@duckdb/node-api';
import { eventFromColumns } from '../event-columns.js';
import type { TrackEvent } from '../../track/event.js';
import { buildWhere, limitOf, type EventFilter } from './filter.js';
import { timestamp } from './values.js';

/** Reads and deletions on `events`; the caller holds the connection (see Database.exclusive). */

export async function queryEvents(conn: DuckDBConnection, filter: EventFilter): Promise<TrackEvent[]> {
  const where = buildWhere(filter);
  const sql = `SELECT * FROM events ${where.sql} ORDER BY received DESC, eid DESC LIMIT ${limitOf(filter)}`;
  const rows = (await conn.runAndReadAll(sql, where.params)).getRowObjectsJS();
  return rows.map((row) => eventFromColumns(row));
}

export async function countEvents(conn: DuckDBConnection, filter: EventFilter): Promise<number> {
  const where = buildWhere(filter, false);
  const rows = (await conn.runAndReadAll(`SELECT count(*) AS n FROM events ${where.sql}`, where.params)).getRowObjectsJS();
  return Number(rows[0]?.n ?? 0);
}

/** Erasure requests (GDPR art. 17) name a visitor or a user; returns the rows removed. */
export type EventOwner = { vid: string } | { uid: string };

export async function deleteEvents(conn: DuckDBConnection, owner: EventOwner): Promise<number> {
  const [column, value] = 'vid' in owner ? ['vid', owner.vid] : ['uid', owner.uid];
  return (await conn.run(`DELETE FROM events WHERE "${column}" = ?`, [value])).rowsChanged;
}

/** Retention: removes events received before now - `ms`; returns the rows removed. */
export async function pruneEvents(conn: DuckDBConnection, ms: number, now = Date.now()): Promise<number> {
  return (await conn.run('DELETE FROM events WHERE received < ?', [timestamp(new Date(now - ms))])).rowsChanged;
}
