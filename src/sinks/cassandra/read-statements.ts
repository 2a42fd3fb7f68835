import type { Statement } from './cql-reader.js';
import { dayOf } from './cql.js';

/**
 * The statements of the admin reads and erasure (see setup/schema.cql), as pure functions: every value is a
 * bound parameter, never CQL text, and each statement reads one partition.
 */

/** `since` inclusive, `until` exclusive, as everywhere in the admin API. */
export interface TimeRange {
  since: Date;
  until: Date;
}

/** Equality filters on event fields that no key of events_by_day or events_by_visitor covers. */
export const FILTER_FIELDS = ['ename', 'etyp', 'uid', 'url'] as const;
export type FieldFilter = Partial<Record<(typeof FILTER_FIELDS)[number], string>>;

const DAY = 86_400_000;

/** The UTC days a range touches, newest first (`until` is exclusive, so a range ending at midnight stops the day before). */
export function daysNewestFirst({ since, until }: TimeRange): string[] {
  const days: string[] = [];
  if (until <= since) return days;
  const first = Date.parse(dayOf(since));
  for (let t = Date.parse(dayOf(new Date(until.getTime() - 1))); t >= first; t -= DAY) days.push(dayOf(new Date(t)));
  return days;
}

export const hostsOfDay = (day: string): Statement => ({ query: 'SELECT host FROM hosts_by_day WHERE day = ?', params: [day] });

/**
 * Field filters as restrictions on regular columns. They need ALLOW FILTERING, which here filters inside the
 * one partition the statement names (bounded by day or visitor), never across the cluster.
 */
function fieldClauses(fields: FieldFilter): { clauses: string[]; params: unknown[] } {
  const clauses: string[] = [];
  const params: unknown[] = [];
  for (const f of FILTER_FIELDS) {
    const v = fields[f];
    if (v === undefined) continue;
    clauses.push(`${f} = ?`);
    params.push(v);
  }
  return { clauses, params };
}

function select(columns: string, table: string, keys: string[], keyParams: unknown[], fields: FieldFilter, order = ''): Statement {
  const f = fieldClauses(fields);
  const where = [...keys, ...f.clauses].join(' AND ');
  return {
    query: `SELECT ${columns} FROM ${table} WHERE ${where}${order}${f.clauses.length ? ' ALLOW FILTERING' : ''}`,
    params: [...keyParams, ...f.params],
  };
}

/** One host's events of one day within the range: newest first (the table's order), or oldest first for exports. */
export function eventsOfDay(host: string, day: string, range: TimeRange, fields: FieldFilter = {}, order: 'desc' | 'asc' = 'desc'): Statement {
  return select(
    '*',
    'events_by_day',
    ['host = ?', 'day = ?', 'received >= ?', 'received < ?'],
    [host, day, range.since, range.until],
    fields,
    order === 'asc' ? ' ORDER BY received ASC' : '',
  );
}

/** A visitor's events, newest first, optionally within a range. */
export function eventsOfVisitor(vid: string, range: Partial<TimeRange> = {}, fields: FieldFilter = {}): Statement {
  const keys = ['vid = ?'];
  const params: unknown[] = [vid];
  if (range.since) {
    keys.push('received >= ?');
    params.push(range.since);
  }
  if (range.until) {
    keys.push('received < ?');
    params.push(range.until);
  }
  return select('*', 'events_by_visitor', keys, params, fields);
}

/** The few columns the stats reports need, for one host's day within the range. */
export function scanOfDay(host: string, day: string, range: TimeRange, columns: readonly string[]): Statement {
  return select(columns.join(', '), 'events_by_day', ['host = ?', 'day = ?', 'received >= ?', 'received < ?'], [host, day, range.since, range.until], {});
}

export const hitsOfDay = (host: string, day: string): Statement => ({
  query: 'SELECT url, hits FROM hits WHERE host = ? AND day = ?',
  params: [host, day],
});

/** The keys of a visitor's events: what erasure needs to find their rows in the other tables. */
export const visitorKeys = (vid: string): Statement => ({
  query: 'SELECT received, eid, host FROM events_by_visitor WHERE vid = ?',
  params: [vid],
});

/** The rows of one event outside the visitor's partition. */
export function eraseEventRows(row: { eid: string; host: string; received: Date }): Statement[] {
  return [
    {
      query: 'DELETE FROM events_by_day WHERE host = ? AND day = ? AND received = ? AND eid = ?',
      params: [row.host, dayOf(row.received), row.received, row.eid],
    },
    { query: 'DELETE FROM events WHERE eid = ?', params: [row.eid] },
  ];
}

/** The visitor's own partitions; deleted last, so an erasure cut short can simply be repeated. */
export function eraseVisitorPartitions(vid: string): Statement[] {
  return ['events_by_visitor', 'visitors', 'sessions'].map((table) => ({ query: `DELETE FROM ${table} WHERE vid = ?`, params: [vid] }));
}
