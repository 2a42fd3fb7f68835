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

const VISITOR_COLUMNS = [
  'host', 'uid', 'url', 'ename', 'ip', 'country', 'region', 'city', 'ua_browser', 'ua_os', 'ua_device',
  'source', 'medium', 'campaign', 'ref', 'aff', 'bot',
] as const;
const SESSION_COLUMNS = ['host', 'uid', 'url', 'ename', 'ref_host', 'channel', 'source', 'medium', 'campaign'] as const;

export function eventToRows(event: TrackEvent, { ttlSeconds }: RowOptions): CqlWrite[] {
  const received = receivedDate(event);
  const values = EVENT_COLUMNS.map((c) => orUnset(columnValue(event, c)));
  const value = (name: string) => values[NAMES.indexOf(name)];
  const ttl = using(ttlSeconds);
  const rows: CqlWrite[] = [];
  const host = event.host ?? NO_HOST;
  const day = dayOf(received);

  const byDay = NAMES.map((n) => (n === 'host' ? host : value(n)));
  rows.push({
    ...insert('events_by_day', [...NAMES, 'day'], [...byDay, day], ttl.clause, ttl.params),
    table: 'events_by_day',
    partition: key('events_by_day', host, day),
  });

  if (event.vid) {
    rows.push({
      ...insert('events_by_visitor', NAMES, values, ttl.clause, ttl.params),
      table: 'events_by_visitor',
      partition: key('events_by_visitor', event.vid),
    });
    // `first: false` is the client saying this event must not create or refresh visitor/session state.
    if (event.first !== false) rows.push(...stateRows(event, received, ttlSeconds, value));
  }

  if (event.origin === 'experiment' && event.xid && event.vid) {
    const columns = ['xid', 'day', 'vid', 'received', 'eid', 'split', 'etyp', 'sid', 'uid', 'host', 'bot'];
    const row = [event.xid, day, event.vid, received, event.eid, ...['split', 'etyp', 'sid', 'uid', 'host', 'bot'].map(value)];
    rows.push({ ...insert('exposures_by_day', columns, row, ttl.clause, ttl.params), table: 'exposures_by_day', partition: key('exposures_by_day', event.xid, day) });
  }
  rows.push({ ...insert('events', NAMES, values, ttl.clause, ttl.params), table: 'events', partition: key('events', event.eid) });
  return rows;
}

/** Latest-wins state: the write time is the receive time, so an older redelivered event never overwrites a newer one. */
function stateRows(event: TrackEvent, received: Date, ttlSeconds: number, value: (n: string) => unknown): CqlWrite[] {
  const vid = event.vid as string;
  const opts = using(ttlSeconds, micros(received));
  const rows: CqlWrite[] = [
    {
      ...insert(
        'visitors',
        ['vid', 'last_seen', ...VISITOR_COLUMNS],
        [vid, received, ...VISITOR_COLUMNS.map(value)],
        opts.clause,
        opts.params,
      ),
      table: 'visitors',
      partition: key('visitors', vid),
    },
  ];
  if (event.sid) {
    rows.push({
      ...insert(
        'sessions',
        ['vid', 'sid', 'last_seen', ...SESSION_COLUMNS],
        [vid, event.sid, received, ...SESSION_COLUMNS.map(value)],
        opts.clause,
        opts.params,
      ),
      table: 'sessions',
      partition: key('sessions', vid),
    });
  }
  return rows;
}

export function key(table: string, ...parts: string[]): string {
  return [table, ...parts].join('\u0000');
}
