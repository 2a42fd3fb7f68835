import { DuckDBTimestampValue } from '@duckdb/node-api';

/** A DuckDB TIMESTAMP (microseconds, UTC) from a Date. */
export function timestamp(date: Date): DuckDBTimestampValue {
  return new DuckDBTimestampValue(BigInt(date.getTime()) * 1000n);
}
