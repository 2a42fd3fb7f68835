import { DuckDBTimestampValue, type DuckDBAppender } from '@duckdb/node-api';
import type { ColumnKind, ColumnValue } from '../event-columns.js';

/** A DuckDB TIMESTAMP (microseconds, UTC) from a Date. */
export function timestamp(date: Date): DuckDBTimestampValue {
  return new DuckDBTimestampValue(BigInt(date.getTime()) * 1000n);
}

/** Appends one typed value; the column kind decides the DuckDB type so the appender never guesses. */
export function appendValue(appender: DuckDBAppender, kind: ColumnKind | undefined, value: ColumnValue): void {
  if (value === null || kind === undefined) {
    appender.appendNull();
    return;
  }
  switch (kind) {
    case 'text':
      appender.appendVarchar(String(value));
      return;
    case 'double':
      appender.appendDouble(Number(value));
      return;
    case 'int':
      appender.appendInteger(Number(value));
      return;
    case 'boolean':
      appender.appendBoolean(value === true);
      return;
    case 'timestamp':
      appender.appendTimestamp(timestamp(value as Date));
      return;
    case 'params':
      appender.appendVarchar(JSON.stringify(value));
      return;
  }
}
