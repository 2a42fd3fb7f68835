import type { EventFilter } from '../sinks/duckdb/index.js';
import { badRequest } from '../server/errors.js';

type Query = Record<string, unknown>;

const FIELDS = ['ename', 'etyp', 'vid', 'uid', 'url'] as const;
export type FieldFilter = Pick<EventFilter, (typeof FIELDS)[number]>;

/** One text value of a query parameter; a repeated parameter is an error rather than silently the first. */
export function text(query: Query, name: string): string | undefined {
  const v = query[name];
  if (v === undefined || v === '') return undefined;
  if (typeof v !== 'string') throw badRequest('INVALID_QUERY', `"${name}" must be given once`);
  return v;
}

/** An ISO 8601 time, or a duration back from now ("24h", "7d"), as ISO 8601. */
export function time(query: Query, name: string, now = Date.now()): string | undefined {
  const v = text(query, name);
  if (v === undefined) return undefined;
  const ago = /^(\d+)(m|h|d)$/.exec(v);
  if (ago) {
    const unit = { m: 60_000, h: 3_600_000, d: 86_400_000 }[ago[2] as 'm' | 'h' | 'd'];
    return new Date(now - Number(ago[1]) * unit).toISOString();
  }
  const ms = Date.parse(v);
  if (Number.isNaN(ms)) throw badRequest('INVALID_QUERY', `"${name}" must be an ISO 8601 time or a duration such as 24h or 7d`);
  return new Date(ms).toISOString();
}

export function integer(query: Query, name: string, min: number, max: number): number | undefined {
  const v = text(query, name);
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min || n > max) throw badRequest('INVALID_QUERY', `"${name}" must be an integer from ${min} to ${max}`);
  return n;
}

/** The equality filters shared by the listing and the live tail. */
export function fieldFilter(query: Query): FieldFilter {
  const out: FieldFilter = {};
  for (const f of FIELDS) {
    const v = text(query, f);
    if (v !== undefined) out[f] = v;
  }
  return out;
}

/** The listing's filter: fields, time range, cursor and page size. */
export function eventFilter(query: Query): EventFilter {
  const since = time(query, 'since');
  const until = time(query, 'until');
  const before = text(query, 'before');
  const limit = integer(query, 'limit', 1, 10_000);
  return {
    ...fieldFilter(query),
    ...(since ? { since } : {}),
    ...(until ? { until } : {}),
    ...(before ? { before } : {}),
    ...(limit ? { limit } : {}),
  };
}
