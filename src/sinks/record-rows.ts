import type { ServiceRecord } from './sink.js';
import { SinkWriteError } from './sink.js';

/**
 * How service records map to rows, shared by the stores. Column names avoid words that are reserved in
 * CQL or SQL (`by`, `table`, `key`, `values`). Free-form maps are kept as JSON text: their shape belongs to
 * the service that sent them.
 */
export type RecordKind = ServiceRecord['kind'];
export type RecordValue = string | number | Date | null;

export const RECORD_TABLES: Readonly<Record<RecordKind, string>> = { log: 'logs', count: 'counters', update: 'updates' };

export const RECORD_COLUMNS: Readonly<Record<RecordKind, readonly string[]>> = {
  log: ['id', 'time', 'subject', 'level', 'msg', 'fields'],
  count: ['id', 'time', 'subject', 'name', 'amount', 'counter_key'],
  update: ['id', 'time', 'subject', 'table_name', 'row_key', 'row_values'],
};

/** Values in RECORD_COLUMNS order. A record without a valid time is refused (it cannot be placed in time). */
export function recordValues(record: ServiceRecord): RecordValue[] {
  const time = recordTime(record);
  switch (record.kind) {
    case 'log':
      return [record.id, time, record.subject, record.level ?? null, record.msg, json(record.fields)];
    case 'count':
      return [record.id, time, record.subject, record.name, record.by, record.key ?? null];
    case 'update':
      return [record.id, time, record.subject, record.table, record.key, json(record.values)];
  }
  // Records come off the wire; a kind this code does not know must fail loudly, not store a half row.
  throw new SinkWriteError('record', `record ${String((record as { id?: unknown }).id)} has an unknown kind`);
}

export function recordTime(record: ServiceRecord): Date {
  const ms = Date.parse(record.time);
  if (Number.isNaN(ms)) {
    throw new SinkWriteError('record', `record ${record.id} has an invalid time ${JSON.stringify(record.time)}`);
  }
  return new Date(ms);
}

/** Groups records by kind, keeping one per id (the first wins), as a redelivered batch may repeat one. */
export function groupRecords(batch: readonly ServiceRecord[]): Map<RecordKind, ServiceRecord[]> {
  const groups = new Map<RecordKind, ServiceRecord[]>();
  const seen = new Set<string>();
  for (const r of batch) {
    const key = `${r.kind}\u0000${r.id}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const list = groups.get(r.kind) ?? [];
    list.push(r);
    groups.set(r.kind, list);
  }
  return groups;
}

function json(value: Record<string, unknown> | undefined): string | null {
  return value === undefined ? null : JSON.stringify(value);
}
