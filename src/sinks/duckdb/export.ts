import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { DuckDBConnection } from '@duckdb/node-api';
import type { ExportFormat } from './export-formats.js';
import { EVENT_COLUMNS } from '../event-columns.js';
import { sqlString } from './database.js';
import { inTransaction } from './event-writer.js';
import { buildWhere, type EventFilter } from './filter.js';

const COPY_OPTIONS: Record<ExportFormat, string> = {
  parquet: 'FORMAT parquet, COMPRESSION zstd',
  ndjson: 'FORMAT json',
  csv: 'FORMAT csv, HEADER true',
};

/**
 * The most one slice of an export sorts, in estimated bytes (ROW_BYTES). DuckDB (1.5) holds a sorted COPY's rows
 * in memory rather than spilling them: at a 128 MB `sinks.duckdb.memoryLimit` a sorted ndjson COPY of ~100,000
 * events of ~1 KB ran out of memory, Parquet of 600,000, and of 100,000 events with 4 KB bodies every format but
 * CSV. So every export is written a slice of receive times at a time, each sorted alone, and the slices joined.
 */
export const EXPORT_SLICE_BYTES = 16 * 1024 * 1024;

/**
 * An event's size as an export's sort holds it, estimated: ~1 KB for its 60-odd columns (fixed-width, NULL or not)
 * and the bytes of its text. Summed per bucket of receive time when slices are planned.
 */
const ROW_BYTES = `1024 + ${EVENT_COLUMNS.filter((c) => c.kind === 'text' || c.kind === 'params')
  .map((c) => `coalesce(strlen("${c.name}"::VARCHAR), 0)`)
  .join(' + ')}`;

/** Rows in a Parquet row group of the joined file: about 8 MB of rows (the writer holds a group in memory). */
function parquetRowGroup(rows: number, bytes: number): number {
  const perRow = rows > 0 ? bytes / rows : 1024;
  return Math.max(256, Math.min(122_880, Math.floor((8 * 1024 * 1024) / perRow)));
}

/** Receive-time buckets, coarse to fine: a bucket holding more than a slice is counted again in the next unit. */
const UNITS: readonly { readonly name: string; readonly us: bigint }[] = [
  { name: 'hour', us: 3_600_000_000n },
  { name: 'minute', us: 60_000_000n },
  { name: 'second', us: 1_000_000n },
  { name: 'millisecond', us: 1_000n },
];

/** Events received in a span [$1, $2) of microseconds: a slice, or a bucket being weighed. */
const IN_SPAN = 'received >= make_timestamp($1::BIGINT) AND received < make_timestamp($2::BIGINT)';

/**
 * Writes the events of a time range to `path`, oldest first (by receive time, then eid), within DuckDB's memory
 * limit whatever the range holds; returns the rows written. One slice at a time (EXPORT_SLICE_BYTES), each a sorted
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
  // One thread for the export: every scan thread of a file opened for writing holds vectors of 2,048 whole events,
  // so at 256 MB two threads ran out on 32 KB events where one passed in every format (docs/input-limits.md).
  const threads = String((await conn.runAndReadAll("SELECT current_setting('threads')")).getRows()[0]?.[0] ?? '1');
  await conn.run('SET threads = 1');
  try {
    return await inTransaction(conn, async () => {
      const { slices, rows: planned, weight } = await slicesOf(conn, range, EXPORT_SLICE_BYTES, `sum(${ROW_BYTES})`);
      if (slices.length === 0) {
        // Nothing in the range: the format's empty file (a CSV header, a Parquet schema).
        const where = buildWhere(range, false);
        return (await conn.run(`COPY (SELECT * FROM events ${where.sql}) TO ${sqlString(path)} (${COPY_OPTIONS[format]})`, where.params)).rowsChanged;
      }
      const rowGroup = `ROW_GROUP_SIZE ${parquetRowGroup(planned, weight)}`;
      if (format !== 'parquet') await writeFile(path, '');
      let rows = 0;
      const written: string[] = [];
      for (const [k, [from, to]] of slices.entries()) {
        const part = join(parts, `${k}.${format}`);
        const options = format === 'csv' ? `FORMAT csv, HEADER ${k === 0}` : format === 'parquet' ? `FORMAT parquet, COMPRESSION snappy, ${rowGroup}` : COPY_OPTIONS.ndjson;
        rows += (await conn.run(`COPY (SELECT * FROM events WHERE ${IN_SPAN} ORDER BY received, eid) TO ${sqlString(part)} (${options})`, [from, to])).rowsChanged;
        if (format === 'parquet') {
          written.push(part);
          continue;
        }
        await pipeline(createReadStream(part), createWriteStream(path, { flags: 'a' }));
        await rm(part);
      }
      if (format === 'parquet') {
        // Files are read in the list's order and each in its own (DuckDB keeps insertion order by default).
        await conn.run(`COPY (SELECT * FROM read_parquet([${written.map(sqlString).join(', ')}])) TO ${sqlString(path)} (${COPY_OPTIONS.parquet}, ${rowGroup})`);
      }
      return rows;
    });
  } finally {
    await conn.run(`SET threads = ${Number.parseInt(threads, 10) || 1}`);
    await rm(parts, { recursive: true, force: true });
  }
}

/** Planned slices of receive times (µs, half-open), with the rows and the weight they hold in all. */
export interface SlicePlan {
  readonly slices: [bigint, bigint][];
  readonly rows: number;
  readonly weight: number;
}

