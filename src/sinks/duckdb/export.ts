import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { DuckDBConnection } from '@duckdb/node-api';
import type { ExportFormat } from './export-formats.js';
import { buildWhere, type EventFilter } from './filter.js';

const COPY_OPTIONS: Record<ExportFormat, string> = {
  parquet: 'FORMAT parquet, COMPRESSION zstd',
  ndjson: 'FORMAT json',
  csv: 'FORMAT csv, HEADER true',
};

/**
 * Most rows one slice of an export sorts. DuckDB (1.5) holds a sorted COPY's rows in memory rather than spilling
 * them: at the default 128 MB `sinks.duckdb.memoryLimit` a sorted ndjson COPY of ~100,000 events ran out of memory,
 * Parquet of 600,000 (CSV got through at that size, by a margin no one measured). So every export is written a
 * slice of receive times at a time, each sorted alone, and the slices joined.
 */
export const EXPORT_SLICE_ROWS = 20_000;

/** Receive-time buckets, coarse to fine: a bucket holding more than a slice is counted again in the next unit. */
const UNITS: readonly { readonly name: string; readonly us: bigint }[] = [
  { name: 'hour', us: 3_600_000_000n },
  { name: 'minute', us: 60_000_000n },
  { name: 'second', us: 1_000_000n },
  { name: 'millisecond', us: 1_000n },
];

/**
 * Writes the events of a time range to `path`, oldest first (by receive time, then eid), within DuckDB's memory
 * limit whatever the range holds; returns the rows written. One slice at a time (EXPORT_SLICE_ROWS), each a sorted
 * COPY into its own file next to `path`: ndjson and CSV slices are appended to it (CSV's header written once);
 * Parquet slices are read back in order into one file, a COPY with nothing to sort. One transaction: every slice
 * reads the same snapshot. `path` is made by the caller (never client text): it becomes SQL text, as COPY takes no
 * parameter there.
 */
export async function copyEvents(
  conn: DuckDBConnection,
  filter: Pick<EventFilter, 'since' | 'until'>,
  format: ExportFormat,
  path: string,
): Promise<number> {
  const range = { ...(filter.since ? { since: filter.since } : {}), ...(filter.until ? { until: filter.until } : {}) };
  const parts = await mkdtemp(join(dirname(path), 'slices-'));
  await conn.run('BEGIN TRANSACTION');
  try {
    const slices = await slicesOf(conn, range);
    if (slices.length === 0) {
      // Nothing in the range: the format's empty file (a CSV header, a Parquet schema).
      const where = buildWhere(range, false);
      return (await conn.run(`COPY (SELECT * FROM events ${where.sql}) TO ${sqlText(path)} (${COPY_OPTIONS[format]})`, where.params)).rowsChanged;
    }
    if (format !== 'parquet') await writeFile(path, '');
    let rows = 0;
    const written: string[] = [];
    for (const [k, [from, to]] of slices.entries()) {
      const part = join(parts, `${k}.${format}`);
      const options = format === 'csv' ? `FORMAT csv, HEADER ${k === 0}` : format === 'parquet' ? 'FORMAT parquet, COMPRESSION snappy' : COPY_OPTIONS.ndjson;
      rows += (
        await conn.run(
          `COPY (SELECT * FROM events WHERE received >= make_timestamp($1::BIGINT) AND received < make_timestamp($2::BIGINT) ORDER BY received, eid)
           TO ${sqlText(part)} (${options})`,
          [from, to],
        )
      ).rowsChanged;
      if (format === 'parquet') {
        written.push(part);
        continue;
      }
      await pipeline(createReadStream(part), createWriteStream(path, { flags: 'a' }));
      await rm(part);
    }
    if (format === 'parquet') {
      // Files are read in the list's order and each in its own (DuckDB keeps insertion order by default).
      await conn.run(`COPY (SELECT * FROM read_parquet([${written.map(sqlText).join(', ')}])) TO ${sqlText(path)} (${COPY_OPTIONS.parquet})`);
    }
    return rows;
  } finally {
    await conn.run('ROLLBACK').catch(() => undefined);
    await rm(parts, { recursive: true, force: true });
  }
}

/**
 * Consecutive half-open ranges of receive times (µs) covering the filter's range, each holding at most `sliceRows`
 * events unless one millisecond holds more. Counted per hour, and where an hour holds more than a
 * slice, per minute inside it, and so on: aggregations of one column, which need no sort of the events.
 */
export async function slicesOf(conn: DuckDBConnection, range: Pick<EventFilter, 'since' | 'until'>, sliceRows = EXPORT_SLICE_ROWS): Promise<[bigint, bigint][]> {
  const where = buildWhere(range, false);
  const [min, max] = (await conn.runAndReadAll(`SELECT epoch_us(min(received)), epoch_us(max(received)) FROM events ${where.sql}`, where.params)).getRows()[0] ?? [];
  if (min === null || min === undefined || max === null || max === undefined) return [];
  const slices: [bigint, bigint][] = [];
  let open: [bigint, bigint, number] | undefined; // a slice being filled: from, to, rows
  const add = (from: bigint, to: bigint, rows: number) => {
    if (open && open[1] === from && open[2] + rows <= sliceRows) {
      open[1] = to;
      open[2] += rows;
      return;
    }
    if (open) slices.push([open[0], open[1]]);
    open = [from, to, rows];
  };
  const walk = async (from: bigint, to: bigint, level: number): Promise<void> => {
    const unit = UNITS[level]!;
    const buckets = (
      await conn.runAndReadAll(
        `SELECT epoch_us(date_trunc('${unit.name}', received)) AS b, count(*) AS n FROM events
         WHERE received >= make_timestamp($1::BIGINT) AND received < make_timestamp($2::BIGINT) GROUP BY b ORDER BY b`,
        [from, to],
      )
    ).getRows();
    // Buckets cover [from, to) without gaps: an empty stretch joins the slice before it.
    let at = from;
    for (const [bucket, count] of buckets) {
      const start = BigInt(bucket as bigint) > at ? BigInt(bucket as bigint) : at;
      const end = BigInt(bucket as bigint) + unit.us < to ? BigInt(bucket as bigint) + unit.us : to;
      if (start > at) add(at, start, 0);
      const rows = Number(count);
      if (rows > sliceRows && level + 1 < UNITS.length) await walk(start, end, level + 1);
      else add(start, end, rows);
      at = end;
    }
    if (at < to) add(at, to, 0);
  };
  await walk(BigInt(min as bigint), BigInt(max as bigint) + 1n, 0);
  if (open) slices.push([open[0], open[1]]);
  return slices;
}

function sqlText(path: string): string {
  return `'${path.replaceAll("'", "''")}'`;
}
