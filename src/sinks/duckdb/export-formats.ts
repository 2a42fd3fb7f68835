/**
 * The export formats, apart from the export code: the admin API checks a `format` with them in every mode, and
 * importing them must not load DuckDB's native library (a gateway whose events go to NATS never opens DuckDB).
 */
export type ExportFormat = 'parquet' | 'ndjson' | 'csv';
export const EXPORT_FORMATS: readonly ExportFormat[] = ['parquet', 'ndjson', 'csv'];
