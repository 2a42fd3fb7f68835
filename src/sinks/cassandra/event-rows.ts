import { EVENT_COLUMNS, columnValue, receivedDate } from '../event-columns.js';
import type { TrackEvent } from '../../track/event.js';
import { dayOf, insert, micros, orUnset, using, type CqlWrite } from './cql.js';

/**
 * The rows one event becomes (see setup/schema.cql). Pure: no client, so the mapping is unit-tested here.
 * `events` comes last on purpose: its row marks the event as fully stored (see ./hits.ts).
 */
export interface RowOptions {
  ttlSeconds: number;
}

/** Text for the partition key when the event named no host ('' is a valid component of a composite key). */
export const NO_HOST = '';

const NAMES = EVENT_COLUMNS.map((c) => c.name);
const HOST = NAMES.indexOf('host');

const VISITOR_COLUMNS = [
  'host', 'uid', 'url', 'ename', 'ip', 'country', 'region', 'city', 'ua_browser', 'ua_os', 'ua_device',
  'source', 'medium', 'campaign', 'ref', 'aff', 'bot',
] as const;
const SESSION_COLUMNS = ['host', 'uid', 'url', 'ename', 'ref_host', 'channel', 'source', 'medium', 'campaign'] as const;
const VISITOR_INDEX = VISITOR_COLUMNS.map((n) => NAMES.indexOf(n));
const SESSION_INDEX = SESSION_COLUMNS.map((n) => NAMES.indexOf(n));

/** Statement texts by USING clause: built once, not per event (there are two clauses per table at most). */
const texts = new Map<string, Record<'byDay' | 'byVisitor' | 'events' | 'visitors' | 'sessions', string>>();
function textsFor(ttlClause: string, stateClause: string) {
  const k = `${ttlClause}|${stateClause}`;
  let t = texts.get(k);
  if (!t) {
    t = {
      byDay: insert('events_by_day', [...NAMES, 'day'], [], ttlClause).query,
      byVisitor: insert('events_by_visitor', NAMES, [], ttlClause).query,
      events: insert('events', NAMES, [], ttlClause).query,
      visitors: insert('visitors', ['vid', 'last_seen', ...VISITOR_COLUMNS], [], stateClause).query,
      sessions: insert('sessions', ['vid', 'sid', 'last_seen', ...SESSION_COLUMNS], [], stateClause).query,
    };
    texts.set(k, t);
  }
  return t;
}

/**
 * The partition key of a visitor's rows. events_by_visitor, visitors and sessions share it (a text vid), so
 * the writer batches them together: Cassandra applies a batch's statements on one partition key as ONE
 * mutation, whatever their tables (see ./batching.ts).
 */
export const visitorPartition = (vid: string): string => key('vid', vid);

export function eventToRows(event: TrackEvent, { ttlSeconds }: RowOptions): CqlWrite[] {
  const received = receivedDate(event);
  const values = EVENT_COLUMNS.map((c) => orUnset(columnValue(event, c)));
  const ttl = using(ttlSeconds);
  const rows: CqlWrite[] = [];
  const host = event.host ?? NO_HOST;
  const day = dayOf(received);
  const state = using(ttlSeconds, micros(received));
  const text = textsFor(ttl.clause, state.clause);

  const byDay = [...values, day, ...ttl.params];
  byDay[HOST] = host;
  rows.push({ query: text.byDay, params: byDay, table: 'events_by_day', partition: key('events_by_day', host, day) });

  if (event.vid) {
    const vid = event.vid;
    rows.push({ query: text.byVisitor, params: [...values, ...ttl.params], table: 'events_by_visitor', partition: visitorPartition(vid) });
    // `first: false` is the client saying this event must not create or refresh visitor/session state.
    // Latest-wins state: the write time is the receive time, so an older redelivered event never overwrites a newer one.
    if (event.first !== false) {
      rows.push({
        query: text.visitors,
        params: [vid, received, ...VISITOR_INDEX.map((i) => values[i]), ...state.params],
        table: 'visitors',
        partition: visitorPartition(vid),
      });
      if (event.sid) {
        rows.push({
          query: text.sessions,
          params: [vid, event.sid, received, ...SESSION_INDEX.map((i) => values[i]), ...state.params],
          table: 'sessions',
          partition: visitorPartition(vid),
        });
      }
    }
  }

  rows.push({ query: text.events, params: [...values, ...ttl.params], table: 'events', partition: key('events', event.eid) });
  return rows;
}

export function key(table: string, ...parts: string[]): string {
  let k = table;
  for (const p of parts) k += `\u0000${p}`;
  return k;
}
