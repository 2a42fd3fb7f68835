import { EVENT_COLUMNS, columnValue, receivedDate } from '../event-columns.js';
import type { TrackEvent } from '../../track/event.js';
import { estimateBytes } from './batching.js';
import { UNSET, dayOf, insert, micros, orUnset, using, type CqlWrite } from './cql.js';

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
const EXPOSURE_INDEX = ['split', 'etyp', 'sid', 'uid', 'host', 'bot'].map((n) => NAMES.indexOf(n));

/**
 * Statements name only the columns an event sets. Leaving a column out writes nothing, as binding `unset`
 * does (./cql.ts), but the driver encodes every bound value, and an event sets about half of the 60 event
 * columns: naming all of them doubled the encoding work of the three event rows. Events of one kind set the
 * same fields, so a handful of column sets covers a stream; each is prepared once. Past MAX_SHAPES distinct
 * sets (a stream of very varied events), the rest use the full column list with unset values.
 */
export const MAX_SHAPES = 256;

interface Shape {
  /** Indexes in EVENT_COLUMNS of the columns named. */
  present: number[];
  byDay: string;
  byVisitor: string;
  events: string;
}

const shapes = new Map<string, Shape>();
const stateTexts = new Map<string, { visitors: string; sessions: string }>();

function shapeOf(values: readonly unknown[], ttlClause: string): Shape {
  let k = ttlClause;
  for (let i = 0; i < values.length; i++) if (values[i] !== UNSET || i === HOST) k += `,${i}`;
  let shape = shapes.get(k);
  if (!shape) {
    if (shapes.size >= MAX_SHAPES) return fullShape(ttlClause);
    shape = shapeWith(NAMES.flatMap((_, i) => (values[i] !== UNSET || i === HOST ? [i] : [])), ttlClause);
    shapes.set(k, shape);
  }
  return shape;
}

const fullShapes = new Map<string, Shape>();
function fullShape(ttlClause: string): Shape {
  let shape = fullShapes.get(ttlClause);
  if (!shape) fullShapes.set(ttlClause, (shape = shapeWith(NAMES.map((_, i) => i), ttlClause)));
  return shape;
}

function shapeWith(present: number[], ttlClause: string): Shape {
  const names = present.map((i) => NAMES[i]!);
  return {
    present,
    byDay: insert('events_by_day', [...names, 'day'], [], ttlClause).query,
    byVisitor: insert('events_by_visitor', names, [], ttlClause).query,
    events: insert('events', names, [], ttlClause).query,
  };
}

function stateTextsFor(clause: string) {
  let t = stateTexts.get(clause);
  if (!t) {
    t = {
      visitors: insert('visitors', ['vid', 'last_seen', ...VISITOR_COLUMNS], [], clause).query,
      sessions: insert('sessions', ['vid', 'sid', 'last_seen', ...SESSION_COLUMNS], [], clause).query,
    };
    stateTexts.set(clause, t);
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
  const values = EVENT_COLUMNS.map((c) => orUnset(cqlValue(columnValue(event, c))));
  const ttl = using(ttlSeconds);
  const rows: CqlWrite[] = [];
  const host = event.host ?? NO_HOST;
  const day = dayOf(received);
  const shape = shapeOf(values, ttl.clause);
  // events and events_by_visitor bind the same values: one array serves both (nothing changes it after).
  const bound = shape.present.map((i) => values[i]);
  const byDay = [...bound, day, ...ttl.params];
  byDay[shape.present.indexOf(HOST)] = host;
  if (ttl.params.length > 0) bound.push(...ttl.params);
  // The three event rows bind the same values (events_by_day adds the day): sized once for batching.
  const bytes = estimateBytes({ query: '', params: bound, table: '', partition: '' });
  rows.push({ query: shape.byDay, params: byDay, table: 'events_by_day', partition: key('events_by_day', host, day), bytes: bytes + 26 });

  if (event.vid) {
    const vid = event.vid;
    rows.push({ query: shape.byVisitor, params: bound, table: 'events_by_visitor', partition: visitorPartition(vid), bytes });
    // `first: false` is the client saying this event must not create or refresh visitor/session state.
    // Latest-wins state: the write time is the receive time, so an older redelivered event never overwrites a newer one.
    if (event.first !== false) {
      const state = using(ttlSeconds, micros(received));
      const text = stateTextsFor(state.clause);
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

  if (event.origin === 'experiment' && event.xid && event.vid) {
    // An experiment's exposures by day (src/experiments: results in cluster mode).
    const columns = ['xid', 'day', 'vid', 'received', 'eid', 'split', 'etyp', 'sid', 'uid', 'host', 'bot'];
    const row = [event.xid, day, event.vid, received, event.eid, ...EXPOSURE_INDEX.map((i) => values[i])];
    rows.push({ ...insert('exposures_by_day', columns, row, ttl.clause, ttl.params), table: 'exposures_by_day', partition: key('exposures_by_day', event.xid, day) });
  }
  rows.push({ query: shape.events, params: bound, table: 'events', partition: key('events', event.eid), bytes });
  return rows;
}

export function key(table: string, ...parts: string[]): string {
  let k = table;
  for (const p of parts) k += `\u0000${p}`;
  return k;
}

/** A column value as the driver takes it: the params map as a Map (see CQL_ENCODING in client-options.ts). */
function cqlValue(v: ReturnType<typeof columnValue>): unknown {
  return v !== null && typeof v === 'object' && !(v instanceof Date) ? new Map(Object.entries(v)) : v;
}