/**
 * Consecutive half-open ranges of receive times (µs) covering the filter's range, each weighing at most `budget` by
 * `weightSql` (an aggregate over events: `count(*)` for rows, a sum of estimated sizes), unless one millisecond
 * weighs more. Weighed per hour, and where an hour weighs more than a slice, per minute inside it, and so on down to
 * milliseconds: aggregations, which need no sort of the events.
 */
export async function slicesOf(conn: DuckDBConnection, range: Pick<EventFilter, 'since' | 'until'>, budget: number, weightSql: string): Promise<SlicePlan> {
  const where = buildWhere(range, false);
  const [min, max] = (await conn.runAndReadAll(`SELECT epoch_us(min(received)), epoch_us(max(received)) FROM events ${where.sql}`, where.params)).getRows()[0] ?? [];
  if (min === null || min === undefined || max === null || max === undefined) return { slices: [], rows: 0, weight: 0 };
  const slices: [bigint, bigint][] = [];
  let rows = 0;
  let weight = 0;
  let open: [bigint, bigint, number] | undefined; // a slice being filled: from, to, weight
  const add = (from: bigint, to: bigint, w: number) => {
    if (open && open[1] === from && open[2] + w <= budget) {
      open[1] = to;
      open[2] += w;
      return;
    }
    if (open) slices.push([open[0], open[1]]);
    open = [from, to, w];
  };
  const walk = async (from: bigint, to: bigint, level: number): Promise<void> => {
    const unit = UNITS[level]!;
    const buckets = (
      await conn.runAndReadAll(
        `SELECT epoch_us(date_trunc('${unit.name}', received)) AS b, count(*) AS n, ${weightSql} AS w FROM events
         WHERE ${IN_SPAN} GROUP BY b ORDER BY b`,
        [from, to],
      )
    ).getRows();
    // Buckets cover [from, to) without gaps: an empty stretch joins the slice before it.
    let at = from;
    for (const [bucket, count, sum] of buckets) {
      const start = BigInt(bucket as bigint) > at ? BigInt(bucket as bigint) : at;
      const end = BigInt(bucket as bigint) + unit.us < to ? BigInt(bucket as bigint) + unit.us : to;
      if (start > at) add(at, start, 0);
      const w = Number(sum);
      if (w > budget && level + 1 < UNITS.length) await walk(start, end, level + 1);
      else {
        add(start, end, w);
        rows += Number(count);
        weight += w;
      }
      at = end;
    }
    if (at < to) add(at, to, 0);
  };
  await walk(BigInt(min as bigint), BigInt(max as bigint) + 1n, 0);
  if (open) slices.push([open[0], open[1]]);
  return { slices, rows, weight };
}
