import type { ServiceRecord } from '../sink.js';
import { recordTime } from '../record-rows.js';
import { dayOf, insert, orUnset, type CqlWrite } from './cql.js';
import { key } from './event-rows.js';

/**
 * A service record as one upsert (see setup/schema.cql): partitioned by subject or name and UTC day, so a
 * chatty service spreads over days; the id in the primary key makes a redelivered record overwrite itself.
 */
export function recordToRow(record: ServiceRecord): CqlWrite {
  const time = recordTime(record);
  const day = dayOf(time);
  switch (record.kind) {
    case 'log':
      return {
        ...insert(
          'logs',
          ['subject', 'day', 'time', 'id', 'level', 'msg', 'fields'],
          [record.subject, day, time, record.id, orUnset(record.level), record.msg, orUnset(json(record.fields))],
        ),
        table: 'logs',
        partition: key('logs', record.subject, day),
      };
    case 'count':
      return {
        ...insert(
          'counters',
          ['name', 'day', 'time', 'id', 'subject', 'amount', 'counter_key'],
          [record.name, day, time, record.id, record.subject, record.by, orUnset(record.key)],
        ),
        table: 'counters',
        partition: key('counters', record.name, day),
      };
    case 'update':
      return {
        ...insert(
          'updates',
          ['table_name', 'row_key', 'time', 'id', 'subject', 'row_values'],
          [record.table, record.key, time, record.id, record.subject, JSON.stringify(record.values)],
        ),
        table: 'updates',
        partition: key('updates', record.table, record.key),
      };
  }
  throw new TypeError(`unknown record kind in record ${String((record as { id?: unknown }).id)}`);
}

/** The primary-key lookup of a stored record, for reads back (tests, the admin API). */
export function recordKeyQuery(record: ServiceRecord): { query: string; params: unknown[] } {
  const time = recordTime(record);
  switch (record.kind) {
    case 'log':
      return { query: 'SELECT id FROM logs WHERE subject = ? AND day = ? AND time = ? AND id = ?', params: [record.subject, dayOf(time), time, record.id] };
    case 'count':
      return { query: 'SELECT id FROM counters WHERE name = ? AND day = ? AND time = ? AND id = ?', params: [record.name, dayOf(time), time, record.id] };
    case 'update':
      return { query: 'SELECT id FROM updates WHERE table_name = ? AND row_key = ? AND time = ? AND id = ?', params: [record.table, record.key, time, record.id] };
  }
  throw new TypeError('unknown record kind');
}

function json(value: Record<string, unknown> | undefined): string | undefined {
  return value === undefined ? undefined : JSON.stringify(value);
}
