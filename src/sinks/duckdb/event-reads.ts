import type { DuckDBConnection } from '@duckdb/node-api';
import { eventFromColumns } from '../event-columns.js';
import type { TrackEvent } from '../../track/event.js';
import { buildWhere, limitOf, type EventFilter } from './filter.js';
import { timestamp } from './values.js';
import { inTransaction } from './event-writer.js';

/** Reads and deletions on `events`; the caller holds the connection (see Database.exclusive). */

/**
 * Events read per query once a page's keys are known. DuckDB holds a sorted page's rows in memory: a page of 5,000
 * events of 31 KB ran out of a 256 MB limit. 512 events of the largest accepted size are 48 MB at the default
 * 96 KB, 256 MB at the most (512 KB, with a limit of at least 2.1 GB). Listing 10,000 small events: 503 ms
 * against 463 in one query (1,024 a query: 418; 256: 667).
 */
const FETCH_ROWS = 512;

/** Events of one page, and whether the byte budget cut it short of its limit. */
export interface EventPageRead {
  readonly events: TrackEvent[];
  readonly cut: boolean;
}

/**
 * A page of events, newest first: first the page's keys (received, eid: two narrow columns, sorted), then the events
 * FETCH_ROWS keys at a time, each a range of the key order, in one transaction (one snapshot). Stops once the events
 * read hold `maxBytes` of text (at least one event): a page may then hold fewer than its limit (`cut`).
 */
export async function readEventPage(conn: DuckDBConnection, filter: EventFilter, maxBytes = Infinity): Promise<EventPageRead> {
  const where = buildWhere(filter);
  return inTransaction(conn, async () => {
    const keys = (
      await conn.runAndReadAll(`SELECT epoch_us(received), eid FROM events ${where.sql} ORDER BY received DESC, eid DESC LIMIT ${limitOf(filter)}`, where.params)
    ).getRows() as [bigint, string][];
    const events: TrackEvent[] = [];
    let bytes = 0;
    for (let at = 0; at < keys.length; at += FETCH_ROWS) {
      const [newestUs, newestEid] = keys[at] as [bigint, string];
      const [oldestUs, oldestEid] = keys[Math.min(at + FETCH_ROWS, keys.length) - 1] as [bigint, string];
      // The keys from (newest) down to (oldest) inclusive, in (received, eid) order; BETWEEN lets zone maps skip.
      const span =
        'received BETWEEN make_timestamp(?::BIGINT) AND make_timestamp(?::BIGINT) AND (received < make_timestamp(?::BIGINT) OR eid <= ?) ' +
        'AND (received > make_timestamp(?::BIGINT) OR eid >= ?)';
      const sql = `SELECT * FROM events ${where.sql ? `${where.sql} AND` : 'WHERE'} ${span} ORDER BY received DESC, eid DESC`;
      const rows = (await conn.runAndReadAll(sql, [...where.params, oldestUs, newestUs, newestUs, newestEid, oldestUs, oldestEid])).getRowObjectsJS();
      for (const row of rows) {
        events.push(eventFromColumns(row));
        if (maxBytes !== Infinity) bytes += textBytes(row);
        if (bytes >= maxBytes) return { events, cut: events.length < keys.length };
      }
    }
    return { events, cut: false };
  });
}

/** Newest first, up to the filter's limit (every event of the page, whatever its size). */
export async function queryEvents(conn: DuckDBConnection, filter: EventFilter): Promise<TrackEvent[]> {
  return (await readEventPage(conn, filter)).events;
}

/** The characters of a row's text columns: what a page weighs in memory and as JSON, roughly. */
function textBytes(row: Record<string, unknown>): number {
  let n = 0;
  for (const value of Object.values(row)) if (typeof value === 'string') n += value.length;
  return n;
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
