import { createHash } from 'node:crypto';
import { SinkQueryError } from '../errors.js';

/**
 * Where a Cassandra listing continues: the range it was computed for (so "7d back from now" does not move
 * between pages), a fingerprint of its filters, the partition (day, host) and the driver's paging state in
 * it. `done` marks the partition as finished: continue with the next host. Opaque to clients (base64url).
 */
export interface ListingCursor {
  /** since and until, ms since the epoch. */
  s?: number;
  u?: number;
  /** Fingerprint of the filters (see filterPrint). */
  f: string;
  d?: string;
  h?: string;
  p?: string;
  done?: boolean;
}

export function encodeCursor(cursor: ListingCursor): string {
  return Buffer.from(JSON.stringify(cursor)).toString('base64url');
}

const DAY = /^\d{4}-\d{2}-\d{2}$/;
const HEX = /^[0-9a-f]+$/i;

/** A cursor made by encodeCursor, or SinkQueryError (a client error: no cause). */
export function decodeCursor(text: string): ListingCursor {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
  } catch {
    value = undefined;
  }
  const c = value as Partial<ListingCursor> | undefined;
  const ok =
    typeof c === 'object' && c !== null && !Array.isArray(c) &&
    typeof c.f === 'string' &&
    (c.s === undefined || Number.isFinite(c.s)) &&
    (c.u === undefined || Number.isFinite(c.u)) &&
    (c.d === undefined || (typeof c.d === 'string' && DAY.test(c.d))) &&
    (c.h === undefined || typeof c.h === 'string') &&
    (c.p === undefined || (typeof c.p === 'string' && HEX.test(c.p))) &&
    (c.done === undefined || typeof c.done === 'boolean');
  if (!ok) throw new SinkQueryError('cassandra', 'invalid cursor in "before"');
  return c as ListingCursor;
}

/** A short digest of the filters a cursor was made for: a cursor given with other filters is refused. */
export function filterPrint(filters: Readonly<Record<string, string | undefined>>): string {
  const entries = Object.entries(filters).filter(([, v]) => v !== undefined).sort(([a], [b]) => a.localeCompare(b));
  return createHash('sha256').update(JSON.stringify(entries)).digest('base64url').slice(0, 12);
}
