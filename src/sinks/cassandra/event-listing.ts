import type { TrackEvent } from '../../track/event.js';
import { SinkQueryError } from '../errors.js';
import { allRows, type CqlReader } from './cql-reader.js';
import { decodeCursor, encodeCursor, filterPrint, type ListingCursor } from './read-cursor.js';
import { daysNewestFirst, eventsOfDay, eventsOfVisitor, hostsOfDay, type FieldFilter, type TimeRange } from './read-statements.js';
import { rowToEvent } from './row-event.js';

export interface ListQuery {
  fields: FieldFilter;
  /** Lists the visitor's partition of events_by_visitor instead of walking the days. */
  vid?: string;
  since?: Date;
  until?: Date;
  limit: number;
  /** The `next` of the previous page. */
  before?: string;
}

export interface EventPage {
  events: TrackEvent[];
  next: string | null;
}

/** Without `since`, a listing by day covers this much before `until`: every day costs reads, even empty ones. */
export const DEFAULT_WINDOW_MS = 31 * 86_400_000;
/** Reads one request may make; past it the page is returned short, with a `next` to continue. */
export const MAX_READS = 200;

/**
 * `GET /admin/events` on Cassandra. With `vid`: the visitor's partition, newest first. Otherwise the days of
 * the range newest first, and in each day its hosts (from hosts_by_day) in name order, each host's events
 * newest first: so the order is by day, then host, then time. The cursor carries the driver's paging state.
 * A page can hold fewer than `limit` events and still have a `next` (filters that match little, many empty
 * partitions): follow `next` until it is null.
 */
export async function listEvents(reader: CqlReader, q: ListQuery, now = Date.now()): Promise<EventPage> {
  const f = filterPrint({ ...q.fields, vid: q.vid });
  const cursor = q.before ? decodeCursor(q.before) : undefined;
  if (cursor && cursor.f !== f) throw new SinkQueryError('cassandra', 'the "before" cursor belongs to a listing with other filters');
  return q.vid ? listVisitor(reader, q, q.vid, f, cursor) : listDays(reader, q, f, cursor, now);
}

async function listVisitor(reader: CqlReader, q: ListQuery, vid: string, f: string, cursor: ListingCursor | undefined): Promise<EventPage> {
  const range = cursor ? { ...(cursor.s !== undefined ? { since: new Date(cursor.s) } : {}), ...(cursor.u !== undefined ? { until: new Date(cursor.u) } : {}) } : { ...(q.since ? { since: q.since } : {}), ...(q.until ? { until: q.until } : {}) };
  const statement = eventsOfVisitor(vid, range, q.fields);
  const events: TrackEvent[] = [];
  let pageState = cursor?.p;
  for (let reads = 0; reads < MAX_READS && events.length < q.limit; reads++) {
    const page = await reader.page(statement, { fetchSize: q.limit - events.length, ...(pageState ? { pageState } : {}) });
    events.push(...page.rows.map(rowToEvent));
    pageState = page.pageState;
    if (!pageState) break;
  }
  const next = pageState ? encodeCursor({ f, s: range.since?.getTime(), u: range.until?.getTime(), p: pageState }) : null;
  return { events, next };
}

async function listDays(reader: CqlReader, q: ListQuery, f: string, cursor: ListingCursor | undefined, now: number): Promise<EventPage> {
  const range = rangeOf(q, cursor, now);
  const at = (extra: Omit<ListingCursor, 'f' | 's' | 'u'>) => encodeCursor({ f, s: range.since.getTime(), u: range.until.getTime(), ...extra });
  const events: TrackEvent[] = [];
  let reads = 0;
  for (const day of daysNewestFirst(range)) {
    if (cursor?.d && day > cursor.d) continue;
    const resuming = cursor?.d === day;
    // Only a day not yet started can be reached here with the reads used up (the first day read is at 0).
    if (reads >= MAX_READS) return { events, next: at({ d: day }) };
    let hosts: string[] = [];
    for await (const row of allRows(reader, hostsOfDay(day))) hosts.push(String(row.host ?? ''));
    reads++;
    if (resuming && cursor.h !== undefined) hosts = hosts.filter((h) => (cursor.done ? h > (cursor.h as string) : h >= (cursor.h as string)));
    for (const host of hosts) {
      let pageState = resuming && host === cursor.h && !cursor.done ? cursor.p : undefined;
      const statement = eventsOfDay(host, day, range, q.fields);
      do {
        if (reads >= MAX_READS || events.length >= q.limit) return { events, next: at({ d: day, h: host, ...(pageState ? { p: pageState } : {}) }) };
        const page = await reader.page(statement, { fetchSize: q.limit - events.length, ...(pageState ? { pageState } : {}) });
        reads++;
        events.push(...page.rows.map(rowToEvent));
        pageState = page.pageState;
      } while (pageState);
      if (events.length >= q.limit) return { events, next: at({ d: day, h: host, done: true }) };
    }
  }
  return { events, next: null };
}

function rangeOf(q: ListQuery, cursor: ListingCursor | undefined, now: number): TimeRange {
  if (cursor?.s !== undefined && cursor.u !== undefined) return { since: new Date(cursor.s), until: new Date(cursor.u) };
  const until = q.until ?? new Date(now);
  return { since: q.since ?? new Date(until.getTime() - DEFAULT_WINDOW_MS), until };
}
