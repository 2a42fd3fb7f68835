import type { DuckDBValue } from '@duckdb/node-api';
import { SinkQueryError } from '../errors.js';
import { parseCursor } from './cursor.js';
import { timestamp } from './values.js';

/** What the admin API and tests can ask for. Times are ISO 8601; `since` is inclusive, `until` exclusive. */
export interface EventFilter {
  ename?: string;
  etyp?: string;
  vid?: string;
  uid?: string;
  url?: string;
  since?: string;
  until?: string;
  /** Default 100, at most 10 000. */
  limit?: number;
  /** A cursor from `cursorAfter(lastEventOfThePreviousPage)`. */
  before?: string;
}

export const DEFAULT_LIMIT = 100;
export const MAX_LIMIT = 10_000;

const EQUALS = ['ename', 'etyp', 'vid', 'uid', 'url'] as const;

export interface Where {
  sql: string; // '' or 'WHERE ...'
  params: DuckDBValue[];
}

/** Builds the WHERE clause with bound parameters only: filter values never become SQL text. */
export function buildWhere(filter: EventFilter = {}, withCursor = true): Where {
  const clauses: string[] = [];
  const params: DuckDBValue[] = [];
  for (const field of EQUALS) {
    const v = filter[field];
    if (v === undefined) continue;
    clauses.push(`"${field}" = ?`);
    params.push(v);
  }
  if (filter.since !== undefined) {
    clauses.push('received >= ?');
    params.push(timestamp(parseTime('since', filter.since)));
  }
  if (filter.until !== undefined) {
    clauses.push('received < ?');
    params.push(timestamp(parseTime('until', filter.until)));
  }
  if (withCursor && filter.before !== undefined) {
    const cursor = parseCursor(filter.before);
    if (!cursor) throw new SinkQueryError('duckdb', 'invalid cursor in "before"');
    clauses.push('(received < ? OR (received = ? AND eid < ?))');
    params.push(timestamp(cursor.received), timestamp(cursor.received), cursor.eid);
  }
  return { sql: clauses.length ? `WHERE ${clauses.join(' AND ')}` : '', params };
}

export function limitOf(filter: EventFilter): number {
  const n = filter.limit ?? DEFAULT_LIMIT;
  if (!Number.isInteger(n) || n < 1) throw new SinkQueryError('duckdb', `invalid limit ${n}`);
  return Math.min(n, MAX_LIMIT);
}

function parseTime(name: string, text: string): Date {
  const ms = Date.parse(text);
  if (Number.isNaN(ms)) throw new SinkQueryError('duckdb', `"${name}" is not an ISO 8601 time: ${JSON.stringify(text)}`);
  return new Date(ms);
}
