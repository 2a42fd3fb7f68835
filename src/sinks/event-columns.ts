import { dict } from '../track/dict.js';
import {
  BOOLEAN_FIELDS,
  NUMERIC_FIELDS,
  SERVER_BOOLEAN_FIELDS,
  SERVER_STRING_FIELDS,
  STRING_FIELDS,
  type TrackEvent,
} from '../track/event.js';
import { SinkWriteError } from './sink.js';

/**
 * The typed columns every store keeps for an event, derived from the field lists of the event model so a
 * new field cannot be forgotten by one store. `received` is the only time column: it is server-made and
 * drives partitioning, ranges and retention. `created` is the client's clock and stays text as sent.
 */
export type ColumnKind = 'text' | 'double' | 'int' | 'boolean' | 'timestamp' | 'params';

export interface EventColumn {
  readonly name: string;
  readonly kind: ColumnKind;
}

/** Whole-number fields; the others of NUMERIC_FIELDS are doubles (scores, coordinates, durations). */
const INTEGER_FIELDS: ReadonlySet<string> = new Set(['w', 'h', 'cflags']);

export const EVENT_COLUMNS: readonly EventColumn[] = Object.freeze([
  { name: 'eid', kind: 'text' },
  { name: 'received', kind: 'timestamp' },
  ...STRING_FIELDS.filter((f) => f !== 'eid').map((name) => ({ name, kind: 'text' as const })),
  ...NUMERIC_FIELDS.map((name) => ({ name, kind: INTEGER_FIELDS.has(name) ? ('int' as const) : ('double' as const) })),
  ...BOOLEAN_FIELDS.map((name) => ({ name, kind: 'boolean' as const })),
  ...SERVER_STRING_FIELDS.filter((f) => f !== 'received').map((name) => ({ name, kind: 'text' as const })),
  ...SERVER_BOOLEAN_FIELDS.map((name) => ({ name, kind: 'boolean' as const })),
  { name: 'params', kind: 'params' },
]);

export type ColumnValue = string | number | boolean | Date | Record<string, string> | null;

/**
 * The value of one column, coerced to its type. The consumer's decoder checks only eid/received/origin,
 * so a field may arrive with the wrong JSON type; a value that cannot be coerced becomes null rather than
 * failing the whole batch (one bad field must not hold back 499 good events).
 */
export function columnValue(event: TrackEvent, column: EventColumn): ColumnValue {
  if (column.kind === 'timestamp') return receivedDate(event);
  return coerce((event as unknown as Record<string, unknown>)[column.name], column.kind);
}

/** A field's value coerced to a column kind other than the receive time (see columnValue). */
export function coerce(v: unknown, kind: Exclude<ColumnKind, 'timestamp'>): Exclude<ColumnValue, Date> {
  if (v === undefined || v === null) return null;
  switch (kind) {
    case 'text':
      return typeof v === 'string' ? v : typeof v === 'object' ? JSON.stringify(v) : String(v);
    case 'double':
      return toNumber(v);
    case 'int': {
      const n = toNumber(v);
      return n === null || Math.abs(n) > 2_147_483_647 ? null : Math.trunc(n);
    }
    case 'boolean':
      return typeof v === 'boolean' ? v : v === 'true' ? true : v === 'false' ? false : null;
    case 'params':
      return toParams(v);
  }
}

/** The receive time; an event without a valid one cannot be placed in time, so the batch is refused. */
export function receivedDate(event: TrackEvent): Date {
  const ms = Date.parse(event.received);
  if (Number.isNaN(ms)) {
    throw new SinkWriteError('event', `event ${event.eid} has an invalid received time ${JSON.stringify(event.received)}`);
  }
  return new Date(ms);
}

function toNumber(v: unknown): number | null {
  const n = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : NaN;
  return Number.isFinite(n) ? n : null;
}

function toParams(v: unknown): Record<string, string> | null {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return null;
  const out = dict<string>();
  for (const [k, x] of Object.entries(v)) {
    if (x === undefined || x === null) continue;
    out[k] = typeof x === 'string' ? x : typeof x === 'object' ? JSON.stringify(x) : String(x);
  }
  return out;
}

/**
 * Rebuilds an event from stored column values (null means absent). `received` comes back as a Date and
 * is written as ISO 8601 UTC with milliseconds, the format the gateway produces.
 */
export function eventFromColumns(values: Readonly<Record<string, unknown>>): TrackEvent {
  const out: Record<string, unknown> = {};
  for (const { name, kind } of EVENT_COLUMNS) {
    const v = values[name];
    if (v === undefined || v === null) continue;
    if (kind === 'timestamp') out[name] = v instanceof Date ? v.toISOString() : String(v);
    // DuckDB gives JSON text; the Cassandra driver a Map (it encodes and decodes maps as Maps, see CQL_ENCODING).
    else if (kind === 'params') out[name] = typeof v === 'string' ? (JSON.parse(v) as Record<string, string>) : v instanceof Map ? Object.fromEntries(v) : v;
    else out[name] = v;
  }
  return out as unknown as TrackEvent;
}
