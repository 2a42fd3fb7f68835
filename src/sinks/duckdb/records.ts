import type { DuckDBConnection, DuckDBValue } from '@duckdb/node-api';
import type { ServiceRecord } from '../sink.js';
import { RECORD_COLUMNS, RECORD_TABLES, groupRecords, recordValues, type RecordKind } from '../record-rows.js';
import { inTransaction } from './event-writer.js';
import { timestamp } from './values.js';

/** Rows per INSERT: records are low-volume, so a multi-row prepared insert is plenty and keeps OR IGNORE. */
const CHUNK = 100;

/** Writes all records in one transaction, idempotent by id; returns the new rows per kind. */
export async function writeRecords(conn: DuckDBConnection, batch: readonly ServiceRecord[]): Promise<Map<RecordKind, number>> {
  const groups = groupRecords(batch);
  const rows = new Map([...groups].map(([kind, records]) => [kind, records.map(toDuck)] as const)); // validate first
  const stored = new Map<RecordKind, number>();
  if (rows.size === 0) return stored;
  await inTransaction(conn, async () => {
    for (const [kind, values] of rows) {
      const columns = RECORD_COLUMNS[kind];
      let n = 0;
      for (let i = 0; i < values.length; i += CHUNK) {
        const chunk = values.slice(i, i + CHUNK);
        const tuple = `(${columns.map(() => '?').join(', ')})`;
        const sql = `INSERT OR IGNORE INTO ${RECORD_TABLES[kind]} (${columns.map((c) => `"${c}"`).join(', ')})
          VALUES ${chunk.map(() => tuple).join(', ')}`;
        n += (await conn.run(sql, chunk.flat())).rowsChanged;
      }
      stored.set(kind, n);
    }
  });
  return stored;
}

export async function countRecords(conn: DuckDBConnection, kind: RecordKind): Promise<number> {
  const rows = (await conn.runAndReadAll(`SELECT count(*) AS n FROM ${RECORD_TABLES[kind]}`)).getRowObjectsJS();
  return Number(rows[0]?.n ?? 0);
}

/** The stored rows of one kind, oldest first, as column → value (JSON columns as text), for reads back. */
export async function readRecords(conn: DuckDBConnection, kind: RecordKind): Promise<Record<string, unknown>[]> {
  const columns = RECORD_COLUMNS[kind].map((c) => (c === 'time' ? `strftime("time", '%Y-%m-%dT%H:%M:%S.%gZ') AS "time"` : `"${c}"`));
  const sql = `SELECT ${columns.join(', ')} FROM ${RECORD_TABLES[kind]} ORDER BY "time", id`;
  return (await conn.runAndReadAll(sql)).getRowObjectsJS() as Record<string, unknown>[];
}

function toDuck(record: ServiceRecord): DuckDBValue[] {
  return recordValues(record).map((v) => (v instanceof Date ? timestamp(v) : v));
}
